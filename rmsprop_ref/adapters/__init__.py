"""Any of rmsprop_ref's RMSprop settings inside a framework's own training loop.

``rmsprop_ref.adapters.torch.RMSprop`` is a ``torch.optim.Optimizer`` that takes every preset
of :class:`rmsprop_ref.rmsprop.RMSprop` (``preset="keras"``, ``"tf1"``…) and its options, and
steps torch tensors exactly as the NumPy reference does. Importing this package imports no
framework; each adapter's module imports its own framework when it is imported.
"""
