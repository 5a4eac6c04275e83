"""Turning user input into numbers, with errors that name the argument.

``np.array("ab", dtype=float)`` fails with "could not convert string to float", which names
neither the argument nor what it accepts, and ``np.array(True, dtype=float)`` quietly gives
1.0. Every public function that takes numbers converts them here instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def float_array(name: str, value: Any, accepted: str = "numbers") -> np.ndarray:
    """``value`` as a float64 array, or a ValueError saying what ``name`` accepts.

    Integers and floats (Python or NumPy) are accepted; strings, booleans, None and mixed
    objects are not.
    """
    try:
        array = np.asarray(value)
    except ValueError:  # ragged nesting
        raise ValueError(f"{name} must be {accepted}; got {value!r}") from None
    if array.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be {accepted}; got {value!r}")
    return array.astype(np.float64)
