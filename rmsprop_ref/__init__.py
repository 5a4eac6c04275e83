"""rmsprop_ref: a small, tested NumPy reference for RMSprop in every framework's convention.

    from rmsprop_ref import RMSprop
    opt = RMSprop.preset("keras")             # or "torch", "tf1", "optax", "graves2013", "hinton2012"
    state = opt.init(params)
    params, state = opt.update(params, grads, state)

Nothing here imports Keras, TensorFlow, PyTorch or JAX at import time.
"""

from .optimizers import SGD, Adagrad, Adam, Optimizer
from .rmsprop import PRESETS, RMSprop
from .amsgrad import AMSGrad
from . import schedules, tree

__all__ = ["SGD", "Adagrad", "Adam", "AMSGrad", "Optimizer", "RMSprop", "PRESETS", "schedules", "tree"]
__version__ = "0.1.0"
