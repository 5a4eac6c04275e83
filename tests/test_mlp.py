"""Tests for rmsprop_ref.mlp: the 784-512-10 network in NumPy, checked against finite differences and Keras."""

import numpy as np
import pytest

from rmsprop_ref import SGD, RMSprop, mlp


def numerical_gradient(loss_of, array, index, h=1e-6):
    """Central difference of loss_of() in one coordinate of ``array`` (changed in place, then restored)."""
    saved = array[index]
    array[index] = saved + h
    up = loss_of()
    array[index] = saved - h
    down = loss_of()
    array[index] = saved
    return (up - down) / (2 * h)


def random_batch(rng, count, features, classes=10):
    return rng.random((count, features)), rng.integers(0, classes, size=count)


# --------------------------------------------------------------------------- parameters


def test_init_has_keras_layout_and_glorot_range():
    params = mlp.init_params(seed=3)
    assert params["hidden"]["kernel"].shape == (784, 512) and params["hidden"]["bias"].shape == (512,)
    assert params["output"]["kernel"].shape == (512, 10) and params["output"]["bias"].shape == (10,)
    for fan_in, fan_out, layer in ((784, 512, "hidden"), (512, 10, "output")):
        kernel, limit = params[layer]["kernel"], np.sqrt(6 / (fan_in + fan_out))
        assert kernel.dtype == np.float32 and params[layer]["bias"].dtype == np.float32
        assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.98 * limit
        assert kernel.var() == pytest.approx(limit**2 / 3, rel=0.05)  # variance of U(-a, a) is a²/3
        assert not params[layer]["bias"].any()


def test_init_is_reproducible_and_seed_dependent():
    a, b, c = mlp.init_params(1), mlp.init_params(1), mlp.init_params(2)
    np.testing.assert_array_equal(a["hidden"]["kernel"], b["hidden"]["kernel"])
    assert not np.array_equal(a["hidden"]["kernel"], c["hidden"]["kernel"])
    assert mlp.init_params(0, dtype=np.float64)["output"]["kernel"].dtype == np.float64


def test_init_rejects_bad_arguments():
    with pytest.raises(ValueError, match="seed"):
        mlp.init_params(seed=0.5)
    with pytest.raises(ValueError, match="sizes"):
        mlp.init_params(seed=0, sizes=(784, 0, 10))


def test_keras_weight_list_round_trip():
    params = mlp.init_params(0)
    weights = mlp.params_to_keras_weights(params)
    assert [w.shape for w in weights] == [(784, 512), (512,), (512, 10), (10,)]
    again = mlp.params_from_keras_weights(weights)
    for layer in mlp.LAYERS:
        for part in ("kernel", "bias"):
            np.testing.assert_array_equal(again[layer][part], params[layer][part])
    with pytest.raises(ValueError, match="4 arrays"):
        mlp.params_from_keras_weights(weights[:3])


# --------------------------------------------------------------------------- loss and gradients


def test_softmax_cross_entropy_matches_the_definition():
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(6, 10)), rng.integers(0, 10, size=6)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss, grad = mlp.softmax_cross_entropy(logits, labels)
    assert loss == pytest.approx(-np.mean(np.log(probabilities[np.arange(6), labels])), rel=1e-12)
    np.testing.assert_allclose(grad, (probabilities - np.eye(10)[labels]) / 6, rtol=1e-12, atol=1e-15)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    loss, grad = mlp.softmax_cross_entropy(np.array([[1000.0, 0.0], [0.0, 0.0]]), np.array([1, 0]))
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert loss == pytest.approx((1000.0 + np.log(2)) / 2)


def test_softmax_cross_entropy_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="labels must have shape"):
        mlp.softmax_cross_entropy(np.zeros((3, 10)), np.zeros(4, dtype=int))


def check_gradients_by_finite_differences(params, images, labels, pick, rtol):
    """Compare loss_and_grads with central differences at the coordinates ``pick(array)`` yields."""
    _, grads, _ = mlp.loss_and_grads(params, images, labels)

    def loss_of():
        return mlp.softmax_cross_entropy(mlp.forward(params, images)[0], labels)[0]

    for layer in mlp.LAYERS:
        for part in ("kernel", "bias"):
            array = params[layer][part]
            for index in pick(array):
                assert grads[layer][part][index] == pytest.approx(
                    numerical_gradient(loss_of, array, index), rel=rtol, abs=1e-9
                ), (layer, part, index)


def test_every_gradient_matches_finite_differences_small_network():
    rng = np.random.default_rng(0)
    params = mlp.init_params(seed=4, sizes=(7, 6, 4), dtype=np.float64)
    params["hidden"]["bias"] += rng.normal(scale=0.1, size=6)
    params["output"]["bias"] += rng.normal(scale=0.1, size=4)
    images, labels = random_batch(rng, 5, 7, classes=4)
    check_gradients_by_finite_differences(params, images, labels, lambda array: np.ndindex(array.shape), 1e-6)


def test_gradients_of_the_full_size_network_match_finite_differences():
    rng = np.random.default_rng(1)
    images, labels = random_batch(rng, 8, 784)

    def some_coordinates(array):
        flat = rng.choice(array.size, size=min(8, array.size), replace=False)
        return [np.unravel_index(i, array.shape) for i in flat]

    check_gradients_by_finite_differences(
        mlp.init_params(seed=5, dtype=np.float64), images, labels, some_coordinates, 1e-5
    )


def test_float32_parameters_give_float32_gradients():
    rng = np.random.default_rng(2)
    images, labels = random_batch(rng, 4, 784)
    _, grads, logits = mlp.loss_and_grads(mlp.init_params(0), images.astype(np.float32), labels)
    assert logits.dtype == np.float32
    assert all(g.dtype == np.float32 for layer in grads.values() for g in layer.values())


# --------------------------------------------------------------------------- batches and training


def test_batch_slices_cover_the_data_like_keras():
    batches = mlp.batch_slices(60000, 128, np.random.default_rng(0))
    assert len(batches) == 469 and len(batches[-1]) == 96
    assert sorted(np.concatenate(batches).tolist()) == list(range(60000))
    in_order = mlp.batch_slices(10, 4, None)
    assert [b.tolist() for b in in_order] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    with pytest.raises(ValueError, match="batch_size"):
        mlp.batch_slices(10, 0, None)


def test_prepare_images_flattens_and_scales():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    prepared = mlp.prepare_images(images)
    assert prepared.dtype == np.float32
    np.testing.assert_allclose(prepared, [[0.0, 1.0, 0.2, 0.4]], rtol=1e-7)


def separable_problem(seed=0, count=600):
    """Ten Gaussian clusters in 784 dimensions: a net that learns must fit it."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(10, 784)).astype(np.float32)
    labels = rng.integers(0, 10, size=count)
    return (centres[labels] + 0.5 * rng.normal(size=(count, 784))).astype(np.float32), labels


def test_fit_learns_and_reports_keras_history():
    images, labels = separable_problem()
    params, state, history = mlp.fit(
        mlp.init_params(0),
        RMSprop.preset("keras"),
        images,
        labels,
        epochs=3,
        batch_size=64,
        seed=0,
        validation_data=(images[:100], labels[:100]),
    )
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 3 for v in history.values())
    assert history["loss"][2] < history["loss"][0] and history["val_accuracy"][-1] > 0.9
    assert state.step == 3 * 10  # 600 examples in batches of 64: 10 steps an epoch


def test_fit_is_reproducible_and_depends_on_the_seed():
    images, labels = separable_problem(count=256)
    runs = [
        mlp.fit(mlp.init_params(0), SGD(0.1), images, labels, epochs=1, batch_size=32, seed=s)[0] for s in (7, 7, 8)
    ]
    np.testing.assert_array_equal(runs[0]["hidden"]["kernel"], runs[1]["hidden"]["kernel"])
    assert not np.array_equal(runs[0]["hidden"]["kernel"], runs[2]["hidden"]["kernel"])


def test_train_steps_records_pre_step_losses_and_fit_averages_them_by_batch_size():
    images, labels = separable_problem(count=96)
    params = mlp.init_params(1)
    batches = mlp.batch_slices(96, 64, None)  # sizes 64 and 32
    first_loss = mlp.loss_and_grads(params, images[:64], labels[:64])[0]
    opt = SGD(0.05)
    after_first, state = opt.update(params, mlp.loss_and_grads(params, images[:64], labels[:64])[1], opt.init(params))
    second_loss = mlp.loss_and_grads(after_first, images[64:], labels[64:])[0]
    record = mlp.train_steps(params, opt, opt.init(params), images, labels, batches)
    np.testing.assert_allclose(record.batch_loss, [first_loss, second_loss], rtol=1e-6)
    loss, _ = mlp.epoch_means(record, batches)
    assert loss == pytest.approx((64 * first_loss + 32 * second_loss) / 96, rel=1e-6)


def test_dropout_gradient_matches_finite_differences_of_the_masked_loss():
    rng = np.random.default_rng(0)
    params = mlp.init_params(0, sizes=(6, 5, 3), dtype=np.float64)
    x, y = rng.random((4, 6)), np.array([0, 2, 1, 2])
    mask = mlp.dropout_mask(params, 4, 0.5, np.random.default_rng(7))
    assert set(np.unique(mask)) <= {0.0, 2.0}  # inverted dropout: kept units scaled by 1/(1 − rate)
    loss, grads, _ = mlp.loss_and_grads(params, x, y, hidden_mask=mask)
    h = 1e-6
    params["output"]["kernel"][1, 2] += h
    up = mlp.loss_and_grads(params, x, y, hidden_mask=mask)[0]
    params["output"]["kernel"][1, 2] -= 2 * h
    down = mlp.loss_and_grads(params, x, y, hidden_mask=mask)[0]
    assert np.isclose((up - down) / (2 * h), grads["output"]["kernel"][1, 2], rtol=1e-5, atol=1e-9)


def test_train_steps_with_dropout_uses_the_rng_and_refuses_bad_rates():
    images, labels = separable_problem(count=64)
    params, opt = mlp.init_params(2), SGD(0.05)
    batches = mlp.batch_slices(64, 32, None)
    run = lambda seed: mlp.train_steps(
        params,
        opt,
        opt.init(params),
        images,
        labels,
        batches,  # noqa: E731
        dropout=0.5,
        rng=np.random.default_rng(seed),
    )
    np.testing.assert_array_equal(run(3).batch_loss, run(3).batch_loss)
    assert not np.array_equal(run(3).batch_loss, run(4).batch_loss)
    plain = mlp.train_steps(params, opt, opt.init(params), images, labels, batches)
    assert not np.array_equal(run(3).batch_loss[1:], plain.batch_loss[1:])
    for rate in (1.0, -0.1, True, "0.5"):
        with pytest.raises(ValueError, match="dropout"):
            mlp.train_steps(
                params, opt, opt.init(params), images, labels, batches, dropout=rate, rng=np.random.default_rng(0)
            )
    with pytest.raises(ValueError, match="rng"):
        mlp.train_steps(params, opt, opt.init(params), images, labels, batches, dropout=0.5)


# --------------------------------------------------------------------------- against Keras itself


@pytest.mark.conformance
def test_twin_matches_keras_forward_pass_and_rmsprop_steps():
    import keras

    from rmsprop_ref.book import keras_mnist

    rng = np.random.default_rng(3)
    images, labels = rng.random((64, 784), dtype=np.float32), rng.integers(0, 10, size=64)
    model = keras_mnist.build_model(seed=11)
    params = mlp.params_from_keras_weights(model.get_weights())
    probabilities = np.exp(mlp.log_softmax(mlp.forward(params, images)[0]))
    np.testing.assert_allclose(probabilities, np.asarray(model(images)), rtol=1e-5, atol=1e-7)

    keras_mnist.fit_first_batches(
        model, keras.optimizers.RMSprop(learning_rate=0.001, rho=0.9), images, labels, steps=4, batch_size=16
    )
    opt = RMSprop.preset("keras")
    state = opt.init(params)
    for index in mlp.batch_slices(64, 16, None):
        params, state = opt.update(params, mlp.loss_and_grads(params, images[index], labels[index])[1], state)
    for ours, theirs in zip(mlp.params_to_keras_weights(params), model.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_effective_step_sizes_are_gradient_magnitudes_for_sgd_and_bounded_for_rmsprop():
    rng = np.random.default_rng(4)
    images, labels = random_batch(rng, 32, 784)
    params = mlp.init_params(0)
    _, grads, _ = mlp.loss_and_grads(params, images.astype(np.float32), labels)
    sgd = SGD(0.5)
    after, _ = sgd.update(params, grads, sgd.init(params))
    sizes = mlp.effective_step_sizes(params, after, 0.5)
    assert list(sizes) == ["hidden kernel W₁", "hidden bias b₁", "output kernel W₂", "output bias b₂"]
    np.testing.assert_allclose(sizes["output bias b₂"], np.abs(grads["output"]["bias"]), rtol=1e-4, atol=1e-7)
    rms = RMSprop.preset("keras", epsilon=1e-20)  # ε ≪ g² (ε = 0 would make 0/0 where g = 0)
    after, _ = rms.update(params, grads, rms.init(params))
    first = np.concatenate(list(mlp.effective_step_sizes(params, after, 0.001).values()))
    g = np.abs(np.concatenate([grads[layer][part].ravel() for layer in mlp.LAYERS for part in ("kernel", "bias")]))
    # the first step from v = 0 with ε ≈ 0 is η·sign(g)/√(1 − ρ) in every coordinate with g² ≫ ε
    np.testing.assert_allclose(first[g > 1e-8], 1 / np.sqrt(0.1), rtol=1e-3)
    assert np.all(first <= 1 / np.sqrt(0.1) * (1 + 1e-3)) and np.all(first[g == 0] == 0)
    with pytest.raises(ValueError, match="learning_rate"):
        mlp.effective_step_sizes(params, after, 0.0)


def test_a_run_without_a_training_set_measurement_has_no_gap():
    run = mlp.MlpRun(np.ones(2), np.zeros(2), 0.1, 0.99, 0.2, 0.97)
    assert run.gap == pytest.approx(0.02)
    with pytest.raises(ValueError, match="not measured"):
        _ = mlp.MlpRun(np.ones(2), np.zeros(2), None, None, 0.2, 0.97).gap
