"""rmsprop_ref's RMSprop, any preset and any option, as a Keras 3 optimizer.

Porting a model from PyTorch to Keras changes the optimizer under it: ε moves into the
root, η moves into the momentum buffer, weight decay becomes decoupled.
``keras.optimizers.RMSprop`` cannot express every one of those conventions; this optimizer
can, because its ``update_step`` computes ``RMSprop.leaf_update`` with ``keras.ops``,
operation for operation (so float32 steps round as the reference's do)::

    from rmsprop_ref.adapters.keras import RMSprop
    model.compile(optimizer=RMSprop(preset="torch"), loss=...)
    optimizer = RMSprop(preset="tf1", learning_rate=0.01, momentum=0.9)

The options are :class:`rmsprop_ref.rmsprop.RMSprop`'s, checked by it. The learning rate is
a number or a ``keras.optimizers.schedules.LearningRateSchedule``. What Keras's base class
already does as the reference does, it keeps doing: gradient clipping (``clipnorm``,
``global_clipnorm``, ``clipvalue``), ``loss_scale_factor``, ``use_ema`` and
``gradient_accumulation_steps``. Weight decay, coupled or decoupled, is applied in the step
(``exclude_from_weight_decay`` is honoured). Per-leaf options and hyper-parameters given as
functions are refused with an error that says what to use instead. The class is registered
with Keras's serialization, so a model saved with it loads with ``keras.saving.load_model``,
its optimizer state included.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from rmsprop_ref.adapters._options import STEP_OPTIONS, checked_reference
from rmsprop_ref.rmsprop import RMSprop as _Reference

#: The options Keras's base optimizer carries out, passed to it unchanged.
BASE_OPTIONS = (
    "clipnorm",
    "global_clipnorm",
    "clipvalue",
    "loss_scale_factor",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "gradient_accumulation_steps",
)

# Options the adapter does not carry out, with their "off" value and what to use instead.
# (``clipvalue_first`` orders two clips; Keras's base class accepts one clip only and says so.)
_REFUSED = {
    "leaf_options": (None, "train the variables that need other options with a second optimizer"),
}


def _settings(preset: str | None, options: dict[str, Any]) -> _Reference:
    """The reference optimizer these arguments make, after refusing what Keras cannot take."""
    reference = checked_reference(
        "Keras",
        preset,
        options,
        _REFUSED,
        "give a number (a keras.callbacks.Callback may change the optimizer's attribute between steps)",
    )
    rate = reference.learning_rate
    if callable(rate) and not isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
        raise ValueError(
            "learning_rate given as a plain function is not supported by the Keras adapter: give a number "
            "or a keras.optimizers.schedules.LearningRateSchedule (Keras calls it with the step count)"
        )
    return reference


@keras.saving.register_keras_serializable(package="rmsprop_ref")
class RMSprop(keras.optimizers.Optimizer):
    """A preset of :class:`rmsprop_ref.rmsprop.RMSprop` (or none: its own defaults, Keras 3's),
    with any of its options overridden, as a Keras 3 optimizer.

    ``preset``: one of ``rmsprop_ref.rmsprop.PRESETS`` ("keras", "torch", "tf1", "optax",
    "keras2.0", "keras2.3", "tf_keras_legacy", "lua_torch", "graves2013", "hinton2012").
    ``options``: RMSprop's keywords (``learning_rate``, ``rho``, ``epsilon``…) and Keras's
    ``name``.
    """

    def __init__(self, preset: str | None = None, *, name: str | None = None, **options: Any):
        reference = _settings(preset, options)
        super().__init__(
            learning_rate=reference.learning_rate,
            name=name,
            **{option: getattr(reference, option) for option in BASE_OPTIONS},
        )
        self.preset = preset
        for option in STEP_OPTIONS:
            setattr(self, "_" + option, getattr(reference, option))
        # Keras's base class applies a weight_decay of its own before update_step; the
        # adapter's is applied in update_step (coupled or decoupled), so the base's stays off.
        self.weight_decay = None

    def build(self, var_list):
        """The state of each variable: v (from ``initial_accumulator``), and the average gradient
        (centered) and the momentum buffer where those options are on."""
        if self.built:
            return
        super().build(var_list)
        start = keras.initializers.Constant(self._initial_accumulator)
        self._mean_squares = self.add_optimizer_variables(var_list, "mean_square", initializer=start)
        self._mean_grads = self.add_optimizer_variables(var_list, "mean_grad") if self._centered else []
        self._buffers = self.add_optimizer_variables(var_list, "momentum") if self._momentum > 0 else []

    def update_step(self, gradient, variable, learning_rate):
        """``RMSprop.leaf_update`` on one variable, in the reference's order of operations."""
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        g = ops.cast(gradient, dtype)
        index = self._get_variable_index(variable)
        theta = variable
        if self._maximize:
            g = ops.negative(g)
        wd = self._weight_decay if self._use_weight_decay(variable) else 0.0
        if wd and self._weight_decay_mode == "coupled":
            g = ops.add(g, ops.multiply(wd, theta))
        if wd and self._weight_decay_mode == "decoupled":
            theta = ops.subtract(theta, ops.multiply(ops.multiply(theta, wd), lr))  # θ − (θ·wd)·η

        rho = self._rho
        mean_square = self._mean_squares[index]
        self.assign(mean_square, ops.add(ops.multiply(rho, mean_square), ops.multiply(1 - rho, ops.square(g))))
        v, m = ops.convert_to_tensor(mean_square), None
        if self._centered:
            mean_grad = self._mean_grads[index]
            self.assign(mean_grad, ops.add(ops.multiply(rho, mean_grad), ops.multiply(1 - rho, g)))
            m = ops.convert_to_tensor(mean_grad)
        if self._bias_correction:
            step = ops.cast(self.iterations + 1, dtype)
            correction = ops.subtract(1.0, ops.power(ops.cast(rho, dtype), step))
            v = ops.divide(v, correction)
            m = None if m is None else ops.divide(m, correction)
        second_moment = v if m is None else ops.subtract(v, ops.square(m))

        eps = self._epsilon
        if self._epsilon_in_sqrt:
            denominator = ops.sqrt(ops.add(second_moment, eps))
        else:
            denominator = ops.add(ops.sqrt(second_moment), eps)
        if eps == 0:  # a coordinate that never had a gradient does not move (the ε → 0 limit)
            denominator = ops.where(ops.equal(denominator, 0.0), float("inf"), denominator)

        if not self._buffers:
            self.assign(variable, ops.subtract(theta, ops.divide(ops.multiply(lr, g), denominator)))
            return
        mu, buffer = self._momentum, self._buffers[index]
        if self._lr_in_momentum:
            increment = ops.divide(ops.multiply(lr, g), denominator)
            self.assign(buffer, ops.add(ops.multiply(mu, buffer), increment))
            taken = ops.add(increment, ops.multiply(mu, buffer)) if self._nesterov else buffer
        else:
            scaled = ops.divide(g, denominator)
            self.assign(buffer, ops.add(ops.multiply(mu, buffer), scaled))
            if self._nesterov:
                taken = ops.multiply(lr, ops.add(scaled, ops.multiply(mu, buffer)))
            else:
                taken = ops.multiply(lr, buffer)
        self.assign(variable, ops.subtract(theta, taken))

    def get_config(self):
        """Keras's base options and every RMSprop option, enough to rebuild the same optimizer."""
        config = super().get_config()
        config.update({option: getattr(self, "_" + option) for option in STEP_OPTIONS})
        config["preset"] = self.preset
        return config
