"""Any of rmsprop_ref's RMSprop settings inside a framework's own training loop.

Each adapter takes every preset of :class:`rmsprop_ref.rmsprop.RMSprop` (``preset="keras"``,
``"tf1"``…) and its options, and steps the framework's tensors exactly as the NumPy
reference does:

- ``rmsprop_ref.adapters.torch.RMSprop(params, preset=...)``: a ``torch.optim.Optimizer``;
- ``rmsprop_ref.adapters.keras.RMSprop(preset=...)``: a Keras 3 optimizer;
- ``rmsprop_ref.adapters.optax.rmsprop(preset=...)``: an ``optax.GradientTransformation``.

Importing this package imports no framework; each adapter's module imports its own framework
when it is imported.
"""
