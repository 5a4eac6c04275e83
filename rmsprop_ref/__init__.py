"""rmsprop_ref: a small, tested NumPy reference for RMSprop in every framework's convention.

    from rmsprop_ref import RMSprop
    opt = RMSprop.preset("keras")   # or "torch", "tf1", "optax", "keras2.0", "lua_torch", ...
    state = opt.init(params)
    params, state = opt.update(params, grads, state)

The library, by layer (each imports only the layers above it):

- optimizers: :class:`~rmsprop_ref.rmsprop.RMSprop` and its
  :data:`~rmsprop_ref.rmsprop.PRESETS`, :class:`~rmsprop_ref.optimizers.SGD`,
  :class:`~rmsprop_ref.optimizers.Adagrad`, :class:`~rmsprop_ref.optimizers.Adam`,
  :class:`~rmsprop_ref.amsgrad.AMSGrad` (base class :class:`~rmsprop_ref.optimizers.Optimizer`);
  :mod:`.schedules`; :mod:`.tree` (parameters as nested dicts, lists and tuples of arrays);
  :func:`~rmsprop_ref.conventions.translate` (one framework's settings in another's spelling);
- problems: :mod:`.problems` (toy objectives), :func:`~rmsprop_ref.data.load_mnist` and
  :mod:`.mlp` (the article's network in NumPy);
- runs: :func:`~rmsprop_ref.run.minimize` (one run, a :class:`~rmsprop_ref.run.Trajectory`),
  :func:`~rmsprop_ref.sweep.sweep` (a grid of runs as one array computation, a
  :class:`~rmsprop_ref.sweep.SweepResult`), :class:`~rmsprop_ref.inplace.InPlaceRMSprop` (the
  same step, in place, for large arrays);
- analysis: :mod:`.analysis` (closed forms of RMSprop's behaviour near an optimum: the SGD it
  becomes where v ≪ ε, the two-step cycle it settles into otherwise).

:mod:`rmsprop_ref.book` holds what only the book's chapters use (experiments, plots, the
runners of the real frameworks); the library never imports it. Nothing here imports Keras,
TensorFlow, PyTorch or JAX at import time.
"""

from . import mlp, problems, schedules, tree
from .amsgrad import AMSGrad
from .conventions import translate
from .data import load_mnist
from .inplace import InPlaceRMSprop
from .optimizers import SGD, Adagrad, Adam, Optimizer
from .rmsprop import PRESETS, RMSprop
from .run import Trajectory, minimize
from .sweep import SweepResult, sweep

__all__ = [
    "AMSGrad",
    "Adagrad",
    "Adam",
    "InPlaceRMSprop",
    "Optimizer",
    "PRESETS",
    "RMSprop",
    "SGD",
    "SweepResult",
    "Trajectory",
    "load_mnist",
    "minimize",
    "mlp",
    "problems",
    "schedules",
    "sweep",
    "translate",
    "tree",
]
__version__ = "0.1.0"
