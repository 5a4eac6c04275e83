"""The book's own support code: what the chapters need beyond the library.

``rmsprop_ref`` (the package above) is the library a user installs: the optimizers and
their presets, schedules, tree utilities, problems, runs, sweeps, the in-place path, MNIST
and the NumPy MLP. This subpackage holds what only the chapters use: the claims chapter's
experiments and verdicts (:mod:`.claims`, :mod:`.claim_experiments`, :mod:`.verdicts`,
:mod:`.sparse`), Reddi et al.'s online problem (:mod:`.online`), the tables of the
Foundations chapters (:mod:`.foundations`), the improved chapter's runs (:mod:`.improved`),
the step-cost harness (:mod:`.stepcost`), the runners that drive the real frameworks and the
frameworks chapter's reports (:mod:`.frameworks`, :mod:`.framework_report`), the Keras MNIST
model (:mod:`.keras_mnist`), the book's plotting style (:mod:`.plots`), its one text-table
and one Markdown-table formatter (:mod:`.tables`), and :func:`.page.glue`,
:func:`.page.show_error` and :func:`.page.expect_logs`.

It imports the library; the library never imports it.
"""
