"""rmsprop_ref's RMSprop, any preset and any option, as a ``torch.optim.Optimizer``.

Porting a model from TensorFlow or Keras to PyTorch changes the optimizer under it: ε moves
out of the root, the accumulator no longer starts at 1 (TF1), η moves out of the momentum
buffer. ``torch.optim.RMSprop`` cannot express every one of those conventions; this optimizer
can, because it computes ``RMSprop.leaf_update`` on torch tensors,
operation for operation (so float32 steps round as the reference's do)::

    from rmsprop_ref.adapters.torch import RMSprop
    optimizer = RMSprop(model.parameters(), preset="keras")  # Keras 3's
    optimizer = RMSprop(
        model.parameters(), preset="tf1", learning_rate=0.01, momentum=0.9
    )

The options are :class:`rmsprop_ref.rmsprop.RMSprop`'s, checked by it. Each parameter group
keeps them under the same names, except the learning rate, kept as ``lr`` as PyTorch's
learning-rate schedulers expect; a group may override any of them (``{"params": …, "rho":
0.99}``). ``state_dict`` and ``load_state_dict`` are PyTorch's own. Options that act on all
gradients together or outside the step (clipping, loss scaling, EMA, accumulation, sparse
per-leaf options) and hyper-parameters given as functions are refused with an error that
says what to use instead. Gradients are dense: ``sparse_updates`` (how TF1 and legacy
tf.keras treat rows of a sparse gradient) has nothing to act on, and a sparse gradient is
refused at the step.
"""

from __future__ import annotations

from typing import Any

import torch

from rmsprop_ref.adapters._options import STEP_OPTIONS, checked_reference
from rmsprop_ref.rmsprop import RMSprop as _Reference

#: The options a group carries: RMSprop's step options and ``maximize``; the learning rate is
#: kept as ``lr``.
GROUP_OPTIONS = STEP_OPTIONS

# Options the adapter does not carry out, with their "off" value and what to use instead.
_REFUSED = {
    "loss_scale_factor": (None, "unscale the gradients before step()"),
    "clipnorm": (None, "clip with torch.nn.utils.clip_grad_norm_ before step()"),
    "global_clipnorm": (None, "clip with torch.nn.utils.clip_grad_norm_ before step()"),
    "clipvalue": (None, "clip with torch.nn.utils.clip_grad_value_ before step()"),
    "use_ema": (False, "keep an average with torch.optim.swa_utils.AveragedModel"),
    "gradient_accumulation_steps": (None, "accumulate by calling backward() several times before step()"),
    "leaf_options": (None, "give each set of parameters its own parameter group"),
}


def _settings(preset: str | None, options: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """The learning rate and the group options of the reference optimizer these arguments make."""
    reference = checked_reference(
        "torch", preset, options, _REFUSED, "give a number, and change the group's value between steps if it must vary"
    )
    if callable(reference.learning_rate):
        raise ValueError(
            "learning_rate given as a schedule is not supported by the torch adapter: give a number "
            "and use a torch.optim.lr_scheduler, which changes each group's 'lr'"
        )
    return float(reference.learning_rate), {name: getattr(reference, name) for name in GROUP_OPTIONS}


class RMSprop(torch.optim.Optimizer):
    """A preset of :class:`rmsprop_ref.rmsprop.RMSprop` (or none: its own defaults, Keras 3's),
    with any of its options overridden, stepping the tensors of ``params``.

    ``preset``: one of ``rmsprop_ref.rmsprop.PRESETS`` ("keras", "torch", "tf1", "optax",
    "keras2.0", "keras2.3", "tf_keras_legacy", "lua_torch", "graves2013", "hinton2012").
    ``options``: RMSprop's keywords (``learning_rate``, ``rho``, ``epsilon``…).
    """

    def __init__(self, params, preset: str | None = None, **options: Any):
        lr, defaults = _settings(preset, options)
        self.preset = preset
        super().__init__(params, {"lr": lr, **defaults})
        for group in self.param_groups:  # a group's own options are checked by the reference too
            own = {name: group[name] for name in GROUP_OPTIONS}
            _Reference(learning_rate=group["lr"], **own)

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise ValueError("sparse gradients are not supported by the torch adapter: pass dense ones")
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["mean_square"] = torch.full_like(p, group["initial_accumulator"])
                    if group["centered"]:
                        state["mean_grad"] = torch.zeros_like(p)
                    if group["momentum"] > 0:
                        state["momentum_buffer"] = torch.zeros_like(p)
                p.copy_(self._updated(p, p.grad, state, group))
                state["step"] += 1
        return loss

    @staticmethod
    def _updated(theta, g, state, group):
        """The new parameter, and the state updated in place: leaf_update on tensors."""
        lr, rho, eps, wd = group["lr"], group["rho"], group["epsilon"], group["weight_decay"]
        if group["maximize"]:
            g = -g
        if wd and group["weight_decay_mode"] == "coupled":
            g = g + wd * theta
        if wd and group["weight_decay_mode"] == "decoupled":
            theta = theta - theta * wd * lr  # Keras's order, θ − (θ·wd)·η
        mean_square = rho * state["mean_square"] + (1 - rho) * (g * g)
        state["mean_square"].copy_(mean_square)
        mean_grad = None
        if "mean_grad" in state:
            mean_grad = rho * state["mean_grad"] + (1 - rho) * g
            state["mean_grad"].copy_(mean_grad)
        v, m = mean_square, mean_grad
        if group["bias_correction"]:
            correction = 1 - rho ** (state["step"] + 1)
            v = v / correction
            m = None if m is None else m / correction
        second_moment = v if m is None else v - m * m
        if group["epsilon_in_sqrt"]:
            denominator = torch.sqrt(second_moment + eps)
        else:
            denominator = torch.sqrt(second_moment) + eps
        if eps == 0:  # a coordinate that never had a gradient does not move (the ε → 0 limit)
            denominator = torch.where(denominator == 0, torch.inf, denominator)
        if "momentum_buffer" not in state:
            return theta - lr * g / denominator
        mu, buffer = group["momentum"], state["momentum_buffer"]
        if group["lr_in_momentum"]:
            increment = lr * g / denominator
            buffer.copy_(mu * buffer + increment)
            step_taken = increment + mu * buffer if group["nesterov"] else buffer
        else:
            scaled = g / denominator
            buffer.copy_(mu * buffer + scaled)
            step_taken = lr * (scaled + mu * buffer) if group["nesterov"] else lr * buffer
        return theta - step_taken
