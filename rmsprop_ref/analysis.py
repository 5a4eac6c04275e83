r"""Why RMSprop behaves as it does, in closed form (the chapter "Improved RMSprop", section
"Why RMSprop behaves as it does").

Two regimes near an optimum: where v ≪ ε, RMSprop is SGD with the learning rate
:func:`sgd_limit_learning_rate` (and :func:`sgd_limit_gap_bound` bounds how far it strays from
that SGD on a diagonal quadratic); otherwise, at constant η, it settles into the two-step
cycle θ = ±a of :func:`sign_cycle`, which also says whether the cycle attracts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._checks import check_count, check_positive, float_array, is_real
from .rmsprop import RMSprop


def _plain_constants(optimizer, what: str) -> tuple[float, float, float, bool]:
    """(η, ρ, ε, ε inside the root) of an RMSprop whose hyper-parameters are constant numbers."""
    if not isinstance(optimizer, RMSprop):
        raise ValueError(f"{what} takes an RMSprop; got {optimizer!r}")
    values = [optimizer.learning_rate, optimizer.rho, optimizer.epsilon, optimizer.momentum]
    if not all(is_real(value) for value in values):
        raise ValueError(f"{what} needs a constant learning rate, rho, epsilon and momentum (numbers)")
    if optimizer.bias_correction or optimizer.weight_decay:
        raise ValueError(f"{what} does not cover bias correction or weight decay")
    return float(optimizer.learning_rate), float(optimizer.rho), float(optimizer.epsilon), optimizer.epsilon_in_sqrt


def sgd_limit_learning_rate(optimizer) -> float:
    r"""The learning rate α of the SGD that RMSprop becomes where v ≪ ε: η/√ε or η/ε.

    RMSprop's step is ``η·g/√(v + ε)`` (ε inside the root) or ``η·g/(√v + ε)`` (outside).
    Where v ≪ ε (inside) or √v ≪ ε (outside) the denominator is √ε or ε, whatever g is, and
    the step is ``α·g`` with α = η/√ε or η/ε: plain SGD. ``optimizer`` is an
    :class:`~rmsprop_ref.rmsprop.RMSprop` with a constant learning rate and ε > 0.
    """
    eta, _, epsilon, inside = _plain_constants(optimizer, "sgd_limit_learning_rate")
    if epsilon <= 0:
        raise ValueError("with epsilon = 0 RMSprop has no SGD limit: its step does not shrink with g")
    return eta / math.sqrt(epsilon) if inside else eta / epsilon


def sgd_limit_gap_bound(optimizer, curvatures, x0, steps: int) -> np.ndarray:
    r"""How far RMSprop's iterates can be from those of SGD at rate α on ½·Σ hᵢθᵢ².

    Returns, per coordinate, a bound B with ``0 ≤ θ_RMSprop/θ_SGD − 1 ≤ B`` after ``steps``
    steps of plain RMSprop (``optimizer``: no momentum, not centered) and of SGD at
    α = :func:`sgd_limit_learning_rate`, both from ``x0`` on the diagonal quadratic with
    curvatures hᵢ (each α·hᵢ must be below 1). The derivation, per coordinate::

        RMSprop: θ ← (1 − αₜh)·θ,  αₜ = η/√(vₜ + ε) or η/(√vₜ + ε) ≤ α
        SGD:     θ ← (1 − αh)·θ
        r = θ_RMSprop/θ_SGD is multiplied each step by
            (1 − αₜh)/(1 − αh) = 1 + αh·δₜ/(1 − αh),  δₜ = 1 − αₜ/α
        δₜ ≤ vₜ/(2ε) inside the root, √vₜ/ε outside
        0 < αₜh < 1, so |θ| never grows: vₜ ≤ max(v₀, (h·θ₀)²)

    hence ``B = (1 + αh·δ̄/(1 − αh))^steps − 1`` with δ̄ the bound on δ at that largest v.
    It is small when (hθ₀)² ≪ ε: started that close to the minimum, RMSprop *is* SGD at rate α.
    """
    _, _, epsilon, inside = _plain_constants(optimizer, "sgd_limit_gap_bound")
    if optimizer.momentum or optimizer.centered:
        raise ValueError("sgd_limit_gap_bound covers plain RMSprop: no momentum, not centered")
    alpha = sgd_limit_learning_rate(optimizer)
    h = float_array("curvatures", curvatures, "positive numbers")
    x0 = float_array("x0", x0, "numbers, one per curvature")
    steps = check_count("steps", steps)
    if h.ndim != 1 or x0.shape != h.shape or np.any(h <= 0):
        raise ValueError(f"curvatures must be positive numbers and x0 one number per curvature; got {h}, {x0}")
    if np.any(alpha * h >= 1):
        raise ValueError(f"every α·h must be below 1 (α = {alpha:g}); got {alpha * h}")
    largest_v = np.maximum(optimizer.initial_accumulator, (h * x0) ** 2)
    delta = largest_v / (2 * epsilon) if inside else np.sqrt(largest_v) / epsilon
    return np.expm1(steps * np.log1p(alpha * h * delta / (1 - alpha * h)))


@dataclass(frozen=True)
class SignCycle:
    """RMSprop's two-step cycle θ = +a, −a, +a, … on f = ½hθ² (see :func:`sign_cycle`).

    ``amplitude`` is a (0.0 when no cycle exists). ``state`` is (θ, v, m, b) just before the
    step from +a (m and b are None when the optimizer keeps no such buffer; ``state`` is None
    without a cycle). ``spectral_radius`` is the largest modulus of the eigenvalues of the
    two-step map's Jacobian at the cycle (NaN without a cycle): below 1 the cycle attracts
    the iterates near it, above 1 it repels them.
    """

    amplitude: float
    state: tuple | None
    spectral_radius: float


def sign_cycle(optimizer, curvature: float) -> SignCycle:
    r"""The two-step cycle of RMSprop (with any momentum or centering) on f = ½hθ², h > 0.

    Suppose θ alternates between +a and −a. Then g = ±ha has a constant square, v = h²a²,
    and each step is a multiple k of η·c with c = ha/D the rescaled gradient. Taking two
    steps (θ → −θ → θ) back to the start gives the closed forms::

        step = 2a = k·η·ha/D,  so D = kηh/2
        k = 1 (no momentum), 1/(1+μ) (heavy ball), (1+2μ)/(1+μ) (Nesterov)
        ε inside:  D = √(s + ε), a = √(k²η²/4 − ε/h²)/√r
        ε outside: D = √s + ε,   a = (kη/2 − ε/h)/√r
        s = r·h²a², r = 1 − ((1−ρ)/(1+ρ))² if centered, else 1

    (the momentum buffer alternates ±B with B = ηc/(1+μ), or c/(1+μ) with η outside the
    buffer; centering's mean m alternates ±(1−ρ)ha/(1+ρ)). The cycle exists when the bracket
    is positive; without momentum or centering that is α·h > 2 with α =
    :func:`sgd_limit_learning_rate`, exactly where SGD at rate α is unstable. The spectral
    radius comes from the optimizer's own ``leaf_update``, differentiated by central
    differences around the cycle. The learning rate and the other hyper-parameters must be
    constant numbers; bias correction and weight decay are not covered.
    """
    eta, rho, epsilon, inside = _plain_constants(optimizer, "sign_cycle")
    h = check_positive("curvature", curvature)
    mu = float(optimizer.momentum)
    k = 1.0 if mu == 0 else (1 + 2 * mu) / (1 + mu) if optimizer.nesterov else 1 / (1 + mu)
    r = 1 - ((1 - rho) / (1 + rho)) ** 2 if optimizer.centered else 1.0
    if inside:
        square = (k * eta / 2) ** 2 - epsilon / h**2
        a = math.sqrt(square / r) if square > 0 else 0.0
    else:
        a = max(0.0, (k * eta / 2 - epsilon / h) / math.sqrt(r))
    if a == 0:
        return SignCycle(0.0, None, math.nan)
    c = 2 / (k * eta) * a  # the rescaled gradient ha/D, from D = kηh/2
    m = -(1 - rho) * h * a / (1 + rho) if optimizer.centered else None
    b = -(eta if optimizer.lr_in_momentum else 1.0) * c / (1 + mu) if mu else None
    state = (a, h * h * a * a, m, b)
    present = [i for i, value in enumerate(state) if value is not None]

    def two_steps(vector):
        full = list(state)
        for i, value in zip(present, vector):
            full[i] = np.float64(value)
        theta, v, mean, buffer = full
        for step in range(2):
            theta, v, mean, buffer = optimizer.leaf_update(
                theta, h * theta, v, mean, buffer, learning_rate=eta, step=step
            )
        return np.array([(theta, v, mean, buffer)[i] for i in present], dtype=float)

    point = np.array([state[i] for i in present], dtype=float)
    jacobian = np.empty((point.size, point.size))
    for j in range(point.size):
        d = 1e-6 * abs(point[j])
        shift = np.zeros(point.size)
        shift[j] = d
        jacobian[:, j] = (two_steps(point + shift) - two_steps(point - shift)) / (2 * d)
    radius = float(np.abs(np.linalg.eigvals(jacobian)).max())
    return SignCycle(a, state, radius)


__all__ = ["sgd_limit_learning_rate", "sgd_limit_gap_bound", "SignCycle", "sign_cycle"]
