"""RMSprop in every framework's convention, chosen by explicit keyword options.

The frameworks agree on the core, a running mean of the squared gradient that divides the
step, and differ in the details: where ε goes, where v starts, whether η sits inside the
momentum buffer, what weight decay means. ``RMSprop`` exposes each detail as an option and
``RMSprop.preset(name)`` sets them all the way one source does (see ``PRESETS`` below,
:mod:`rmsprop_ref.conventions` and the chapter "One RMSprop, four frameworks").
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from ._checks import (
    check_flag,
    check_fraction,
    check_learning_rate,
    check_non_negative,
    is_real,
    reject_unknown_keywords,
)
from .gradients import GRADIENT_OPTIONS, GradientOptions
from .optimizers import LearningRate, Optimizer
from .sparse_gradients import SPARSE_UPDATES, SparseRows
from .training import TRAINING_OPTIONS, TrainingOptions
from .tree import Tree, leaves

WEIGHT_DECAY_MODES = ("decoupled", "coupled")


class RMSpropState(NamedTuple):
    step: int  # calls of update so far (with gradient accumulation, not all of them step)
    mean_square: Tree  # v, running mean of g², starts at initial_accumulator
    mean_grad: Tree | None  # m, running mean of g, only when centered
    momentum_buffer: Tree | None  # b, only when momentum > 0
    average: Tree | None = None  # moving average of θ, only with use_ema
    accumulated: Tree | None = None  # gradients summed since the last step, only with accumulation


class RMSprop(Optimizer):
    r"""RMSprop with every convention as an option. One step, in this order::

        0. the gradients: divided by loss_scale_factor, clipped (clipnorm or
           global_clipnorm, and clipvalue, as the Kerases), negated (maximize,
           as PyTorch); see rmsprop_ref.gradients
        1. weight decay: coupled (PyTorch)   g ← g + wd·θ
                         decoupled (Keras)   θ ← θ − η·wd·θ, on the pre-step θ
        2. v ← ρ·v + (1−ρ)·g²
           centered: m ← ρ·m + (1−ρ)·g,  s = v − m²;  otherwise s = v
        3. bias correction (Optax, optional): v and m divided by (1 − ρᵗ),
           t = step + 1
        4. u = g / √(s + ε)  (epsilon_in_sqrt=True: Keras, TF1, Optax)
           u = g / (√s + ε)  (epsilon_in_sqrt=False: PyTorch, the article)
        5. no momentum:          θ ← θ − η·u
           η inside the buffer:  b ← μ·b + η·u;  θ ← θ − b  (Keras, TF1, Optax)
           η outside the buffer: b ← μ·b + u;    θ ← θ − η·b  (PyTorch)
           Nesterov (Optax):     θ ← θ − (η·u + μ·b) with the new b (η inside),
                                 or θ ← θ − η·(u + μ·b) (η outside)

    ``leaf_options`` makes options differ from leaf to leaf, as PyTorch's parameter groups
    and Keras's ``exclude_from_weight_decay`` do: a function from a leaf's path (as
    :func:`rmsprop_ref.tree.leaves_with_paths` writes it, e.g. ``"params['dense']['bias']"``)
    to a dict of options for that leaf, drawn from ``LEAF_OPTIONS``; an empty dict keeps the
    optimizer's. For example ``leaf_options=lambda path: {"weight_decay": 0.0} if "bias" in
    path else {}``. A leaf may switch momentum or centering off, not on: the optimizer-wide
    settings decide which buffers the state holds.

    Around the step, Keras's ``use_ema``, ``ema_momentum``, ``ema_overwrite_frequency`` and
    ``gradient_accumulation_steps`` run as Keras runs them (:mod:`rmsprop_ref.training`);
    ``sparse_updates`` says what a :class:`~rmsprop_ref.sparse_gradients.SparseRows` gradient
    updates. ``rho``, ``epsilon``, ``momentum`` and ``weight_decay`` may be functions of the
    step count (or of nothing), called before each update (:meth:`at_step`). Parameters may
    be float16, bfloat16, float32, float64, or complex, stepped as pairs of reals as PyTorch
    does.

    The bare defaults are Keras 3's (η = 0.001, ρ = 0.9, ε = 1e-7 inside the root), the
    Keras a reader of the article installs today. The Keras its program was written for,
    multi-backend Keras 2.0, put ε = 1e-8 outside the root: ``RMSprop.preset("keras2.0")``.
    """

    State = RMSpropState
    HYPERPARAMETERS = (
        "learning_rate",
        "rho",
        "epsilon",
        "epsilon_in_sqrt",
        "initial_accumulator",
        "centered",
        "momentum",
        "nesterov",
        "lr_in_momentum",
        "weight_decay",
        "weight_decay_mode",
        "bias_correction",
        *GRADIENT_OPTIONS,
        *TRAINING_OPTIONS,
        "sparse_updates",
        "leaf_options",
    )

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        *,
        rho: float = 0.9,
        epsilon: float = 1e-7,
        epsilon_in_sqrt: bool = True,
        initial_accumulator: float = 0.0,
        centered: bool = False,
        momentum: float = 0.0,
        nesterov: bool = False,
        lr_in_momentum: bool = True,
        weight_decay: float = 0.0,
        weight_decay_mode: str = "decoupled",
        bias_correction: bool = False,
        loss_scale_factor: float | None = None,
        clipnorm: float | None = None,
        global_clipnorm: float | None = None,
        clipvalue: float | None = None,
        maximize: bool = False,
        clipvalue_first: bool = False,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        gradient_accumulation_steps: int | None = None,
        sparse_updates: str = "dense",
        leaf_options: Callable[[str], Mapping[str, Any]] | None = None,
        **unknown: Any,
    ):
        reject_unknown_keywords("RMSprop", unknown, self.HYPERPARAMETERS)
        self.learning_rate = check_learning_rate(learning_rate)
        self.rho = _number_or_function("rho", rho, check_fraction)
        self.epsilon = _number_or_function("epsilon", epsilon, check_non_negative)
        self.epsilon_in_sqrt = check_flag("epsilon_in_sqrt", epsilon_in_sqrt)
        self.initial_accumulator = check_non_negative("initial_accumulator", initial_accumulator)
        self.centered = check_flag("centered", centered)
        self.momentum = _number_or_function("momentum", momentum, check_fraction)
        self.nesterov = check_flag("nesterov", nesterov)
        if self.nesterov and not _switched_on(self.momentum):
            raise ValueError("nesterov=True needs momentum > 0; got momentum=0.0")
        self.lr_in_momentum = check_flag("lr_in_momentum", lr_in_momentum)
        self.weight_decay = _number_or_function("weight_decay", weight_decay, check_non_negative)
        self._varying = {name: _arity(getattr(self, name)) for name in VARYING if callable(getattr(self, name))}
        if weight_decay_mode not in WEIGHT_DECAY_MODES:
            raise ValueError(f"weight_decay_mode must be one of {WEIGHT_DECAY_MODES}; got {weight_decay_mode!r}")
        self.weight_decay_mode = weight_decay_mode
        self.bias_correction = check_flag("bias_correction", bias_correction)
        gradients = GradientOptions.checked(
            loss_scale_factor=loss_scale_factor,
            clipnorm=clipnorm,
            global_clipnorm=global_clipnorm,
            clipvalue=clipvalue,
            maximize=maximize,
            clipvalue_first=clipvalue_first,
        )
        for name, value in gradients._asdict().items():
            setattr(self, name, value)
        self._gradients = gradients if gradients.active else None
        training = TrainingOptions.checked(
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            gradient_accumulation_steps=gradient_accumulation_steps,
        )
        for name, value in training._asdict().items():
            setattr(self, name, value)
        self.training = training if training.active else None
        if sparse_updates not in SPARSE_UPDATES:
            raise ValueError(f"sparse_updates must be one of {SPARSE_UPDATES}; got {sparse_updates!r}")
        self.sparse_updates = sparse_updates
        if leaf_options is not None and not callable(leaf_options):
            raise ValueError(
                "leaf_options must be None or a function from a leaf's path (a str such as "
                f"\"params['dense']['bias']\") to a dict of options; got {leaf_options!r}"
            )
        self.leaf_options = leaf_options
        self._leaf_optimizers: dict[str, RMSprop] = {}
        self.leaf_optimizer = None if leaf_options is None else self._optimizer_for_leaf
        self._freeze()

    def at_step(self, step: int) -> RMSprop:
        """This optimizer with each hyper-parameter given as a function replaced by its value
        for update ``step`` (itself when none is a function)."""
        if not self._varying:
            return self
        values = {
            name: getattr(self, name)(step) if arity else getattr(self, name)() for name, arity in self._varying.items()
        }
        try:
            optimizer = RMSprop(**{**self.hyperparameters(), **values})
        except ValueError as error:
            raise ValueError(
                f"at step {step}, a hyper-parameter given as a function returned a bad value: {error}"
            ) from None
        if _switched_on(self.momentum) and optimizer.momentum == 0:
            raise ValueError(
                f"at step {step}, momentum (a function) returned 0, but the state holds a momentum buffer: "
                f"return a number in (0, 1), or give momentum=0.0 to run without momentum"
            )
        return optimizer

    def _optimizer_for_leaf(self, path: str) -> RMSprop:
        """The RMSprop that steps the leaf at ``path``: these options with ``leaf_options(path)``."""
        optimizer = self._leaf_optimizers.get(path)
        if optimizer is not None:
            return optimizer
        overrides = self.leaf_options(path)
        if not isinstance(overrides, Mapping):
            raise ValueError(f"leaf_options({path!r}) must return a dict of options; got {overrides!r}")
        unknown = sorted(set(overrides) - set(LEAF_OPTIONS))
        if unknown:
            raise ValueError(
                f"leaf_options({path!r}) sets {', '.join(unknown)}; a leaf can change only "
                f"{', '.join(LEAF_OPTIONS)} (the other options apply to the whole optimizer)"
            )
        settings = {**self.hyperparameters(), **overrides, "leaf_options": None}
        for name in GRADIENT_OPTIONS[:4]:  # the gradients are already unscaled and clipped, all together
            settings[name] = None
        if settings["momentum"] == 0:
            settings["nesterov"] = False
        try:
            optimizer = RMSprop(**settings)
        except ValueError as error:
            raise ValueError(f"leaf_options({path!r}): {error}") from None
        for name, on in (("momentum", optimizer.momentum > 0), ("centered", optimizer.centered)):
            if on and not getattr(self, name):
                raise ValueError(
                    f"leaf_options({path!r}) turns {name} on, but the optimizer has it off, so its state "
                    f"holds no buffer for it: turn {name} on for the optimizer and off for the leaves without it"
                )
        self._leaf_optimizers[path] = optimizer
        return optimizer

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> RMSprop:
        """RMSprop with the defaults and conventions of one source, optionally overridden.

        Frameworks: ``"keras"``, ``"torch"``, ``"tf1"``, ``"optax"``. Earlier releases:
        ``"keras2.0"``, ``"keras2.3"``, ``"tf_keras_legacy"``, ``"lua_torch"``. Papers:
        ``"graves2013"``, ``"hinton2012"``. TF1, Optax and Hinton's lecture fix no learning
        rate: pass ``learning_rate=``. The overrides are this class's options; to read a
        configuration written in a framework's own keywords (``lr``, ``decay``…), use
        :func:`rmsprop_ref.conventions.reference_settings`.
        """
        return cls(**preset_settings(name, **overrides))

    def prepare_gradients(self, grads, *, unscale: bool = True, clip: bool = True):
        """Unscale, then clip and negate the gradients as :mod:`rmsprop_ref.gradients` says,
        before the update (and before its weight decay)."""
        options = self._gradients
        if options is None:
            return grads
        if any(isinstance(g, SparseRows) for g in leaves(grads)):
            raise ValueError(
                "unscaling, clipping and maximize are not implemented for SparseRows gradients; "
                "pass them as dense arrays (SparseRows.dense)"
            )
        if unscale:
            grads = options.unscale(grads)
        return options.clip_and_negate(grads) if clip else grads

    def slot_fills(self):
        return [
            self.initial_accumulator,
            0.0 if self.centered else None,
            0.0 if _switched_on(self.momentum) else None,
            0.0 if self.use_ema else None,
            0.0 if self.gradient_accumulation_steps else None,
        ]

    def leaf_slot_count(self) -> int:
        return 3  # v, m, b; the average and the accumulator belong to rmsprop_ref.training

    def leaf_update(self, theta, g, mean_square, mean_grad, buffer, *, learning_rate, step):
        lr = learning_rate
        if self.weight_decay and self.weight_decay_mode == "coupled":
            g = g + self.weight_decay * theta
        if self.weight_decay and self.weight_decay_mode == "decoupled":
            # Keras's order of operations, θ − (θ·wd)·η, so that float32 results agree bit for bit.
            theta = theta - theta * self.weight_decay * lr

        rho = self.rho
        mean_square = rho * mean_square + (1 - rho) * (g * g)
        if mean_grad is not None:
            mean_grad = rho * mean_grad + (1 - rho) * g
        v, m = mean_square, mean_grad
        if self.bias_correction:
            correction = 1 - rho ** (step + 1)
            v = v / correction
            m = None if m is None else m / correction
        second_moment = v if m is None else v - m * m

        if self.epsilon_in_sqrt:
            denominator = np.sqrt(second_moment + self.epsilon)
        else:
            denominator = np.sqrt(second_moment) + self.epsilon
        if self.epsilon == 0:
            # With ε = 0 (Hinton's lecture) a coordinate whose gradients have all been exactly
            # 0 has v = 0 and would compute 0/0. It has had no gradient, so it does not move:
            # the ε → 0 limit. A zero denominator becomes ∞, and g/∞ = 0.
            if (denominator == 0).any():  # checked first: np.where would make a scalar an array
                denominator = np.where(denominator == 0, np.inf, denominator)

        # η·g / denominator is evaluated as (η·g) / denominator, the order Keras and
        # PyTorch (addcdiv) use, so float32 results round the same way as theirs.
        if buffer is None:
            return theta - lr * g / denominator, mean_square, mean_grad, None
        mu = self.momentum
        if self.lr_in_momentum:
            increment = lr * g / denominator
            buffer = mu * buffer + increment
            step_taken = increment + mu * buffer if self.nesterov else buffer
        else:
            scaled = g / denominator
            buffer = mu * buffer + scaled
            step_taken = lr * (scaled + mu * buffer) if self.nesterov else lr * buffer
        return theta - step_taken, mean_square, mean_grad, buffer


#: The hyper-parameters that may also be a function, called before each update: of the
#: update count (as a learning-rate schedule is, and as optax.inject_hyperparams allows for
#: every numeric one) or of nothing (legacy tf.keras's callables for rho, momentum, epsilon).
VARYING = ("rho", "epsilon", "momentum", "weight_decay")


def _arity(function: Callable) -> int:
    """1 for a function of the step count, 0 for one of nothing; anything else is an error."""
    for arity, args in ((1, (0,)), (0, ())):
        try:
            inspect.signature(function).bind(*args)
            return arity
        except TypeError:
            continue
        except ValueError:  # no signature (a builtin): call it with the step
            return 1
    raise ValueError(f"{function!r} must take the step count or nothing")


def _number_or_function(name: str, value: Any, check: Callable[[str, Any], float]) -> Any:
    """A checked number, or a function of the step count (or of nothing) kept as it is."""
    if callable(value) and not isinstance(value, type):
        try:
            _arity(value)
        except ValueError:
            raise ValueError(
                f"{name} given as a function must take the step count or nothing; {value!r} takes neither"
            ) from None
        return value
    return check(name, value)


def _switched_on(momentum: Any) -> bool:
    """Whether momentum is on: a number > 0, or a function (legacy tf.keras keeps the buffer)."""
    return callable(momentum) or momentum > 0


#: What ``leaf_options`` may change for one leaf: the options of PyTorch's parameter groups
#: (and Keras's exclusion from weight decay, ``weight_decay=0``). The others, conventions and
#: the gradients' unscaling and clipping, belong to the whole optimizer.
LEAF_OPTIONS = ("learning_rate", "rho", "epsilon", "weight_decay", "momentum", "centered", "maximize")


def preset_settings(name: str, **overrides: Any) -> dict[str, Any]:
    """The keyword arguments of :class:`RMSprop` for preset ``name`` with ``overrides`` applied.

    A preset whose convention depends on another option (legacy tf.keras puts ε inside the
    root only with momentum) applies its ``rule`` after the overrides, unless the override
    sets that convention itself.
    """
    settings = apply_preset(name, overrides)
    if settings.get("learning_rate") is None:
        raise TypeError(f"RMSprop.preset({name!r}) needs learning_rate=: {PRESETS[name]['source']} has no default")
    return settings


def apply_preset(name: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Preset ``name``'s settings, then ``overrides``, then the preset's rule; no other check."""
    if name not in PRESETS:
        raise ValueError(f"unknown RMSprop preset {name!r}; valid presets: {', '.join(PRESETS)}")
    preset = PRESETS[name]
    settings = {**preset["settings"], **overrides}
    rule = preset.get("rule")
    return rule(settings) if rule else settings


def _one_clip_only(settings: dict[str, Any]) -> dict[str, Any]:
    """Keras 3 refuses more than one of clipnorm, global_clipnorm and clipvalue
    (base_optimizer.py); the Kerases before it combined a norm clip with clipvalue."""
    given = [name for name in ("clipnorm", "global_clipnorm", "clipvalue") if settings.get(name) is not None]
    if len(given) > 1:
        raise ValueError(f"Keras 3 takes only one of clipnorm, global_clipnorm and clipvalue; got {', '.join(given)}")
    return settings


def _fused_kernel_with_momentum(settings: dict[str, Any]) -> dict[str, Any]:
    """Legacy tf.keras: without momentum its own Python code adds ε outside the root,
    g/(√v + ε), and decays every row of v for a sparse gradient; with momentum it calls
    TensorFlow's fused (Sparse)ApplyRMSProp kernel, which adds ε inside, g/√(v + ε), and
    updates only a sparse gradient's rows."""
    momentum = settings.get("momentum", 0.0)
    fused = callable(momentum) or (is_real(momentum) and momentum > 0)  # a callable counts as on
    settings.setdefault("epsilon_in_sqrt", fused)
    settings.setdefault("sparse_updates", "lazy" if fused else "dense")
    return settings


#: Each source's defaults and conventions. ``kind`` is "framework" (a current release),
#: "release" (an earlier one, read from its code) or "paper"; ``source`` cites it;
#: ``settings`` are RMSprop's options (``learning_rate: None``: the source fixes none);
#: ``rule``, where present, sets a convention that depends on other options.
PRESETS: dict[str, dict[str, Any]] = {
    "keras": {
        "kind": "framework",
        "source": "Keras 3 keras.optimizers.RMSprop (and tf.keras >= 2.11)",
        "settings": dict(
            learning_rate=0.001,
            rho=0.9,
            epsilon=1e-7,
            epsilon_in_sqrt=True,
            initial_accumulator=0.0,
            lr_in_momentum=True,
            weight_decay_mode="decoupled",
        ),
        "rule": _one_clip_only,
    },
    "torch": {
        "kind": "framework",
        "source": "PyTorch torch.optim.RMSprop",
        "settings": dict(
            learning_rate=0.01,
            rho=0.99,
            epsilon=1e-8,
            epsilon_in_sqrt=False,
            initial_accumulator=0.0,
            lr_in_momentum=False,
            weight_decay_mode="coupled",
        ),
    },
    "tf1": {
        "kind": "framework",
        "source": "TensorFlow 1 tf.compat.v1.train.RMSPropOptimizer",
        "settings": dict(
            learning_rate=None,
            rho=0.9,
            epsilon=1e-10,
            epsilon_in_sqrt=True,
            initial_accumulator=1.0,
            lr_in_momentum=True,
            sparse_updates="lazy",
        ),
    },
    "optax": {
        "kind": "framework",
        "source": "Optax optax.rmsprop",
        "settings": dict(
            learning_rate=None,
            rho=0.9,
            epsilon=1e-8,
            epsilon_in_sqrt=True,
            initial_accumulator=0.0,
            lr_in_momentum=True,
        ),
    },
    "keras2.0": {
        "kind": "release",
        "source": (
            "multi-backend Keras 2.0.0 to 2.1.2, keras/optimizers.py, class RMSprop "
            "(the Keras of the article's program)"
        ),
        "settings": dict(
            learning_rate=0.001,
            rho=0.9,
            epsilon=1e-8,
            epsilon_in_sqrt=False,
            initial_accumulator=0.0,
        ),
    },
    "keras2.3": {
        "kind": "release",
        "source": (
            "multi-backend Keras 2.1.3 to 2.3.1, keras/optimizers.py, class RMSprop "
            "(epsilon defaults to K.epsilon() = 1e-7)"
        ),
        "settings": dict(
            learning_rate=0.001,
            rho=0.9,
            epsilon=1e-7,
            epsilon_in_sqrt=False,
            initial_accumulator=0.0,
        ),
    },
    "tf_keras_legacy": {
        "kind": "release",
        "source": (
            "tf.keras up to 2.10 (keras/optimizers/optimizer_v2/rmsprop.py, read at Keras v2.6.0 to v2.10.0; "
            "before 2.6 the file lived in TensorFlow's own tree, not read at its tags), "
            "tf.keras.optimizers.legacy.RMSprop and tf_keras.optimizers.legacy.RMSprop after it"
        ),
        "settings": dict(
            learning_rate=0.001,
            rho=0.9,
            epsilon=1e-7,
            initial_accumulator=0.0,
            lr_in_momentum=True,
            clipvalue_first=True,
        ),
        "rule": _fused_kernel_with_momentum,
    },
    "lua_torch": {
        "kind": "release",
        "source": (
            "Lua Torch optim.rmsprop (torch/optim, rmsprop.lua): v starts at 0, set by "
            "config.initialMean since commit 0154acd (2016-09-06); between 9c08fde "
            "(2016-06-08) and 824152a (2016-09-06) it started at 1"
        ),
        "settings": dict(
            learning_rate=0.01,
            rho=0.99,
            epsilon=1e-8,
            epsilon_in_sqrt=False,
            initial_accumulator=0.0,
            weight_decay_mode="coupled",
        ),
    },
    "graves2013": {
        "kind": "paper",
        "source": "Graves (2013), Generating sequences with recurrent neural networks, eqs. 38-45",
        "settings": dict(
            learning_rate=1e-4,
            rho=0.95,
            epsilon=1e-4,
            epsilon_in_sqrt=True,
            centered=True,
            momentum=0.9,
            lr_in_momentum=True,
        ),
    },
    "hinton2012": {
        "kind": "paper",
        "source": "Tieleman & Hinton (2012), Neural Networks for Machine Learning, lecture 6e",
        "settings": dict(learning_rate=None, rho=0.9, epsilon=0.0, epsilon_in_sqrt=True, initial_accumulator=0.0),
    },
}
