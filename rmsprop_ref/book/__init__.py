"""The book's own support code: what the chapters need beyond the library.

``rmsprop_ref`` (the package above) is the library a user installs: the optimizers and
their presets, schedules, tree utilities, problems, runs, sweeps, the in-place path, MNIST
and the NumPy MLP. This subpackage holds what only the chapters use: the claims chapter's
experiments (:mod:`.claims`, :mod:`.sparse`), Reddi et al.'s online problem
(:mod:`.online`), the step-cost harness (:mod:`.stepcost`), the runners that drive the real
frameworks (:mod:`.frameworks`), the Keras MNIST model (:mod:`.keras_mnist`), the book's
plotting style (:mod:`.plots`) and :func:`.page.glue`.

It imports the library; the library never imports it.
"""
