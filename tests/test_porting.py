"""rmsprop_ref.book.porting: the PyTorch twin of the Keras MNIST model, the step-by-step
training loops, the distances between runs, and the porting table read off translate()."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rmsprop_ref import RMSprop, mlp
from rmsprop_ref.book import porting
from rmsprop_ref.conventions import translate

pytestmark = pytest.mark.conformance  # runs PyTorch and Keras


def _weights(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    shapes = [(784, 512), (512,), (512, 10), (10,)]
    return [(0.05 * rng.normal(size=shape)).astype(np.float32) for shape in shapes]


def _data(n: int = 64, seed: int = 1):
    rng = np.random.default_rng(seed)
    return rng.uniform(size=(n, 784)).astype(np.float32), rng.integers(0, 10, size=n).astype(np.uint8)


def test_the_torch_twin_holds_the_keras_weights_and_computes_the_same_loss_and_gradients():
    weights = _weights()
    model = porting.torch_mlp(weights)
    for mine, theirs in zip(porting.torch_weights(model), weights):
        np.testing.assert_array_equal(mine, theirs)
    x, y = _data()
    loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y.astype(np.int64)))
    loss.backward()
    params = mlp.params_from_keras_weights(weights)
    expected_loss, expected_grads, _ = mlp.loss_and_grads(params, x, y)
    assert loss.item() == pytest.approx(float(expected_loss), rel=1e-5)
    grads = [model[0].weight.grad.T, model[0].bias.grad, model[2].weight.grad.T, model[2].bias.grad]
    for mine, theirs in zip(grads, mlp.params_to_keras_weights(expected_grads)):
        np.testing.assert_allclose(mine.numpy(), theirs, rtol=1e-4, atol=1e-6)


def test_train_torch_records_each_step_and_matches_the_reference_on_the_same_batches():
    weights = _weights()
    x, y = _data(64)
    model = porting.torch_mlp(weights)
    from rmsprop_ref.adapters.torch import RMSprop as TorchRMSprop

    history = porting.train_torch(model, TorchRMSprop(model.parameters(), preset="keras"), x, y, steps=4, batch_size=16)
    assert len(history) == 4 and [w.shape for w in history[-1]] == [w.shape for w in weights]
    params, optimizer = mlp.params_from_keras_weights(weights), RMSprop.preset("keras")
    state = optimizer.init(params)
    for k in range(4):
        grads = mlp.loss_and_grads(params, x[16 * k : 16 * (k + 1)], y[16 * k : 16 * (k + 1)])[1]
        params, state = optimizer.update(params, grads, state)
    assert porting.distance_per_step(history[-1:], [mlp.params_to_keras_weights(params)])[0] < 1e-6


def test_train_keras_records_each_step():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    initial = model.get_weights()
    x, y = _data(48)
    history = porting.train_keras(model, keras.optimizers.SGD(0.1), x, y, steps=3, batch_size=16)
    assert len(history) == 3
    moved = porting.distance_per_step(history, [initial] * 3)
    assert np.all(np.diff(moved) != 0) and porting.distance_moved(history, initial) == moved[-1]


def test_too_many_steps_for_the_data_is_refused():
    model = porting.torch_mlp(_weights())
    x, y = _data(32)
    with pytest.raises(ValueError, match="steps must be between 1 and 2"):
        porting.train_torch(model, torch.optim.SGD(model.parameters(), 0.1), x, y, steps=3, batch_size=16)


def test_distance_per_step_is_the_largest_difference_after_each_step():
    a = [[np.zeros(2), np.zeros(3)], [np.ones(2), np.zeros(3)]]
    b = [[np.zeros(2), np.full(3, 0.5)], [np.ones(2), np.zeros(3)]]
    np.testing.assert_array_equal(porting.distance_per_step(a, b), [0.5, 0.0])
    with pytest.raises(ValueError, match="same number"):
        porting.distance_per_step(a, b[:1])


@pytest.mark.parametrize("source", porting.SOURCES)
@pytest.mark.parametrize("target", porting.TARGETS)
def test_the_table_is_what_translate_says(source, target):
    if source == target:
        return
    plain = translate(porting._source_settings(source, {}), source, target)
    assert porting.port_verdict(source, target, "constant η") == ("built-in" if plain.exact else "adapter")
    table = porting.porting_table()
    row = next(
        line for line in table.splitlines() if line.startswith(f"| {porting.NAMES[source]} → {porting.NAMES[target]} |")
    )
    assert row.count("|") == len(porting.SCENARIOS) + 2


def test_known_verdicts():
    # Keras and PyTorch put ε on either side of the root: never exact. TF1's v₀ = 1 has an
    # Optax setting (initial_scale). A schedule separates PyTorch's η-outside-the-buffer from
    # Optax's inside. Optax's RMSprop has no weight decay to port.
    assert porting.port_verdict("keras", "torch", "constant η") == "adapter"
    assert porting.port_verdict("tf1", "optax", "constant η") == "built-in"
    assert porting.port_verdict("torch", "optax", "momentum") == "built-in"
    assert porting.port_verdict("torch", "optax", "momentum, scheduled η") == "adapter"
    assert porting.port_verdict("optax", "keras", "weight decay") == "—"
    with pytest.raises(ValueError, match="scenario must be one of"):
        porting.port_verdict("keras", "torch", "nope")
