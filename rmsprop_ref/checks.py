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


def seeded_rng(seed: Any, name: str = "seed") -> np.random.Generator:
    """``np.random.default_rng(seed)`` for a whole number >= 0, or a ValueError naming ``name``.

    ``default_rng(None)`` draws fresh entropy: a run that is silently different every time.
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{name} must be a whole number >= 0 (a run must be reproducible); got {seed!r}")
    return np.random.default_rng(int(seed))
