"""rmsprop_ref's RMSprop, any preset and any option, as an Optax gradient transformation.

Moving a model from Keras, PyTorch or TensorFlow 1 to JAX changes the optimizer under it:
``optax.rmsprop`` puts ε inside the root as Keras does, but starts the accumulator at 0 (TF1
starts it at 1), keeps η inside the momentum buffer (PyTorch keeps it outside) and has no
weight decay of its own. This function builds the transformation that takes the reference's
steps for any preset, as a chain of Optax's own transformations (``optax.scale_by_rms``,
``optax.trace``, ``optax.add_decayed_weights``…) in the order ``RMSprop.leaf_update``
applies them::

    from rmsprop_ref.adapters.optax import rmsprop
    optimizer = rmsprop(preset="keras")  # Keras 3's
    optimizer = rmsprop(preset="tf1", learning_rate=0.01, momentum=0.9)
    state = optimizer.init(params)
    updates, state = optimizer.update(grads, state, params)
    params = optax.apply_updates(params, updates)

The options are :class:`rmsprop_ref.rmsprop.RMSprop`'s, checked by it. The learning rate may
be a number or an Optax schedule (a function of the update count, 0 for the first update),
as the reference's may. Two pieces are the adapter's own, because Optax has none that does
the same: decoupled weight decay in Keras's order, θ − θ·wd·η with η from the same schedule,
and ε = 0, where a coordinate whose denominator is 0 does not move. The state is a pytree of
arrays, so it can be saved, reloaded and jitted as any Optax state. Options that act on all
gradients together or outside the step (clipping, loss scaling, EMA, accumulation, per-leaf
options) and the other hyper-parameters given as functions are refused with an error that
says what to use instead. Gradients are dense arrays: ``sparse_updates`` (how TF1 and legacy
tf.keras treat rows of a sparse gradient) has nothing to act on.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from rmsprop_ref.adapters._options import checked_reference
from rmsprop_ref.rmsprop import RMSprop as _Reference

# Options the adapter does not carry out, with their "off" value and what to use instead.
_REFUSED = {
    "loss_scale_factor": (None, "unscale the gradients before update, e.g. optax.scale(1 / factor) chained before"),
    # Keras's clipnorm clips each leaf's own norm; Optax clips the norm of all leaves together.
    "clipnorm": (None, "clip each leaf's norm before update, or chain optax.clip_by_global_norm before"),
    "global_clipnorm": (None, "chain optax.clip_by_global_norm before this optimizer"),
    "clipvalue": (None, "chain optax.clip before this optimizer"),
    "use_ema": (False, "average the parameters beside the optimizer, e.g. with optax.ema applied to them"),
    "gradient_accumulation_steps": (None, "wrap the optimizer in optax.MultiSteps"),
    "leaf_options": (None, "give each set of parameters its own optimizer with optax.partition"),
}


def _reference(preset: str | None, options: dict[str, Any]) -> _Reference:
    """The reference optimizer these arguments make, refused if the adapter cannot follow it."""
    # optax.scale_by_rms and optax.trace take numbers only; optax.inject_hyperparams cannot
    # wrap this function either, since the chain's shape depends on the values.
    return checked_reference(
        "optax",
        preset,
        options,
        _REFUSED,
        "give a number (only learning_rate takes a schedule); to change it mid-run, build the optimizer "
        "again with the new value and go on with the same state",
    )


def rmsprop(preset: str | None = None, **options: Any) -> optax.GradientTransformation:
    """A preset of :class:`rmsprop_ref.rmsprop.RMSprop` (or none: its own defaults, Keras 3's),
    with any of its options overridden, as an Optax gradient transformation.

    ``preset``: one of ``rmsprop_ref.rmsprop.PRESETS`` ("keras", "torch", "tf1", "optax",
    "keras2.0", "keras2.3", "tf_keras_legacy", "lua_torch", "graves2013", "hinton2012").
    ``options``: RMSprop's keywords (``learning_rate``, ``rho``, ``epsilon``…);
    ``learning_rate`` may be an Optax schedule. ``update`` needs the parameters when weight
    decay is on, as ``optax.add_decayed_weights`` does.
    """
    reference = _reference(preset, options)
    rate = reference.learning_rate
    wd = reference.weight_decay
    chain = []
    if reference.maximize:  # the reference negates the gradient first, before weight decay
        chain.append(optax.scale(-1.0))
    if wd and reference.weight_decay_mode == "coupled":
        chain.append(optax.add_decayed_weights(wd))
    rms = optax.scale_by_stddev if reference.centered else optax.scale_by_rms
    scaling = rms(
        decay=reference.rho,
        eps=reference.epsilon,
        initial_scale=reference.initial_accumulator,
        eps_in_sqrt=reference.epsilon_in_sqrt,
        bias_correction=reference.bias_correction,
    )
    if reference.epsilon == 0:
        scaling = _still_where_denominator_is_zero(scaling, reference)
    chain.append(scaling)
    if reference.momentum > 0:
        momentum = optax.trace(decay=reference.momentum, nesterov=reference.nesterov)
        if reference.lr_in_momentum:  # Keras, TF1, Optax: b ← μ·b + η·u
            chain += [optax.scale_by_learning_rate(rate), momentum]
        else:  # PyTorch: b ← μ·b + u, then η·b
            chain += [momentum, optax.scale_by_learning_rate(rate)]
    else:
        chain.append(optax.scale_by_learning_rate(rate))
    if wd and reference.weight_decay_mode == "decoupled":
        chain.append(_decoupled_weight_decay(wd, rate))
    return optax.chain(*chain)


def _still_where_denominator_is_zero(scaling: optax.GradientTransformation, reference: _Reference):
    """``scaling`` (Optax's scale_by_rms or scale_by_stddev with ε = 0), except that a coordinate
    whose denominator is 0 gets the update 0.

    Optax would compute g·(1/0): 0·∞ = nan for a coordinate that has had no gradient (and ∞
    for one whose g² underflowed). The reference takes the ε → 0 limit instead: that coordinate
    does not move. The second moment is recomputed from the new state with Optax's own
    operations, so it is 0 exactly where Optax's denominator was.
    """
    rho, centered, corrected = reference.rho, reference.centered, reference.bias_correction

    def update(updates, state, params=None):
        updates, state = scaling.update(updates, state, params)
        nu = optax.tree.bias_correction(state.nu, rho, state.count) if corrected else state.nu
        if centered:
            mu = optax.tree.bias_correction(state.mu, rho, state.count) if corrected else state.mu
            nu = jax.tree.map(lambda n, m: n - (m.conj() * m).real, nu, mu)
        updates = jax.tree.map(lambda u, s: jnp.where(s == 0, jnp.zeros_like(u), u), updates, nu)
        return updates, state

    return optax.GradientTransformation(scaling.init, update)


class _DecoupledWeightDecayState(NamedTuple):
    """The update count, for the learning-rate schedule that scales the decay."""

    count: jax.Array  # int32, 0 before the first update


def _decoupled_weight_decay(weight_decay: float, learning_rate):
    """Add −θ·wd·η to the updates: Keras's decoupled weight decay, on the pre-step θ.

    ``optax.add_decayed_weights`` adds wd·θ to whatever it is given, so its decay is scaled by
    the transformations after it: chained after ``scale_by_learning_rate`` it would lose η,
    before it it would pass through the momentum buffer. Keras (and the reference) subtract
    θ·wd·η_t outside the buffer, with η_t from the same schedule at the same count, in that
    order of operations.
    """

    def init(params):
        del params
        return _DecoupledWeightDecayState(count=jnp.zeros([], jnp.int32))

    def update(updates, state, params=None):
        if params is None:
            raise ValueError("decoupled weight decay needs the parameters: call update(grads, state, params)")
        if callable(learning_rate):
            rate = learning_rate(state.count)
            # as optax.scale_by_schedule does: η in each parameter's dtype
            decay = lambda u, p: u - p * weight_decay * jnp.asarray(rate, dtype=p.dtype)  # noqa: E731
        else:
            decay = lambda u, p: u - p * weight_decay * learning_rate  # noqa: E731
        return jax.tree.map(decay, updates, params), _DecoupledWeightDecayState(optax.safe_increment(state.count))

    return optax.GradientTransformation(init, update)
