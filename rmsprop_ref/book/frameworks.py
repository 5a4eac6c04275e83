"""Run the real frameworks' RMSprop on given gradients, and rmsprop_ref on the same ones.

Each runner drives one framework's own optimizer, imported only when the runner is called
(``import rmsprop_ref`` stays free of Keras, TensorFlow, PyTorch and JAX)::

    run_keras(params0, grads, **kwargs)   keras.optimizers.RMSprop
        kwargs: learning_rate, rho, momentum, epsilon, centered, weight_decay, ...
    run_torch(params0, grads, **kwargs)   torch.optim.RMSprop
        kwargs: lr, alpha, eps, weight_decay, momentum, centered, ...
    run_optax(params0, grads, **kwargs)   optax.rmsprop
        kwargs: learning_rate, decay, eps, initial_scale, eps_in_sqrt,
                centered, momentum, nesterov, bias_correction
    run_tf1(params0, grads, **kwargs)
        tf.compat.v1.train.RMSPropOptimizer (eager)
        kwargs: learning_rate, decay, momentum, epsilon, centered
    run_tf_keras_legacy(params0, grads, **kwargs)
        tf_keras.optimizers.legacy.RMSprop (legacy tf.keras, eager)
        kwargs: learning_rate, lr, rho, momentum, epsilon, centered, decay
    run_reference(optimizer, params0, grads)
        any rmsprop_ref optimizer
    relative_error(actual, expected)
        how far two runs are apart (see there)

The keyword arguments are passed on in the framework's own spelling, unchanged, so a
runner shows exactly what that framework does with them.

Arguments, the same for every runner:

``params0``
    the starting parameters: one float array, or a list / tuple of float arrays.
``grads``
    the gradient of every step: a sequence with one entry per step, each an array (or a
    list of arrays) shaped like ``params0``. Or a function ``grads(params) -> gradient``
    of the current parameters (NumPy arrays, same structure); then pass ``steps=``.
learning rate (``learning_rate=`` or PyTorch's ``lr=``)
    a number, or a Python function ``schedule(step) -> float`` where ``step`` is the number
    of updates done so far (0 for the first), like ``rmsprop_ref.schedules``. Each runner
    hands it to the framework's own mechanism: a Keras ``LearningRateSchedule``, the
    optimizer's ``param_groups[...]["lr"]`` set before each ``torch`` step, an Optax
    schedule of its ``count``, and TF1's zero-argument callable.

Returned: the parameters after every step, as float arrays with a leading step axis:
one array of shape ``(steps, *params0.shape)`` when ``params0`` is an array, or a list of
such arrays (one per leaf) when it is a list / tuple. Row ``k`` is θ after ``k + 1`` updates.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from .. import mlp
from .._checks import check_count, is_parameter_dtype, seeded_rng
from ..rmsprop import RMSprop
from ..sparse_gradients import SparseRows

__all__ = [
    "run_keras",
    "run_torch",
    "run_optax",
    "run_tf1",
    "run_tf_keras_legacy",
    "run_reference",
    "relative_error",
    "train_mlp_for_steps",
    "train_mlp_over_seeds",
    "loss_effects",
    "KerasEra",
    "KERAS_ERAS",
]


# --------------------------------------------------------------------------- shared helpers


def _leaves(params0) -> tuple[list[np.ndarray], bool]:
    """The starting leaves as NumPy float arrays, and whether params0 was a single array."""
    single = not isinstance(params0, (list, tuple))
    leaves = [np.asarray(params0)] if single else [np.asarray(p) for p in params0]
    for i, leaf in enumerate(leaves):
        if not is_parameter_dtype(leaf.dtype):
            raise ValueError(f"params0[{i}] has dtype {leaf.dtype}; the runners need float arrays")
    return leaves, single


GradientSource = Callable[[int, list[np.ndarray]], list[np.ndarray]]


def _gradient_source(grads, single: bool, steps: int | None) -> tuple[GradientSource, int]:
    """A function (step, current leaves) -> gradient leaves, and the number of steps."""

    def as_leaves(g):
        # None (no gradient) and SparseRows (some rows) are passed on as they are
        return (
            [np.asarray(g)] if single else [x if x is None or isinstance(x, SparseRows) else np.asarray(x) for x in g]
        )

    if callable(grads):
        if steps is None:
            raise ValueError("grads is a function of the parameters, so pass steps= (how many updates to run)")
        return (lambda step, current: as_leaves(grads(current[0] if single else list(current)))), int(steps)
    grads = list(grads)
    if steps is not None and steps != len(grads):
        raise ValueError(f"steps={steps} but grads holds {len(grads)} steps; pass one or the other")
    return (lambda step, current: as_leaves(grads[step])), len(grads)


def _stack(history: list[list[np.ndarray]], single: bool):
    """Per-step lists of leaves -> one (steps, ...) array per leaf."""
    per_leaf = [np.stack([step_leaves[i] for step_leaves in history]) for i in range(len(history[0]))]
    return per_leaf[0] if single else per_leaf


# --------------------------------------------------------------------------- Keras 3


def run_keras(params0, grads, *, steps: int | None = None, **kwargs):
    """``keras.optimizers.RMSprop(**kwargs)`` applied with ``optimizer.apply`` once per step."""
    import keras

    leaves, single = _leaves(params0)
    gradient, steps = _gradient_source(grads, single, steps)
    rate = kwargs.get("learning_rate")
    if callable(rate) and not isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
        kwargs["learning_rate"] = _keras_schedule(keras, rate)
    optimizer = keras.optimizers.RMSprop(**kwargs)
    variables = [keras.Variable(leaf, dtype=str(leaf.dtype)) for leaf in leaves]
    history = []
    for step in range(steps):
        current = [np.array(v.numpy()) for v in variables]
        g = gradient(step, current)
        optimizer.apply([keras.ops.convert_to_tensor(x) for x in g], variables)
        history.append([np.array(v.numpy()) for v in variables])
    return _stack(history, single)


def _keras_schedule(keras, schedule: Callable[[int], float]):
    """Wrap ``schedule(step)`` as a Keras LearningRateSchedule; Keras calls it with ``iterations``."""

    class PythonSchedule(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            return float(schedule(int(step)))

        def get_config(self):
            return {}

    return PythonSchedule()


# --------------------------------------------------------------------------- PyTorch


def run_torch(params0, grads, *, steps: int | None = None, **kwargs):
    """``torch.optim.RMSprop(params, **kwargs)``: set ``.grad``, then ``optimizer.step()``."""
    import torch

    leaves, single = _leaves(params0)
    gradient, steps = _gradient_source(grads, single, steps)
    schedule = kwargs["lr"] if callable(kwargs.get("lr")) else None
    if schedule is not None:
        kwargs["lr"] = float(schedule(0))  # set again before every step below
    parameters = [torch.nn.Parameter(torch.from_numpy(leaf.copy())) for leaf in leaves]
    optimizer = torch.optim.RMSprop(parameters, **kwargs)
    history = []
    for step in range(steps):
        current = [p.detach().numpy().copy() for p in parameters]
        for p, g in zip(parameters, gradient(step, current)):
            p.grad = torch.from_numpy(np.array(g))  # a copy, never sharing the caller's array
        if schedule is not None:  # PyTorch's own way to change η: the param group's "lr"
            for group in optimizer.param_groups:
                group["lr"] = float(schedule(step))
        optimizer.step()
        history.append([p.detach().numpy().copy() for p in parameters])
    return _stack(history, single)


# --------------------------------------------------------------------------- Optax (JAX)


def run_optax(params0, grads, *, steps: int | None = None, **kwargs):
    """``optax.rmsprop(**kwargs)``: ``update`` then ``optax.apply_updates``, run eagerly (no jit).

    JAX works in float32 unless ``jax_enable_x64`` is set; a float64 ``params0`` without it
    is a ValueError rather than a silent down-cast.
    """
    import jax.numpy as jnp
    import optax

    leaves, single = _leaves(params0)
    gradient, steps = _gradient_source(grads, single, steps)
    rate = kwargs.get("learning_rate")
    if callable(rate):
        # Optax calls a schedule with its int32 step ``count``, 0 for the first update.
        kwargs["learning_rate"] = lambda count, fn=rate: fn(int(count))
    optimizer = optax.rmsprop(**kwargs)
    params = [jnp.asarray(leaf) for leaf in leaves]
    for i, (p, leaf) in enumerate(zip(params, leaves)):
        if p.dtype != leaf.dtype:
            raise ValueError(
                f"params0[{i}] is {leaf.dtype} but JAX made it {p.dtype}; enable jax_enable_x64 for float64"
            )
    state = optimizer.init(params)
    history = []
    for step in range(steps):
        current = [np.asarray(p) for p in params]
        g = [jnp.asarray(x) for x in gradient(step, current)]
        updates, state = optimizer.update(g, state, params)
        params = optax.apply_updates(params, updates)
        history.append([np.asarray(p) for p in params])
    return _stack(history, single)


# --------------------------------------------------------------------------- TensorFlow 1


def run_tf1(params0, grads, *, steps: int | None = None, **kwargs):
    """``tf.compat.v1.train.RMSPropOptimizer(**kwargs)`` with ``apply_gradients``, in eager mode.

    TF1 requires ``learning_rate``. A schedule is passed as TF1's zero-argument callable,
    which reads the number of updates done so far.
    """
    import tensorflow as tf

    rate = kwargs.get("learning_rate")
    done = [0]  # updates applied so far, read by the schedule
    if callable(rate):
        kwargs["learning_rate"] = lambda fn=rate: float(fn(done[0]))
    optimizer = tf.compat.v1.train.RMSPropOptimizer(**kwargs)
    return _apply_gradients_each_step(optimizer, params0, grads, steps, done)


def run_tf_keras_legacy(params0, grads, *, steps: int | None = None, **kwargs):
    """``tf_keras.optimizers.legacy.RMSprop(**kwargs)`` with ``apply_gradients``, in eager mode.

    The tf_keras package carries Keras 2's ``optimizer_v2`` code, the RMSprop of tf.keras
    up to 2.10 (``tf.keras.optimizers.legacy.RMSprop`` in 2.11 to 2.15), onto current
    TensorFlow. A schedule is wrapped as a ``LearningRateSchedule`` called with the update count.
    """
    import tf_keras

    for key in ("learning_rate", "lr"):
        rate = kwargs.get(key)
        if callable(rate) and inspect.signature(rate).parameters:  # a schedule; tf.keras calls one of nothing itself
            kwargs[key] = _keras_schedule(tf_keras, rate)
    optimizer = tf_keras.optimizers.legacy.RMSprop(**kwargs)
    return _apply_gradients_each_step(optimizer, params0, grads, steps)


def _tf_gradient(tf, g, variable):
    """A gradient for TensorFlow: SparseRows become tf.IndexedSlices, arrays tensors."""
    if isinstance(g, SparseRows):
        return tf.IndexedSlices(tf.convert_to_tensor(g.values), tf.convert_to_tensor(g.indices), variable.shape)
    return tf.convert_to_tensor(g)


def _apply_gradients_each_step(optimizer, params0, grads, steps: int | None, done: list[int] | None = None):
    """Drive a TensorFlow optimizer's ``apply_gradients`` once per step on tf.Variables;
    ``done[0]``, if given, counts the updates applied (for a schedule that reads it)."""
    import tensorflow as tf

    leaves, single = _leaves(params0)
    gradient, steps = _gradient_source(grads, single, steps)
    variables = [tf.Variable(leaf) for leaf in leaves]
    history = []
    for step in range(steps):
        current = [v.numpy().copy() for v in variables]
        g = [_tf_gradient(tf, x, v) for x, v in zip(gradient(step, current), variables)]
        optimizer.apply_gradients(list(zip(g, variables)))
        if done is not None:
            done[0] += 1
        history.append([v.numpy().copy() for v in variables])
    return _stack(history, single)


# --------------------------------------------------------------------------- rmsprop_ref


def run_reference(optimizer, params0, grads, *, steps: int | None = None):
    """Any rmsprop_ref optimizer (``init`` / ``update``) on the same inputs, same output shape.

    Unlike :func:`rmsprop_ref.run.stream_path` it keeps the leaves' dtype (float32 against a
    framework's float32) and accepts a gradient that depends on the parameters, as the
    framework runners beside it do; so it steps through ``optimizer.update`` itself.
    """
    leaves, single = _leaves(params0)
    gradient, steps = _gradient_source(grads, single, steps)
    params: Sequence[np.ndarray] = [leaf.copy() for leaf in leaves]
    state = optimizer.init(list(params))
    history = []
    for step in range(steps):
        g = gradient(step, list(params))  # a None leaf (no gradient) stays None
        params, state = optimizer.update(list(params), g, state)
        history.append([np.array(p) for p in params])
    return _stack(history, single)


# --------------------------------------------------------------------------- comparing runs


def relative_error(actual, expected) -> float:
    """How far two runs are apart, relative to the size of the parameters.

    For each leaf: the largest ``|actual − expected|`` over every step and coordinate, divided
    by the largest ``|expected|`` of that leaf; the result is the worst leaf. Relative to the
    leaf's scale rather than coordinate by coordinate, because a coordinate that passes
    through zero has no meaningful relative error of its own.
    """
    actual = [actual] if isinstance(actual, np.ndarray) else list(actual)
    expected = [expected] if isinstance(expected, np.ndarray) else list(expected)
    if len(actual) != len(expected):
        raise ValueError(f"actual has {len(actual)} leaves but expected has {len(expected)}")
    worst = 0.0
    for a, e in zip(actual, expected):
        # complex (or bfloat16) leaves are compared in complex128 (or float64): |a − e| is the modulus
        wide = np.complex128 if np.iscomplexobj(a) or np.iscomplexobj(e) else np.float64
        a, e = np.asarray(a).astype(wide), np.asarray(e).astype(wide)
        if a.shape != e.shape:
            raise ValueError(f"actual has shape {a.shape} but expected has shape {e.shape}")
        scale = np.max(np.abs(e))
        worst = max(worst, float(np.max(np.abs(a - e)) / scale) if scale > 0 else float(np.max(np.abs(a))))
    return worst


# --------------------------------------------------------------------------- does it matter on MNIST?


def train_mlp_for_steps(
    optimizers: Mapping[str, Any], params0: dict, images, labels, test: tuple, *, steps: int, batch_size: int, seed: int
) -> dict[str, mlp.MlpRun]:
    """Train :mod:`rmsprop_ref.mlp` from the same ``params0`` with each optimizer for ``steps`` updates.

    Every optimizer sees the same mini-batches in the same order (one permutation drawn
    from ``seed``), so the runs differ only by the optimizer. ``test`` is ``(images, labels)``.
    """
    check_count("steps", steps)
    if steps * batch_size > len(images):
        raise ValueError(f"steps * batch_size = {steps * batch_size} exceeds the {len(images)} training images")
    batches = mlp.batch_slices(len(images), batch_size, seeded_rng(seed))[:steps]
    runs = {}
    for label, optimizer in optimizers.items():
        record = mlp.train_steps(params0, optimizer, optimizer.init(params0), images, labels, batches)
        test_loss, test_accuracy = mlp.evaluate(record.params, *test)
        runs[label] = mlp.MlpRun(record.batch_loss, record.batch_accuracy, None, None, test_loss, test_accuracy)
    return runs


def train_mlp_over_seeds(
    optimizers: Mapping[str, Any], images, labels, test: tuple, *, seeds: Sequence[int], steps: int, batch_size: int
) -> list[dict[str, mlp.MlpRun]]:
    """:func:`train_mlp_for_steps` once per seed, one dict of runs per seed, in order.

    With seed ``s`` every optimizer starts from ``mlp.init_params(s)`` and sees the batches
    drawn from ``s``, so within one seed the runs differ only by the optimizer.
    """
    if len(seeds) == 0:
        raise ValueError("seeds must not be empty")
    return [
        train_mlp_for_steps(
            optimizers, mlp.init_params(seed), images, labels, test, steps=steps, batch_size=batch_size, seed=seed
        )
        for seed in seeds
    ]


def loss_effects(runs_per_seed: Sequence[Mapping[str, mlp.MlpRun]], reference: str) -> dict[str, np.ndarray]:
    """Each run's test loss minus the ``reference`` run's, as an array with one entry per seed.

    ``runs_per_seed`` is what :func:`train_mlp_over_seeds` returns; the reference is left out.
    """
    labels = [label for label in runs_per_seed[0] if label != reference]
    return {
        label: np.array([runs[label].test_loss - runs[reference].test_loss for runs in runs_per_seed])
        for label in labels
    }


class KerasEra(NamedTuple):
    """One era of Keras's RMSprop, read from its source at the release tags named.

    ``step`` is the line that updates the parameters, as the source writes it; ``epsilon``
    its default ε and where it sits; ``lr`` what the release does with the article's
    ``RMSprop(lr=0.001, rho=0.9)``; ``preset`` names the :data:`rmsprop_ref.rmsprop.PRESETS`
    entry the era is, or is empty, and then ``settings`` holds the era's RMSprop options.
    """

    era: str
    years: str
    source: str
    step: str
    epsilon: str
    lr: str
    preset: str
    settings: Mapping[str, Any] | None = None

    def optimizer(self) -> RMSprop:
        """The era's RMSprop without momentum (the article's program uses none), η = 0.001, ρ = 0.9."""
        if self.preset:
            return RMSprop.preset(self.preset, learning_rate=0.001, rho=0.9)
        return RMSprop(0.001, rho=0.9, **(self.settings or {}))


#: The Kerases the article's program could have met, oldest first (read with ``git show
#: TAG:PATH`` in keras-team/keras; tf.keras before 2.6 lived in TensorFlow's repository
#: and is not read here).
KERAS_ERAS = (
    KerasEra(
        "Keras 0.1.0 to 1.0.2",
        "2015–2016",
        "`keras/optimizers.py` at 0.1.0, 1.0.2",
        "`p - lr * g / K.sqrt(new_a + epsilon)`",
        "10⁻⁶, inside √",
        "`lr` is the only spelling",
        "",
        dict(epsilon=1e-6, epsilon_in_sqrt=True),
    ),
    KerasEra(
        "Keras 1.0.3 to 2.1.2",
        "2016–2017",
        "`keras/optimizers.py` at 1.0.3, 2.0.8, 2.1.2",
        "`p - lr * g / (K.sqrt(new_a) + self.epsilon)`",
        "10⁻⁸, outside √",
        "`lr` is the only spelling",
        "keras2.0",
    ),
    KerasEra(
        "Keras 2.1.3 to 2.3.1",
        "2018–2019",
        "`keras/optimizers.py` at 2.1.3, 2.3.1",
        "`p - lr * g / (K.sqrt(new_a) + self.epsilon)`",
        "`K.epsilon()` = 10⁻⁷, outside √",
        "accepted (2.3 adds `learning_rate`)",
        "keras2.3",
    ),
    KerasEra(
        "tf.keras 2.6 to 2.10; `optimizers.legacy` in 2.11 to 2.15",
        "2021–2023",
        "`keras/optimizer_v2/rmsprop.py` at v2.6.0, `keras/optimizers/optimizer_v2/rmsprop.py` at v2.10.0",
        "`var - lr_t * grad / (tf.sqrt(denom_t) + epsilon)`; with momentum the fused `ResourceApplyRMSProp`",
        "10⁻⁷, outside √ (inside with momentum)",
        "accepted, with a deprecation warning",
        "tf_keras_legacy",
    ),
    KerasEra(
        "tf.keras 2.11 to 2.15",
        "2022–2023",
        "`keras/optimizers/optimizer_experimental/rmsprop.py` at v2.11.0, `keras/optimizers/rmsprop.py` at v2.12.0 to v2.15.0",
        "`lr * gradient * tf.math.rsqrt(velocity + self.epsilon)`",
        "10⁻⁷, inside √",
        "logged as deprecated and dropped (`kwargs.pop` in `optimizer.py`)",
        "keras",
    ),
    KerasEra(
        "Keras 3",
        "2023–",
        "`keras/optimizers/rmsprop.py` at v3.0.0, `keras/src/optimizers/rmsprop.py` at v3.15.1",
        "`lr * g / sqrt(velocity + epsilon)`",
        "10⁻⁷, inside √",
        "refused: `ValueError` (`base_optimizer.py`)",
        "keras",
    ),
)
