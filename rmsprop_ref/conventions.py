r"""The frameworks' RMSprop conventions side by side, and translating settings between them.

Every framework spells RMSprop's hyper-parameters its own way (the keywords below are
those that change the maths) and fixes some conventions that no keyword changes:

Keras
    ``learning_rate rho epsilon momentum centered weight_decay``, on the gradients
    ``loss_scale_factor clipnorm global_clipnorm clipvalue``, and around the step
    ``use_ema ema_momentum ema_overwrite_frequency gradient_accumulation_steps``; fixed:
    ε inside √, v₀ = 0, η inside the momentum buffer b, decoupled weight decay
PyTorch
    ``lr alpha eps momentum centered weight_decay maximize``; fixed: ε outside √, v₀ = 0,
    η outside b, coupled L2 weight decay
TF1
    ``learning_rate decay epsilon momentum centered``; fixed: ε inside √, v₀ = 1, η inside b
Optax
    ``learning_rate decay eps initial_scale eps_in_sqrt centered momentum nesterov
    bias_correction``; fixed: η inside b

:func:`reference_settings` reads one framework's spelling into the keyword arguments of
:class:`rmsprop_ref.rmsprop.RMSprop`, whose options name every convention; the fixed conventions
come from :data:`rmsprop_ref.rmsprop.PRESETS`, so this module cannot drift from the
presets. :func:`translate` writes those settings back out in another framework's spelling:
exactly where the target can express them, otherwise the closest settings together with
the differences that remain, in words. :func:`conventions_table` builds the book's table
of conventions from the same two sources.

Two translations are not copies of a value:

* ε outside the root, g/(√v + ε), to ε' inside, g/√(v + ε'), uses ε' = ε² (and back,
  ε = √ε'). The two denominators are then equal where v = 0 and where v ≫ ε², and
  (√v + ε)/√(v + ε²) ≤ √2 everywhere, with the worst case at √v = ε.
* η outside the momentum buffer (PyTorch: b ← μ·b + u, θ ← θ − η·b) and inside it (b ← μ·b
  + η·u, θ ← θ − b) give the same trajectory while η is constant: the buffers differ by the
  factor η. Under a schedule they differ, because PyTorch rescales the whole buffer by the
  new η while the others scale only the new term.
"""

from __future__ import annotations

import html
import inspect
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .gradients import CLIPPING
from .rmsprop import PRESETS, RMSprop, _arity, apply_preset
from .schedules import CalledEachStep, LegacyDecay

#: The frameworks of today, in the book's order: sources and targets of :func:`translate`.
FRAMEWORKS = ("keras", "torch", "tf1", "optax")
#: Earlier releases whose keywords :func:`reference_settings` reads (and :func:`translate`
#: translates from): multi-backend Keras 2, legacy tf.keras and Lua Torch.
RELEASES = ("keras2.0", "keras2.3", "tf_keras_legacy", "lua_torch")
#: Every source whose keywords :func:`reference_settings` reads.
SOURCES = FRAMEWORKS + RELEASES

# Keras 2's and legacy tf.keras's ``decay``: not an RMSprop option but an inverse-time decay
# of η (rmsprop_ref.schedules.LegacyDecay), so it has a name of its own in SPELLINGS.
LEARNING_RATE_DECAY = "learning_rate_decay"

#: Each source's keyword -> the rmsprop_ref.RMSprop option it sets (or LEARNING_RATE_DECAY).
#: Only keywords that change the maths: names, locking, foreach and the like are left out
#: on purpose.
SPELLINGS: dict[str, dict[str, str]] = {
    "keras": {
        "learning_rate": "learning_rate",
        "rho": "rho",
        "epsilon": "epsilon",
        "momentum": "momentum",
        "centered": "centered",
        "weight_decay": "weight_decay",
        "loss_scale_factor": "loss_scale_factor",
        "clipnorm": "clipnorm",
        "global_clipnorm": "global_clipnorm",
        "clipvalue": "clipvalue",
        "use_ema": "use_ema",
        "ema_momentum": "ema_momentum",
        "ema_overwrite_frequency": "ema_overwrite_frequency",
        "gradient_accumulation_steps": "gradient_accumulation_steps",
    },
    "torch": {
        "lr": "learning_rate",
        "alpha": "rho",
        "eps": "epsilon",
        "momentum": "momentum",
        "centered": "centered",
        "weight_decay": "weight_decay",
        "maximize": "maximize",
    },
    "tf1": {
        "learning_rate": "learning_rate",
        "decay": "rho",
        "epsilon": "epsilon",
        "momentum": "momentum",
        "centered": "centered",
    },
    "optax": {
        "learning_rate": "learning_rate",
        "decay": "rho",
        "eps": "epsilon",
        "initial_scale": "initial_accumulator",
        "eps_in_sqrt": "epsilon_in_sqrt",
        "centered": "centered",
        "momentum": "momentum",
        "nesterov": "nesterov",
        "bias_correction": "bias_correction",
    },
    # Keras 2.0.0-2.2.5 spelled η only ``lr``; 2.3 renamed it and kept ``lr`` working. Keras
    # 2's clipnorm clips the norm of all the gradients together: Keras 3's global_clipnorm.
    "keras2.0": {
        "lr": "learning_rate",
        "rho": "rho",
        "epsilon": "epsilon",
        "decay": LEARNING_RATE_DECAY,
        "clipnorm": "global_clipnorm",
        "clipvalue": "clipvalue",
    },
    "keras2.3": {
        "learning_rate": "learning_rate",
        "lr": "learning_rate",
        "rho": "rho",
        "epsilon": "epsilon",
        "decay": LEARNING_RATE_DECAY,
        "clipnorm": "global_clipnorm",
        "clipvalue": "clipvalue",
    },
    "tf_keras_legacy": {
        "learning_rate": "learning_rate",
        "lr": "learning_rate",
        "rho": "rho",
        "momentum": "momentum",
        "epsilon": "epsilon",
        "centered": "centered",
        "decay": LEARNING_RATE_DECAY,
        "clipnorm": "clipnorm",
        "global_clipnorm": "global_clipnorm",
        "clipvalue": "clipvalue",
    },
    "lua_torch": {
        "learningRate": "learning_rate",
        "alpha": "rho",
        "epsilon": "epsilon",
        "weightDecay": "weight_decay",
        "initialMean": "initial_accumulator",
    },
}

NAMES = {
    "keras": "Keras",
    "torch": "PyTorch",
    "tf1": "TF1",
    "optax": "Optax",
    "keras2.0": "Keras 2.0",
    "keras2.3": "Keras 2.3",
    "tf_keras_legacy": "legacy tf.keras",
    "lua_torch": "Lua Torch",
}
CONSTRUCTORS = {
    "keras": "keras.optimizers.RMSprop",
    "torch": "torch.optim.RMSprop",
    "tf1": "tf.compat.v1.train.RMSPropOptimizer",
    "optax": "optax.rmsprop",
    "keras2.0": "keras.optimizers.RMSprop",
    "keras2.3": "keras.optimizers.RMSprop",
    "tf_keras_legacy": "tf.keras.optimizers.legacy.RMSprop",
    "lua_torch": "optim.rmsprop",
}

# How a source reads some keywords beyond their plain value (from each release's code):
# ``lr`` wins over ``learning_rate`` (Keras 2.3: kwargs.pop('lr', learning_rate); legacy
# tf.keras: kwargs.get("lr", learning_rate)), and legacy tf.keras replaces a falsy epsilon
# (0 or None) by 1e-7 (``epsilon or backend_config.epsilon()``), as Keras 2.1.3-2.2.5 did
# for None. Lua Torch's optim reads a missing or nil field as its default.
_LR_WINS = ("keras2.3", "tf_keras_legacy")
_EPSILON_DEFAULT_WHEN = {"tf_keras_legacy": (0, None), "keras2.3": (None,)}

# rmsprop_ref.RMSprop's own defaults (read from its signature), for the options a preset leaves unset.
_BASE = {
    name: parameter.default
    for name, parameter in inspect.signature(RMSprop.__init__).parameters.items()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY
}


# Other frameworks' names for an option, so an error can say how this framework spells it.
_OPTION_ALIASES = {
    "lr": "learning_rate",
    "alpha": "rho",
    "decay": "rho",
    "eps": "epsilon",
    "initial_scale": "initial_accumulator",
    "eps_in_sqrt": "epsilon_in_sqrt",
}


def _check_framework(argument: str, value: Any, accepted: tuple[str, ...] = FRAMEWORKS) -> str:
    if value not in accepted:
        raise ValueError(f"{argument} must be one of {', '.join(map(repr, accepted))}; got {value!r}")
    return value


def _framework_defaults(framework: str, **options: Any) -> dict[str, Any]:
    """Every RMSprop option as the source sets it when given no keywords but ``options``."""
    return {**_BASE, **apply_preset(framework, options)}


def reference_settings(settings: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The keyword arguments of :class:`rmsprop_ref.rmsprop.RMSprop` that compute what ``source`` does.

    ``source`` is a framework (:data:`FRAMEWORKS`) or an earlier release (:data:`RELEASES`).
    ``settings`` are keyword arguments in ``source``'s spelling (e.g. PyTorch's ``lr``,
    ``alpha``); the ones left out take the source's defaults. ``RMSprop(**result)`` is
    the NumPy twin of that optimizer. A release's keywords mean what its code made of them:
    Keras 2's and legacy tf.keras's ``decay`` becomes a
    :class:`~rmsprop_ref.schedules.LegacyDecay` schedule, their ``lr`` wins over
    ``learning_rate``, and legacy tf.keras replaces ``epsilon=0`` (or None) by 1e-7.
    """
    _check_framework("source", source, SOURCES)
    if not isinstance(settings, Mapping):
        raise ValueError(f"settings must be a mapping of keyword arguments; got {type(settings).__name__}")
    spelling = SPELLINGS[source]
    unknown = [key for key in settings if key not in spelling]
    if unknown:
        hints = []
        for key in unknown:
            spelled = [k for k, option in spelling.items() if option == _OPTION_ALIASES.get(key, key)]
            if spelled:
                hints.append(f"{key!r} is spelled {spelled[0]!r} in {NAMES[source]}")
        hint = f" ({'; '.join(hints)})" if hints else ""
        raise ValueError(
            f"unknown keyword(s) for {source} ({CONSTRUCTORS[source]}): {', '.join(map(repr, unknown))}{hint}; "
            f"accepted: {', '.join(spelling)}"
        )
    options: dict[str, Any] = {}
    # ``lr`` last where it wins over ``learning_rate``.
    for key in sorted(settings, key=lambda k: source in _LR_WINS and k == "lr"):
        value = settings[key]
        if key == "weight_decay" and value is None:  # Keras's "no weight decay"
            value = 0.0
        if key == "momentum" and value is None:  # Optax's "no momentum"
            value = 0.0
        if spelling[key] == "epsilon" and any(value is v or value == v for v in _EPSILON_DEFAULT_WHEN.get(source, ())):
            value = _framework_defaults(source)["epsilon"]
        options[spelling[key]] = value
    clips = [key for key in settings if spelling[key] in CLIPPING and settings[key] is not None]
    if source == "keras" and len(clips) > 1:  # Keras 3's own check
        raise ValueError(
            f"keras settings: only one of clipnorm, clipvalue and global_clipnorm can be set; got {', '.join(clips)}"
        )
    if source == "tf_keras_legacy" and callable(options.get("epsilon")):
        # Its docstring allows a callable epsilon, but its code converts epsilon to a tensor
        # as it is (optimizer_v2/rmsprop.py, _prepare_local), which fails at the first apply.
        raise ValueError(
            "tf_keras_legacy settings: epsilon must be a number; legacy tf.keras documents a callable "
            "epsilon, but its code cannot use one (tf.convert_to_tensor fails at the first update)"
        )
    rate = options.get("learning_rate")
    if source == "tf_keras_legacy" and callable(rate) and _arity(rate) == 0:
        options["learning_rate"] = CalledEachStep(rate)  # tf.keras calls it with no argument
    decay = options.pop(LEARNING_RATE_DECAY, 0.0)
    resolved = _framework_defaults(source, **options)
    result = {"learning_rate": resolved.pop("learning_rate"), **resolved}
    if result["learning_rate"] is None:
        raise ValueError(f"settings for {source} need 'learning_rate': {CONSTRUCTORS[source]} has no default")
    try:
        if decay is None or decay != 0:
            result["learning_rate"] = LegacyDecay(result["learning_rate"], decay)
        RMSprop(**result)  # the value checks, in one place
    except ValueError as error:
        option = str(error).split()[0]
        keyword = {o: k for k, o in spelling.items()}.get(option, option)
        alias = f" ({option} is {NAMES[source]}'s {keyword!r})" if keyword != option else ""
        raise ValueError(f"{source} settings: {error}{alias}") from None
    return result


# --------------------------------------------------------------------------- translation


@dataclass(frozen=True)
class Translation:
    """Keyword arguments for ``target`` and how faithful they are.

    ``exact``: these arguments alone make ``target`` compute the same trajectory as
    ``source`` (up to floating-point rounding). Otherwise ``differences`` says, in words,
    what still differs and how to close the gap outside the optimizer where that is possible.
    ``notes`` are caveats that do not apply to the settings as given (e.g. "this would differ
    under a learning-rate schedule").
    """

    source: str
    target: str
    kwargs: Mapping[str, Any]
    exact: bool
    differences: tuple[str, ...]
    notes: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))  # the source's keywords

    def call(self) -> str:
        """The target's constructor call as Python source, e.g. ``torch.optim.RMSprop(params, lr=0.001, ...)``."""
        return _call(self.target, self.kwargs)

    def markdown(self) -> str:
        """The recipe as Markdown: source call, target call, whether it is exact, what differs."""
        verdict = "exact" if self.exact else "not exact"
        lines = [
            f"**{NAMES[self.source]} → {NAMES[self.target]}** ({verdict}). From `{_call(self.source, self.settings)}`:",
            "",
            "```python",
            _call(self.target, self.kwargs, width=72),
            "```",
            "",
        ]
        lines += [f"- {text}" for text in self.differences]
        lines += [f"- Note: {text}" for text in self.notes]
        return "\n".join(lines).rstrip() + "\n"


def _call(framework: str, kwargs: Mapping[str, Any], width: int | None = None) -> str:
    """The constructor call as source; longer than ``width``, one argument per line."""
    args = [f"{k}={_literal(v)}" for k, v in kwargs.items()]
    if framework == "lua_torch":  # optim.rmsprop(opfunc, x, config): the keywords are a Lua table
        return f"{CONSTRUCTORS[framework]}(opfunc, x, {{{', '.join(args)}}})"
    args = (["params"] if framework == "torch" else []) + args
    one_line = f"{CONSTRUCTORS[framework]}({', '.join(args)})"
    if width is None or len(one_line) <= width:
        return one_line
    return f"{CONSTRUCTORS[framework]}(\n" + "".join(f"    {arg},\n" for arg in args) + ")"


def _literal(value: Any) -> str:
    return repr(value) if not callable(value) else "schedule"


def _tidy(value: float) -> float:
    """Round to 15 significant digits, so 1e-8² reads 1e-16 (a change far below float64 rounding of ε)."""
    return float(f"{value:.15g}")


def _g(value: float) -> str:
    return f"{value:.6g}"


def _steps_to_forget(rho: float, fraction: float = 0.01) -> int:
    """The number of steps t after which ρᵗ < fraction: how long a start value lingers in v."""
    return math.ceil(math.log(fraction) / math.log(rho)) if rho > 0 else 1


def translate(settings: Mapping[str, Any], source: str, target: str) -> Translation:
    """Translate RMSprop settings from ``source``'s spelling to ``target``'s keyword arguments.

    ``target`` is ``"keras"``, ``"torch"``, ``"tf1"`` or ``"optax"``; ``source`` is one of
    them or an earlier release (``"keras2.0"``, ``"keras2.3"``, ``"tf_keras_legacy"``,
    ``"lua_torch"``), for porting old code.
    ``settings`` holds ``source``'s keywords (only those that change the maths, see
    :data:`SPELLINGS`); the ones left out take ``source``'s defaults, and the result states
    every value explicitly (PyTorch's ``alpha`` default 0.99 becomes Keras's ``rho=0.99``,
    not Keras's default 0.9). Unknown frameworks or keywords raise ValueError.
    """
    _check_framework("target", target)
    wanted = reference_settings(settings, source)
    fixed = _framework_defaults(target)
    spelling = {option: key for key, option in SPELLINGS[target].items()}
    src, tgt = NAMES[source], NAMES[target]
    differences: list[str] = []
    notes: list[str] = []

    # Hyper-parameters given as functions (legacy tf.keras's callables): no target's RMSprop
    # constructor calls them, so the translation uses their first value and says so.
    given = RMSprop(**wanted)
    varying = given._varying
    if varying:
        first = given.at_step(0).hyperparameters()
        for name in varying:
            wanted[name] = first[name]
            differences.append(
                f"{src} calls a function for {name} before each update; {tgt}'s RMSprop takes a number, so this "
                f"is its first value, {_g(first[name])}: change it between updates yourself to follow the function."
            )
    options = dict(wanted)

    # ε placement: the one convention that a different value of ε can approximate.
    eps = wanted["epsilon"]
    if wanted["epsilon_in_sqrt"] != fixed["epsilon_in_sqrt"] and "epsilon_in_sqrt" not in spelling and eps > 0:
        if wanted["epsilon_in_sqrt"]:
            options["epsilon"], inside, outside = _tidy(math.sqrt(eps)), eps, _tidy(math.sqrt(eps))
            where = f"{src} adds ε = {_g(eps)} inside the square root, g/√(v + ε); {tgt} adds it outside, g/(√v + ε')"
        else:
            options["epsilon"], inside, outside = _tidy(eps * eps), _tidy(eps * eps), eps
            where = f"{src} adds ε = {_g(eps)} outside the square root, g/(√v + ε); {tgt} adds it inside, g/√(v + ε')"
        differences.append(
            f"{where}. With ε' = {_g(options['epsilon'])} the denominators agree where v = 0 and where "
            f"v ≫ {_g(inside)}, and differ by at most a factor √2 (at √v = {_g(outside)})."
        )

    # Where v starts.
    start, fixed_start = wanted["initial_accumulator"], fixed["initial_accumulator"]
    if start != fixed_start and "initial_accumulator" not in spelling:
        smaller = src if start > fixed_start else tgt
        differences.append(
            f"v starts at {_g(start)} in {src} but at {_g(fixed_start)} in {tgt}, and no {tgt} keyword changes that: "
            f"{smaller}'s early steps are smaller wherever g² is small next to the start value. The start fades "
            f"as ρᵗ: with ρ = {_g(wanted['rho'])}, {_steps_to_forget(wanted['rho'])} steps until less than 1% of it is left."
        )

    # η inside or outside the momentum buffer.
    if wanted["momentum"] > 0 and wanted["lr_in_momentum"] != fixed["lr_in_momentum"]:
        outside, inside = (src, tgt) if not wanted["lr_in_momentum"] else (tgt, src)
        text = (
            f"{outside} keeps η outside the momentum buffer (b ← μ·b + u, θ ← θ − η·b), {inside} inside "
            f"(b ← μ·b + η·u, θ ← θ − b): the same while η is constant"
        )
        if callable(wanted["learning_rate"]):
            differences.append(
                text + f", but under this schedule every change of η rescales {outside}'s whole "
                f"buffer and only {inside}'s newest term."
            )
        else:
            notes.append(
                text + f"; under a learning-rate schedule they differ (a change of η rescales {outside}'s "
                f"whole buffer but only {inside}'s newest term)."
            )

    # Weight decay: coupled L2 (PyTorch), decoupled (Keras), or none.
    decay = wanted["weight_decay"]
    if decay > 0:
        same_kind = "weight_decay" in spelling and wanted["weight_decay_mode"] == fixed["weight_decay_mode"]
        if not same_kind:
            options["weight_decay"] = 0.0
            differences.append(_weight_decay_difference(wanted, source, target))

    # Keras 2's and legacy tf.keras's ``decay``: the target writes it as a schedule.
    rate = wanted["learning_rate"]
    if isinstance(rate, LegacyDecay):
        notes.append(_decay_recipe(rate, src, target))

    # Sparse gradients (embedding rows): updated lazily or densely.
    if wanted["sparse_updates"] != fixed["sparse_updates"]:
        lazy, dense = (src, tgt) if wanted["sparse_updates"] == "lazy" else (tgt, src)
        notes.append(
            f"For a sparse gradient (some rows, like tf.IndexedSlices) {lazy} updates only those rows and "
            f"their buffers, while {dense} decays every row's v and moves the others through their momentum; "
            f"dense gradients are not affected."
        )

    # What the target does not do to the gradients itself.
    differences += _gradient_differences(wanted, options, spelling, src, tgt, target)

    # Options only Optax has.
    if wanted["nesterov"] and "nesterov" not in spelling:
        options["nesterov"] = False
        differences.append(
            f"{src} uses Nesterov momentum (θ ← θ − (η·u + μ·b) with the new b); {tgt} has no Nesterov "
            f"option for RMSprop, so this is plain momentum."
        )
    if wanted["bias_correction"] and "bias_correction" not in spelling:
        options["bias_correction"] = False
        differences.append(
            f"{src} divides v by 1 − ρᵗ (bias correction); {tgt} does not, so its early steps are larger, the first "
            f"by up to 1/√(1 − ρ) = {_g(1 / math.sqrt(1 - wanted['rho']))} times."
        )

    kwargs = {
        key: _framework_value(target, key, options[option])
        for option, key in spelling.items()
        if _worth_stating(key, options[option]) and (key != "ema_momentum" or options["use_ema"])
    }
    return Translation(
        source,
        target,
        MappingProxyType(kwargs),
        not differences,
        tuple(differences),
        tuple(notes),
        MappingProxyType(dict(settings)),
    )


def spell(framework: str, **options: Any) -> dict[str, Any]:
    """:class:`rmsprop_ref.rmsprop.RMSprop` options in ``framework``'s keywords, e.g. ``spell("torch", rho=0.9)``
    is ``{"alpha": 0.9}``. An option the framework has no keyword for is a ValueError."""
    _check_framework("framework", framework)
    keyword = {option: key for key, option in SPELLINGS[framework].items()}
    missing = [name for name in options if name not in keyword]
    if missing:
        raise ValueError(
            f"{NAMES[framework]} has no keyword for {', '.join(map(repr, missing))}; it spells: {', '.join(keyword)}"
        )
    # The values must make a valid RMSprop: its checks name the option and what it accepts
    # (rho=5 or rho="x" would otherwise be spelled into the framework's keyword as given).
    RMSprop(**options)
    return {keyword[name]: _framework_value(framework, keyword[name], value) for name, value in options.items()}


# How each framework clips outside its RMSprop, for the options it has no keyword for.
_CLIP_RECIPES = {
    "torch": {
        "clipnorm": "torch.nn.utils.clip_grad_norm_(p, {v}) on each parameter p before optimizer.step()",
        "global_clipnorm": "torch.nn.utils.clip_grad_norm_(model.parameters(), {v}) before optimizer.step()",
        "clipvalue": "torch.nn.utils.clip_grad_value_(model.parameters(), {v}) before optimizer.step()",
    },
    "tf1": {
        "clipnorm": "tf.clip_by_norm(g, {v}) on each gradient before apply_gradients",
        "global_clipnorm": "tf.clip_by_global_norm(grads, {v}) before apply_gradients",
        "clipvalue": "tf.clip_by_value(g, -{v}, {v}) before apply_gradients",
    },
    "optax": {
        "clipnorm": "Optax has no per-leaf norm clip (clip_by_block_rms divides by the RMS, not the norm), "
        "so scale each leaf g to g·{v}/max(‖g‖, {v}) yourself",
        "global_clipnorm": "optax.chain(optax.clip_by_global_norm({v}), optax.rmsprop(...))",
        "clipvalue": "optax.chain(optax.clip({v}), optax.rmsprop(...))",
    },
}


def _gradient_differences(wanted: dict, options: dict, spelling: dict, src: str, tgt: str, target: str) -> list[str]:
    """The gradient options the target has no keyword for: left out, with the recipe."""
    differences = []
    for name in CLIPPING:
        value = wanted[name]
        if value is not None and name not in spelling:
            options[name] = None
            recipe = _CLIP_RECIPES[target][name].format(v=_g(value))
            differences.append(f"{src} clips the gradients ({name}={_g(value)}); {tgt}'s RMSprop does not: {recipe}.")
    scale = wanted["loss_scale_factor"]
    if scale is not None and "loss_scale_factor" not in spelling:
        options["loss_scale_factor"] = None
        differences.append(
            f"{src} divides the gradients by loss_scale_factor={_g(scale)} (they come from a loss multiplied by it); "
            f"{tgt}'s RMSprop does not: divide the loss or the gradients by {_g(scale)} yourself."
        )
    steps = wanted["gradient_accumulation_steps"]
    if steps and "gradient_accumulation_steps" not in spelling:
        options["gradient_accumulation_steps"] = None
        how = {
            "optax": f"optax.MultiSteps(optimizer, every_k_schedule={steps}) averages them the same way",
        }.get(target, f"sum the gradients of {steps} batches, divide by {steps} and then step")
        differences.append(
            f"{src} steps once every {steps} batches with their mean gradient; {tgt}'s RMSprop "
            f"steps on every call: {how}."
        )
    if wanted["use_ema"] and "use_ema" not in spelling:
        options["use_ema"] = False
        mu = _g(wanted["ema_momentum"])
        how = {
            "torch": f"torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn({mu})), "
            "updated after every step, keeps the same average",
        }.get(target, f"keep a ← {mu}·a + (1 − {mu})·θ after every update yourself, starting from a copy of θ")
        overwrite = wanted["ema_overwrite_frequency"]
        if overwrite:
            how += f", and copy it into the parameters every {overwrite} updates"
        differences.append(f"{src} keeps a moving average of the weights (use_ema); {tgt}'s RMSprop does not: {how}.")
    if wanted["maximize"] and "maximize" not in spelling:
        options["maximize"] = False
        differences.append(f"{src} maximizes (it negates the gradient); {tgt} minimizes: negate the loss yourself.")
    return differences


def _decay_recipe(rate: LegacyDecay, source_name: str, target: str) -> str:
    """How ``target`` writes ``source``'s inverse-time ``decay`` of η, as a schedule."""
    d = _g(rate.decay)
    what = f"{source_name}'s decay={d} makes η_t = η / (1 + {d}·t), t the updates done so far"
    if callable(rate.learning_rate):
        return f"{what}, here laid over a schedule: pass the target a schedule that computes both."
    lr = _g(rate.learning_rate)
    recipes = {
        "keras": f"keras.optimizers.schedules.InverseTimeDecay({lr}, decay_steps=1, decay_rate={d})",
        "torch": f"torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1 / (1 + {d} * t)), stepped after each update",
        "tf1": f"tf.compat.v1.train.inverse_time_decay({lr}, global_step, decay_steps=1, decay_rate={d})",
        "optax": f"learning_rate=lambda count: {lr} / (1 + {d} * count)",
    }
    return f"{what}; in {NAMES[target]}: {recipes[target]}."


def _weight_decay_difference(wanted: dict, source: str, target: str) -> str:
    src, tgt = NAMES[source], NAMES[target]
    decay, rate = wanted["weight_decay"], wanted["learning_rate"]
    own = {
        "coupled": "coupled L2 (g ← g + wd·θ before the RMS scaling)",
        "decoupled": "decoupled (θ ← θ − η·wd·θ, applied before the step)",
    }
    what = f"{src}'s weight_decay={_g(decay)} is {own[wanted['weight_decay_mode']]}"
    if target in ("tf1", "optax"):
        theirs = f"{tgt}'s RMSprop has no weight decay"
    else:
        theirs = (
            f"{tgt}'s weight_decay is {own[_framework_defaults(target)['weight_decay_mode']]}, a different regularizer"
        )
    if wanted["weight_decay_mode"] == "coupled":
        recipe = f"For the same trajectory add (wd/2)·Σθ² = {_g(decay / 2)}·Σθ² to the loss (its gradient is wd·θ)" + (
            f", e.g. optax.chain(optax.add_decayed_weights({_g(decay)}), optax.rmsprop(...))"
            if target == "optax"
            else ""
        )
    else:
        factor = f"(1 − η·wd) = {_g(1 - rate * decay)}" if not callable(rate) else "(1 − η·wd)"
        recipe = f"For the same trajectory multiply the parameters by {factor} yourself before each update"
    return f"{what}; {theirs}, so it is left out. {recipe}."


def _framework_value(target: str, key: str, value: Any) -> Any:
    if target == "optax" and key == "momentum":
        return None if value == 0 else value
    if value is None or isinstance(value, bool) or callable(value):
        return value
    return float(value)


def _worth_stating(key: str, value: Any) -> bool:
    """Always state η, ρ, ε, momentum, centered (and ε placement in Optax); the rest when set."""
    if key in ("weight_decay", "initial_scale"):
        return value != 0
    if key in ("nesterov", "bias_correction", "maximize", "use_ema"):
        return bool(value)
    if key in CLIPPING or key in ("loss_scale_factor", "ema_overwrite_frequency", "gradient_accumulation_steps"):
        return value is not None
    return True


# --------------------------------------------------------------------------- the table


def conventions_table() -> list[dict[str, str]]:
    """One row per preset in :data:`rmsprop_ref.rmsprop.PRESETS`, every convention as a short string.

    Built from the presets (defaults, ε placement, v₀, η and the momentum buffer, weight
    decay kind) and from :data:`SPELLINGS` (which options a framework offers), so the
    book's table states what the code computes.
    """
    rows = []
    for name, preset in PRESETS.items():
        framework = name if name in SPELLINGS else None
        s = _framework_defaults(name)
        offers = set(SPELLINGS[framework].values()) if framework else set()

        def option(key: str, offers=offers, s=s) -> str:  # bound now: called in this iteration only
            if key in offers:
                return "option"
            return "yes" if s[key] else "no"

        if s["learning_rate"] is None:
            rate = "required" if framework else "not fixed"
        else:
            rate = _g(s["learning_rate"])
        if s["epsilon"] == 0:
            placement = "none"
        elif _framework_defaults(name, momentum=0.5)["epsilon_in_sqrt"] != s["epsilon_in_sqrt"]:
            placement = "outside √, inside with momentum"
        elif "epsilon_in_sqrt" in offers:
            placement = "inside √ (option)" if s["epsilon_in_sqrt"] else "outside √ (option)"
        else:
            placement = "inside √" if s["epsilon_in_sqrt"] else "outside √"
        if "momentum" not in offers and s["momentum"] == 0:
            lr_in_buffer = "–"
        else:
            lr_in_buffer = "inside" if s["lr_in_momentum"] else "outside"
        if "weight_decay" in offers:
            weight_decay = {"coupled": "coupled L2", "decoupled": "decoupled"}[s["weight_decay_mode"]]
        else:
            weight_decay = "none"
        start = _g(s["initial_accumulator"])
        if "initial_accumulator" in offers:
            start += " (option)"
        elif "initial_accumulator" not in preset["settings"]:
            start += " (not stated)"
        rows.append(
            {
                "preset": name,
                "source": preset["source"],
                "η": rate,
                "ρ": _g(s["rho"]),
                "ε": _g(s["epsilon"]),
                "ε placement": placement,
                "v starts at": start,
                "η in momentum buffer": lr_in_buffer,
                "weight decay": weight_decay,
                "centered": option("centered"),
                "Nesterov": option("nesterov"),
                "bias correction": option("bias_correction"),
                "keywords": ", ".join(SPELLINGS[framework]) if framework else "–",
            }
        )
    return rows


def conventions_markdown(columns: tuple[str, ...] | None = None) -> str:
    """:func:`conventions_table` as a Markdown (GFM) table, optionally only some columns."""
    rows = conventions_table()
    columns = tuple(rows[0]) if columns is None else tuple(columns)
    unknown = [c for c in columns if c not in rows[0]]
    if unknown:
        raise ValueError(f"unknown column(s) {unknown}; available: {', '.join(rows[0])}")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_code_paths(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def _code_paths(text: str) -> str:
    """File paths and dotted names in code type (``keras/optimizers.py``,
    ``tf.keras.optimizers.legacy.RMSprop``), so that a narrow column can break them."""
    path = r"[\w.]+(?:/[\w.]+)+"
    dotted = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*){2,}"
    return re.sub(rf"(?<![`\w.])({path}|{dotted})", r"`\1`", text)


# --------------------------------------------------------------------------- every argument

#: The keywords of each source that leave the numbers alone (and Lua's, Keras 2's and
#: Optax's have none), with their defaults and what they do; PyTorch's ``params`` carries
#: the parameter groups, which rmsprop_ref spells ``leaf_options``.
OTHER_KEYWORDS: dict[str, dict[str, tuple[Any, str]]] = {
    "keras": {"name": (None, "the optimizer's name")},
    "torch": {
        "params": (inspect.Parameter.empty, "the parameters: RMSprop.update's params; groups: leaf_options"),
        "capturable": (False, "CUDA graph capture; the same numbers"),
        "foreach": (None, "a faster loop over tensors; the same numbers up to rounding"),
        "differentiable": (False, "autograd through the step; the same numbers"),
    },
    "tf1": {"use_locking": (False, "locks the variables while updating"), "name": ("RMSProp", "the ops' name")},
    "optax": {},
    "keras2.0": {},
    "keras2.3": {},
    "tf_keras_legacy": {"name": ("RMSprop", "the optimizer's name")},
    "lua_torch": {},
}


def arguments_table() -> list[dict[str, str]]:
    """Every keyword of every source's RMSprop: its default and how rmsprop_ref says it.

    One row per keyword, sources in the order of :data:`SOURCES`, keywords in each source's
    own order (:data:`SPELLINGS`, then :data:`OTHER_KEYWORDS`). The defaults come from the
    presets (what :func:`reference_settings` makes of no keywords); a conformance test checks
    the keywords and defaults of each installed framework against its real signature. The
    ``rmsprop_ref`` column is the :class:`~rmsprop_ref.rmsprop.RMSprop` option that the
    keyword sets, on top of ``RMSprop.preset(source)``.
    """
    rows = []
    for source in SOURCES:
        defaults = _framework_defaults(source)
        for keyword, option in SPELLINGS[source].items():
            if option == LEARNING_RATE_DECAY:
                default, spelled = 0.0, "learning_rate=LegacyDecay(η, decay)"
            else:
                default, spelled = defaults[option], option
            if option == "learning_rate" and default is None:
                default = inspect.Parameter.empty
            default = _OWN_DEFAULTS.get((source, keyword), default)
            if keyword == "lr" and "learning_rate" in SPELLINGS[source]:
                default, spelled = _NOT_GIVEN, "learning_rate (lr wins when both are given)"
            rows.append(_argument_row(source, keyword, default, spelled))
        for keyword, (default, what) in OTHER_KEYWORDS[source].items():
            rows.append(_argument_row(source, keyword, default, f"– ({what})"))
    return rows


# Where a framework's own default is not rmsprop_ref's value for it (None meaning "none").
_OWN_DEFAULTS = {("keras", "weight_decay"): None, ("optax", "momentum"): None}
_NOT_GIVEN = object()  # a keyword read from **kwargs, with no default of its own


def _argument_row(source: str, keyword: str, default: Any, spelled: str) -> dict[str, str]:
    if default is _NOT_GIVEN:
        shown = "–"
    elif default is inspect.Parameter.empty:
        shown = "required"
    elif isinstance(default, float):
        shown = _g(default)
    else:
        shown = repr(default)
    return {"source": NAMES[source], "keyword": keyword, "default": shown, "rmsprop_ref": spelled}


def _argument_cell(column: str, value: str) -> str:
    if column == "keyword":
        return f"`{value}`"
    if column == "rmsprop_ref" and not value.startswith("–"):
        option, _, rest = value.partition(" ")
        return f"`{option}` {rest}".rstrip()
    return value


def arguments_html() -> str:
    """:func:`arguments_table` as an HTML table (classes ``table``, the theme's table style,
    and ``arguments``) whose names in code type may break after an underscore or a dot
    (``<wbr>``), so that it fits the text column; the names copy as they are."""
    rows = arguments_table()

    def cell(column: str, value: str) -> str:
        text = html.escape(value)
        if column in ("keyword", "rmsprop_ref") and not value.startswith("–"):
            name, _, rest = text.partition(" ")
            name = re.sub(r"([_.])", r"\1<wbr>", name)
            return f"<code>{name}</code> {rest}".rstrip()
        return text

    head = "".join(f"<th>{html.escape(column)}</th>" for column in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{cell(c, v)}</td>" for c, v in row.items()) + "</tr>" for row in rows)
    return f'<table class="table arguments"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def arguments_markdown() -> str:
    """:func:`arguments_table` as a Markdown (GFM) table."""
    rows = arguments_table()
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(_argument_cell(k, v) for k, v in row.items()) + " |" for row in rows]
    return "\n".join(lines)
