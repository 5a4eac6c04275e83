"""Sparse gradients (rmsprop_ref.sparse_gradients.SparseRows): TF1's lazy rows beside the dense update."""

import numpy as np
import pytest

from rmsprop_ref import InPlaceRMSprop, RMSprop
from rmsprop_ref.conventions import reference_settings
from rmsprop_ref.sparse_gradients import SparseRows

rng = np.random.default_rng(11)
TABLE = rng.normal(size=(6, 3))


def step_twice(optimizer, rows):
    """A dense first step (so every buffer is non-zero), then one step with ``rows``."""
    state = optimizer.init(TABLE)
    theta, state = optimizer.update(TABLE, rng.normal(size=TABLE.shape), state)
    new, new_state = optimizer.update(theta, rows, state)
    return theta, state, new, new_state


ROWS = SparseRows(np.array([4, 1, 4]), rng.normal(size=(3, 3)))


@pytest.mark.parametrize("momentum, centered", [(0.0, False), (0.9, True)])
def test_lazy_rows_leave_every_other_row_and_its_buffers_alone(momentum, centered):
    optimizer = RMSprop(0.01, momentum=momentum, centered=centered, sparse_updates="lazy")
    theta, state, new, new_state = step_twice(optimizer, ROWS)
    untouched = [0, 2, 3, 5]
    np.testing.assert_array_equal(new[untouched], theta[untouched])
    for name in ("mean_square", "mean_grad", "momentum_buffer"):
        if getattr(state, name) is not None:
            np.testing.assert_array_equal(getattr(new_state, name)[untouched], getattr(state, name)[untouched])
    # the named rows step as a dense step of those rows, with row 4's two values summed
    summed = np.stack([ROWS.values[1], ROWS.values[0] + ROWS.values[2]])
    sub_state = state._replace(
        **{
            n: getattr(state, n)[[1, 4]]
            for n in ("mean_square", "mean_grad", "momentum_buffer")
            if getattr(state, n) is not None
        }
    )
    expected, _ = RMSprop(0.01, momentum=momentum, centered=centered).update(theta[[1, 4]], summed, sub_state)
    np.testing.assert_array_equal(new[[1, 4]], expected)


def test_dense_rows_are_a_dense_gradient_with_zeros_elsewhere():
    optimizer = RMSprop(0.01, momentum=0.9)
    theta, state, new, new_state = step_twice(optimizer, ROWS)
    dense, _ = optimizer.update(theta, ROWS.dense(TABLE.shape, TABLE.dtype), state)
    np.testing.assert_array_equal(new, dense)
    # every row's v decayed, and the untouched rows still moved through their momentum
    assert np.all(new_state.mean_square[0] < state.mean_square[0])
    assert np.all(new[0] != theta[0])


def test_the_presets_choose_the_frameworks_sparse_semantics():
    assert RMSprop.preset("tf1", learning_rate=0.1).sparse_updates == "lazy"
    assert RMSprop.preset("keras").sparse_updates == "dense"
    assert reference_settings({}, "tf_keras_legacy")["sparse_updates"] == "dense"
    assert reference_settings({"momentum": 0.5}, "tf_keras_legacy")["sparse_updates"] == "lazy"


@pytest.mark.parametrize(
    "rows, message",
    [
        (SparseRows(np.array([6]), np.ones((1, 3))), r"grads.indices must lie in \[0, 6\); got 6 to 6"),
        (SparseRows(np.array([[1]]), np.ones((1, 3))), "grads.indices must be a 1-D array of integers"),
        (SparseRows(np.array([1.0]), np.ones((1, 3))), "grads.indices must be a 1-D array of integers"),
        (SparseRows(np.array([1, 2]), np.ones((1, 3))), r"grads.values has shape \(1, 3\); it must be \(2, 3\)"),
        (SparseRows(np.array([1]), np.ones((1, 3), np.float32)), "grads.values has dtype float32"),
    ],
)
def test_bad_rows_name_what_is_wrong(rows, message):
    optimizer = RMSprop(sparse_updates="lazy")
    with pytest.raises(ValueError, match=message):
        optimizer.update(TABLE, rows, optimizer.init(TABLE))


def test_non_finite_rows_are_refused():
    optimizer = RMSprop()
    with pytest.raises(FloatingPointError, match="grads.values has non-finite values"):
        optimizer.update(TABLE, SparseRows(np.array([0]), np.full((1, 3), np.nan)), optimizer.init(TABLE))


def test_options_that_need_dense_gradients_say_so():
    with pytest.raises(ValueError, match="not implemented for SparseRows gradients"):
        RMSprop(clipnorm=1.0).update(TABLE, ROWS, RMSprop(clipnorm=1.0).init(TABLE))
    with pytest.raises(ValueError, match="not implemented for SparseRows gradients"):
        RMSprop(use_ema=True).update(TABLE, ROWS, RMSprop(use_ema=True).init(TABLE))
    fast = InPlaceRMSprop(RMSprop())
    with pytest.raises(ValueError, match="grads is SparseRows; this path needs a dense array"):
        fast.update_(TABLE.copy(), ROWS, fast.init(TABLE))
    with pytest.raises(ValueError, match="sparse_updates must be one of"):
        RMSprop(sparse_updates="rows")


def test_translate_notes_the_sparse_difference():
    from rmsprop_ref.conventions import translate

    notes = translate({"learning_rate": 0.1}, "tf1", "keras").notes
    assert any("TF1 updates only those rows" in note for note in notes)
    assert not any("sparse" in note for note in translate({}, "keras", "torch").notes)
