"""Toy objectives with an analytic value and gradient, small enough to run in seconds.

Every problem is a small frozen object with

- ``name`` (for legends), ``dim`` (the length of the flat parameter vector),
- ``value(x)`` and ``grad(x)``, vectorised: ``x`` has shape ``(dim,)`` or ``(..., dim)`` and
  the result has shape ``()`` / ``(...)`` for the value and the shape of ``x`` for the
  gradient, so that a sweep can evaluate many settings in one array computation,
- ``minimizer`` (a point where the loss is smallest) and ``minimum`` (the value there),
- ``layer_slices``: for problems made of layers, how the flat vector splits into layers
  (one ``slice`` per layer, first layer first); ``None`` otherwise.

The problems, and what each is for in the book:

==========================  ==================================================================
``Quadratic``               ½ xᵀHx with given curvatures, optionally rotated: per-coordinate
                            scaling helps on the axis-aligned one and not on the rotated one
``Rosenbrock``, ``Beale``   classic 2-D test functions for "every optimizer on one contour plot"
``SaturatedUnit``           one sigmoid unit started deep in saturation: a tiny gradient on a plateau
``SigmoidChain``            L sigmoid layers in a row: the first layers' gradients shrink
                            geometrically with depth (vanishing gradients)
``RecurrentCliff``          h_t = w·σ(h_{t−1}) + b unrolled T steps (Pascanu, Mikolov & Bengio 2013):
                            a loss surface with a cliff where the gradient explodes
``LinearChain``             y = w_L ⋯ w_1 · u with weights above 1: gradients grow geometrically
                            with depth (exploding gradients)
==========================  ==================================================================

Problems whose zero-loss set is larger than a point (the chains, the cliff, the unit) are
built from a *teacher*: the targets are the model's outputs at the teacher's parameters, so
the teacher is an exact minimiser with loss 0 (one of many).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ._checks import check_count, check_finite, float_array

# --------------------------------------------------------------------------- helpers


def sigmoid(z):
    """σ(z) = 1 / (1 + e^(−z)), written as ½(1 + tanh(z/2)): no overflow for any z."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z)))


def _frozen_array(values, name: str, ndim: int | None = 1) -> np.ndarray:
    array = float_array(name, values, "a sequence of finite numbers")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D sequence of numbers; got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite numbers; got {values!r}")
    array.setflags(write=False)
    return array


class Problem:
    """Shared behaviour: input checking and the attributes every problem has.

    A subclass sets ``name``, ``dim``, ``minimizer``, ``minimum`` (and ``layer_slices`` if
    it has layers) in ``__post_init__`` and implements ``_value`` and ``_grad`` for an
    ``x`` of shape ``(..., dim)``.
    """

    name: str
    dim: int
    minimizer: np.ndarray
    minimum: float
    layer_slices: tuple[slice, ...] | None = None

    def _check_x(self, x) -> np.ndarray:
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            if not np.issubdtype(x.dtype, np.number):
                raise ValueError(f"x must be an array of numbers of shape (..., {self.dim}); got dtype {x.dtype}")
            x = x.astype(np.float64)
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise ValueError(f"x must have shape ({self.dim},) or (..., {self.dim}) for {self.name}; got {x.shape}")
        return x

    def value(self, x) -> np.ndarray:
        """The loss at ``x`` (shape ``(..., dim)`` → ``(...)``)."""
        return self._value(self._check_x(x))

    def grad(self, x) -> np.ndarray:
        """The gradient of the loss at ``x`` (same shape as ``x``)."""
        return self._grad(self._check_x(x))

    def value_and_grad(self, x) -> tuple[np.ndarray, np.ndarray]:
        """``(value(x), grad(x))``; problems with a forward pass share it between the two."""
        return self._value_and_grad(self._check_x(x))

    def _value_and_grad(self, x):
        return self._value(x), self._grad(x)

    @property
    def layer_names(self) -> tuple[str, ...] | None:
        """ "layer 1", "layer 2", … (first layer = nearest the input), or None without layers."""
        if self.layer_slices is None:
            return None
        return tuple(f"layer {i + 1}" for i in range(len(self.layer_slices)))

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.name}>"

    # subclasses
    def _value(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def _grad(self, x):  # pragma: no cover - abstract
        raise NotImplementedError


def _set(obj, **values) -> None:
    for key, value in values.items():
        object.__setattr__(obj, key, value)


def _rotation(dim: int, angle_degrees: float) -> np.ndarray:
    """Rotation by ``angle_degrees`` in the plane of the first two coordinates."""
    rotation = np.eye(dim)
    if dim >= 2:
        c, s = math.cos(math.radians(angle_degrees)), math.sin(math.radians(angle_degrees))
        rotation[:2, :2] = [[c, -s], [s, c]]
    return rotation


# --------------------------------------------------------------------------- quadratics


@dataclass(frozen=True, eq=False, repr=False)
class Quadratic(Problem):
    r"""f(x) = ½ (x − c)ᵀH(x − c) with H = R·diag(curvatures)·Rᵀ; R rotates the first two axes by ``angle_degrees``.

    The curvatures are the eigenvalues of H (the second derivatives along the principal
    axes); they must be > 0, so the only minimiser is x = c (``center``, the origin by
    default) with f = 0. The default,
    curvatures (0.2, 4), is f = 0.1·x₁² + 2·x₂² (condition number 20). At 45° the same bowl
    has its axes along the diagonals, so no single coordinate sees one curvature.
    """

    curvatures: Sequence[float] = (0.2, 4.0)
    angle_degrees: float = 0.0
    center: Sequence[float] | None = None
    hessian: np.ndarray = field(init=False)

    def __post_init__(self):
        curvatures = _frozen_array(self.curvatures, "curvatures")
        if curvatures.size == 0 or np.any(curvatures <= 0):
            raise ValueError(f"curvatures must be a non-empty sequence of numbers > 0; got {self.curvatures!r}")
        angle = check_finite("angle_degrees", self.angle_degrees)
        dim = curvatures.size
        if angle != 0 and dim < 2:
            raise ValueError("angle_degrees needs at least two curvatures (it rotates the first two axes)")
        rotation = _rotation(dim, angle)
        hessian = rotation @ np.diag(curvatures) @ rotation.T
        hessian = 0.5 * (hessian + hessian.T)  # exactly symmetric despite rounding
        hessian.setflags(write=False)
        coefficients = ", ".join(f"{c:g}" for c in curvatures)
        name = f"quadratic (curvatures {coefficients})" + (f" rotated {angle:g}°" if angle else "")
        if self.center is None:
            minimizer = np.zeros(dim)
        else:
            minimizer = float_array("center", self.center, f"{dim} finite numbers, one per curvature")
            if minimizer.shape != (dim,) or not np.all(np.isfinite(minimizer)):
                raise ValueError(f"center must be {dim} finite numbers, one per curvature; got {self.center!r}")
            name += " centred at (" + ", ".join(f"{c:g}" for c in minimizer) + ")"
        minimizer.setflags(write=False)
        _set(
            self,
            curvatures=tuple(curvatures.tolist()),
            angle_degrees=angle,
            hessian=hessian,
            name=name,
            dim=dim,
            minimizer=minimizer,
            minimum=0.0,
            center=None if self.center is None else tuple(minimizer.tolist()),
        )

    @property
    def condition_number(self) -> float:
        """The largest curvature over the smallest."""
        return max(self.curvatures) / min(self.curvatures)

    def _value(self, x):
        d = x if self.center is None else x - self.minimizer
        return 0.5 * np.einsum("...i,ij,...j->...", d, self.hessian, d)

    def _grad(self, x):
        d = x if self.center is None else x - self.minimizer
        return d @ self.hessian  # H is symmetric


def ill_conditioned_quadratic(angle_degrees: float = 0.0) -> Quadratic:
    """The book's quadratic f = 0.1·x₁² + 2·x₂² (curvatures 0.2 and 4), optionally rotated."""
    return Quadratic((0.2, 4.0), angle_degrees)


# --------------------------------------------------------------------------- classic 2-D


@dataclass(frozen=True, eq=False, repr=False)
class Rosenbrock(Problem):
    """f(x, y) = (a − x)² + b·(y − x²)²: a curved valley; minimiser (a, a²), f = 0."""

    a: float = 1.0
    b: float = 100.0

    def __post_init__(self):
        a, b = check_finite("a", self.a), check_finite("b", self.b)
        if b <= 0:
            raise ValueError(f"b must be > 0; got {self.b!r}")
        minimizer = np.array([a, a * a])
        minimizer.setflags(write=False)
        _set(self, a=a, b=b, name=f"Rosenbrock (a={a:g}, b={b:g})", dim=2, minimizer=minimizer, minimum=0.0)

    def _value(self, x):
        u, v = x[..., 0], x[..., 1]
        return (self.a - u) ** 2 + self.b * (v - u * u) ** 2

    def _grad(self, x):
        u, v = x[..., 0], x[..., 1]
        inner = v - u * u
        return np.stack([-2 * (self.a - u) - 4 * self.b * u * inner, 2 * self.b * inner], axis=-1)


@dataclass(frozen=True, eq=False, repr=False)
class Beale(Problem):
    """f(x, y) = Σₖ (cₖ − x + x·yᵏ)², c = (1.5, 2.25, 2.625): minimiser (3, 0.5), f = 0."""

    def __post_init__(self):
        minimizer = np.array([3.0, 0.5])
        minimizer.setflags(write=False)
        _set(self, name="Beale", dim=2, minimizer=minimizer, minimum=0.0)

    _CONSTANTS = (1.5, 2.25, 2.625)

    def _residuals(self, x):
        u, v = x[..., 0], x[..., 1]
        return [(c - u + u * v ** (k + 1), k + 1) for k, c in enumerate(self._CONSTANTS)]

    def _value(self, x):
        return sum(r * r for r, _ in self._residuals(x))

    def _grad(self, x):
        u, v = x[..., 0], x[..., 1]
        du = sum(2 * r * (v**k - 1) for r, k in self._residuals(x))
        dv = sum(2 * r * u * k * v ** (k - 1) for r, k in self._residuals(x))
        return np.stack([du, dv], axis=-1)


# --------------------------------------------------------------------------- vanishing gradients


@dataclass(frozen=True, eq=False, repr=False)
class SaturatedUnit(Problem):
    r"""One sigmoid unit fitted to a teacher: f(w, b) = mean_j ½(σ(w·uⱼ + b) − yⱼ)², yⱼ = σ(w*·uⱼ + b*).

    Parameters x = (w, b). Started with w·u + b far from 0 the unit is saturated: σ′ is
    about e^(−|z|), so the gradient is tiny although the loss is far from its minimum 0 at
    the teacher (w*, b*).
    """

    teacher: Sequence[float] = (1.0, 0.0)
    inputs: Sequence[float] = (-2.0, -1.0, 0.0, 1.0, 2.0)
    targets: np.ndarray = field(init=False)

    def __post_init__(self):
        teacher = _frozen_array(self.teacher, "teacher")
        inputs = _frozen_array(self.inputs, "inputs")
        if teacher.shape != (2,):
            raise ValueError(f"teacher must be (w, b), two numbers; got {self.teacher!r}")
        if np.unique(inputs).size < 2:
            raise ValueError(f"inputs must hold at least two different numbers; got {self.inputs!r}")
        targets = sigmoid(teacher[0] * inputs + teacher[1])
        targets.setflags(write=False)
        _set(
            self,
            teacher=teacher,
            inputs=inputs,
            targets=targets,
            name="saturated sigmoid unit",
            dim=2,
            minimizer=teacher,
            minimum=0.0,
        )

    def _forward(self, x):
        return sigmoid(x[..., 0:1] * self.inputs + x[..., 1:2])

    def _value(self, x):
        return 0.5 * np.mean((self._forward(x) - self.targets) ** 2, axis=-1)

    def _grad(self, x):
        p = self._forward(x)
        delta = (p - self.targets) * p * (1 - p) / self.inputs.size  # ∂f/∂z for each input
        return np.stack([np.sum(delta * self.inputs, axis=-1), np.sum(delta, axis=-1)], axis=-1)


@dataclass(frozen=True, eq=False, repr=False)
class SigmoidChain(Problem):
    r"""A chain of L one-unit sigmoid layers fitted to a teacher chain of the same shape.

    h₀ = u (each input), zₗ = wₗ·hₗ₋₁ + bₗ, hₗ = σ(zₗ); loss = mean_j ½(h_L(uⱼ) − yⱼ)², with
    yⱼ the teacher's output. Parameters x = (w₁, b₁, w₂, b₂, …, w_L, b_L); layer l owns
    ``x[2(l−1) : 2l]``. By the chain rule ∂f/∂zₗ = ∂f/∂zₗ₊₁ · wₗ₊₁·σ′(zₗ), and σ′ ≤ ¼, so
    with ``|w| ≲ 1`` the gradient of layer l shrinks like ``(|w|/4)^(L−l)``: the first layers'
    gradients vanish.

    The teacher has every layer at (w, b) = (``teacher_weight``, ``teacher_bias``). The
    default (6, −3) maps h ↦ σ(6h − 3), whose slope at h = ½ is 1.5 > 1: the teacher carries
    the input's sign through any depth, so its outputs differ across inputs and a student can
    only fit them by training *every* layer (a random teacher's outputs are almost constant,
    which the last layer alone could fit). The teacher is an exact minimiser (loss 0), one of many.
    """

    depth: int = 10
    teacher_weight: float = 6.0
    teacher_bias: float = -3.0
    inputs: Sequence[float] = (-2.0, -1.0, 0.0, 1.0, 2.0)
    teacher: np.ndarray = field(init=False)
    targets: np.ndarray = field(init=False)

    def __post_init__(self):
        depth = check_count("depth", self.depth)
        weight = check_finite("teacher_weight", self.teacher_weight)
        bias = check_finite("teacher_bias", self.teacher_bias)
        inputs = _frozen_array(self.inputs, "inputs")
        if inputs.size == 0:
            raise ValueError("inputs must hold at least one number")
        teacher = np.tile([weight, bias], depth)
        teacher.setflags(write=False)
        _set(
            self,
            depth=depth,
            teacher_weight=weight,
            teacher_bias=bias,
            inputs=inputs,
            teacher=teacher,
            name=f"sigmoid chain ({depth} layers)",
            dim=2 * depth,
            minimizer=teacher,
            minimum=0.0,
            layer_slices=tuple(slice(2 * layer, 2 * layer + 2) for layer in range(depth)),
        )
        targets = self._forward(teacher)[-1]
        targets.setflags(write=False)
        object.__setattr__(self, "targets", targets)

    def _forward(self, x):
        """The activations h₀ … h_L, each of shape (..., n_inputs)."""
        h = [np.broadcast_to(self.inputs, x.shape[:-1] + self.inputs.shape)]
        for layer in range(self.depth):
            h.append(sigmoid(x[..., 2 * layer, None] * h[-1] + x[..., 2 * layer + 1, None]))
        return h

    def _value(self, x):
        return 0.5 * np.mean((self._forward(x)[-1] - self.targets) ** 2, axis=-1)

    def _grad(self, x):
        return self._value_and_grad(x)[1]

    def _value_and_grad(self, x):
        h = self._forward(x)
        grad = np.empty(x.shape, dtype=np.result_type(x, np.float64))
        out = h[-1]
        residual = out - self.targets
        delta = residual / self.inputs.size * out * (1 - out)  # ∂f/∂z_L per input
        for layer in reversed(range(self.depth)):
            grad[..., 2 * layer] = (delta * h[layer]).sum(axis=-1)
            grad[..., 2 * layer + 1] = delta.sum(axis=-1)
            if layer:
                delta = delta * x[..., 2 * layer, None] * h[layer] * (1 - h[layer])
        return 0.5 * (residual * residual).mean(axis=-1), grad


# --------------------------------------------------------------------------- exploding gradients


@dataclass(frozen=True, eq=False, repr=False)
class RecurrentCliff(Problem):
    r"""The one-unit recurrent net of Pascanu, Mikolov & Bengio (2013): hₜ = w·σ(hₜ₋₁) + b.

    Unrolled ``unroll`` = T steps from h₀ = ``h0``; loss f(w, b) = (h_T − y)² with y = h_T at
    the teacher (w*, b*), so the teacher is an exact minimiser (loss 0; the zero set is a
    curve in the (w, b) plane). For w above 4 the map h ↦ w·σ(h) + b has two stable fixed
    points for a band of b; crossing the band's edge switches h_T from one to the other,
    and the loss surface has a cliff there with a very large gradient.
    The gradient is back-propagation through time: ∂h_t/∂h_{t−1} = w·σ′(h_{t−1}).
    """

    unroll: int = 50
    h0: float = 0.5
    teacher: Sequence[float] = (5.0, -2.5)
    target: float = field(init=False)

    def __post_init__(self):
        unroll = check_count("unroll", self.unroll)
        h0 = check_finite("h0", self.h0)
        teacher = _frozen_array(self.teacher, "teacher")
        if teacher.shape != (2,):
            raise ValueError(f"teacher must be (w, b), two numbers; got {self.teacher!r}")
        _set(
            self,
            unroll=unroll,
            h0=h0,
            teacher=teacher,
            name=f"recurrent cliff (T={unroll})",
            dim=2,
            minimizer=teacher,
            minimum=0.0,
        )
        object.__setattr__(self, "target", float(self.final_state(teacher)))

    def _states(self, x):
        w, b = x[..., 0], x[..., 1]
        h = [np.full(x.shape[:-1], self.h0)]
        for _ in range(self.unroll):
            h.append(w * sigmoid(h[-1]) + b)
        return h

    def final_state(self, x) -> np.ndarray:
        """h_T for parameters x = (w, b), shape (..., 2) → (...)."""
        return self._states(self._check_x(x))[-1]

    def _value(self, x):
        return (self._states(x)[-1] - self.target) ** 2

    def _grad(self, x):
        return self._value_and_grad(x)[1]

    def _value_and_grad(self, x):
        w = x[..., 0]
        h = self._states(x)
        adjoint = 2 * (h[-1] - self.target)  # ∂f/∂h_T
        value = (h[-1] - self.target) ** 2
        dw = np.zeros_like(adjoint)
        db = np.zeros_like(adjoint)
        for t in range(self.unroll, 0, -1):  # h_t = w·σ(h_{t−1}) + b
            s = sigmoid(h[t - 1])
            dw = dw + adjoint * s
            db = db + adjoint
            adjoint = adjoint * w * s * (1 - s)
        return value, np.stack([dw, db], axis=-1)


@dataclass(frozen=True, eq=False, repr=False)
class LinearChain(Problem):
    r"""A deep linear chain of scalar weights: y = w_L ⋯ w₁·u, loss ½(y − target)².

    ∂f/∂wₗ = (y − target)·∏_{k≠l} wₖ·u, so with every weight at c > 1 the gradient is of
    order c^(2L−1): it explodes with depth. Each weight is one layer. The minimiser
    returned is the balanced one, every wₗ = (target/u)^(1/L) (one point of the zero set).
    """

    depth: int = 20
    input: float = 1.0
    target: float = 1.0

    def __post_init__(self):
        depth = check_count("depth", self.depth)
        u, y = check_finite("input", self.input), check_finite("target", self.target)
        if u == 0 or y / u <= 0:
            raise ValueError(f"target / input must be > 0 (so a balanced real minimiser exists); got {y} / {u}")
        minimizer = np.full(depth, (y / u) ** (1.0 / depth))
        minimizer.setflags(write=False)
        _set(
            self,
            depth=depth,
            input=u,
            target=y,
            name=f"linear chain ({depth} layers)",
            dim=depth,
            minimizer=minimizer,
            minimum=0.0,
            layer_slices=tuple(slice(layer, layer + 1) for layer in range(depth)),
        )

    def _value(self, x):
        return 0.5 * (np.prod(x, axis=-1) * self.input - self.target) ** 2

    def _grad(self, x):
        # Products of all weights except one, without dividing (a weight may be 0):
        # prefix[l] = w₁⋯w_{l−1}, suffix[l] = w_{l+1}⋯w_L.
        ones = np.ones(x.shape[:-1] + (1,), dtype=x.dtype)
        prefix = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
        suffix = np.cumprod(np.concatenate([ones, x[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        residual = np.prod(x, axis=-1) * self.input - self.target
        return residual[..., None] * prefix * suffix * self.input


__all__ = [
    "Problem",
    "Quadratic",
    "ill_conditioned_quadratic",
    "Rosenbrock",
    "Beale",
    "SaturatedUnit",
    "SigmoidChain",
    "RecurrentCliff",
    "LinearChain",
    "sigmoid",
]
