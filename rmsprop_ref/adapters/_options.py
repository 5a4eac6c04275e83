"""What the three adapters share: the reference optimizer their arguments make, refused where
the adapter cannot carry it out, with a message that says what to use instead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rmsprop_ref.gradients import GRADIENT_OPTIONS
from rmsprop_ref.rmsprop import VARYING
from rmsprop_ref.rmsprop import RMSprop as Reference

#: The options of one step, computed by the adapter itself: RMSprop's options from ``rho`` up to
#: the gradient options, and ``maximize``.
STEP_OPTIONS = (
    *Reference.HYPERPARAMETERS[1 : Reference.HYPERPARAMETERS.index(GRADIENT_OPTIONS[0])],
    "maximize",
)


def checked_reference(
    adapter: str, preset: str | None, options: dict[str, Any], refused: Mapping[str, tuple[Any, str]], varying: str
) -> Reference:
    """``RMSprop.preset(preset, **options)`` (or ``RMSprop(**options)``), checked by the reference.

    ``refused`` maps an option the ``adapter`` does not carry out to its "off" value and what to
    use instead; ``varying`` says what to do instead of giving ``rho``, ``epsilon``,
    ``momentum`` or ``weight_decay`` as a function. Each is a ValueError naming the option.
    """
    reference = Reference.preset(preset, **options) if preset is not None else Reference(**options)
    for name, (off, instead) in refused.items():
        if getattr(reference, name) != off:
            raise ValueError(
                f"{name}={getattr(reference, name)!r} is not supported by the {adapter} adapter: {instead}"
            )
    functions = [name for name in VARYING if callable(getattr(reference, name))]
    if functions:
        raise ValueError(
            f"{', '.join(functions)} given as a function is not supported by the {adapter} adapter: {varying}"
        )
    return reference
