"""rmsprop_ref.tree: leaves and their paths, structure-preserving maps, structure checks."""

import numpy as np
import pytest

from rmsprop_ref._checks import check_float_leaves, check_same_structure
from rmsprop_ref.tree import (
    leaves,
    leaves_with_paths,
    tree_map,
    tree_map_multi,
)


def nested(dtype=np.float32):
    return {"w": [np.ones((2, 2), dtype), (np.zeros(3, dtype), np.full(1, 2.0, dtype))], "b": np.arange(2, dtype=dtype)}


def test_leaves_come_in_sorted_key_order_with_readable_paths():
    paths = [path for path, _ in leaves_with_paths(nested())]
    assert paths == ["params['b']", "params['w'][0]", "params['w'][1][0]", "params['w'][1][1]"]
    assert [leaf.shape for leaf in leaves(nested())] == [(2,), (2, 2), (3,), (1,)]


def test_a_bare_array_is_a_single_leaf():
    leaf = np.ones(3)
    assert list(leaves_with_paths(leaf, "grads")) == [("grads", leaf)]


def test_tree_map_keeps_containers_and_dtypes():
    doubled = tree_map(lambda x: 2 * x, nested())
    assert isinstance(doubled, dict) and isinstance(doubled["w"], list) and isinstance(doubled["w"][1], tuple)
    assert all(leaf.dtype == np.float32 for leaf in leaves(doubled))
    np.testing.assert_array_equal(doubled["w"][1][1], [4.0])


def test_tree_map_zips_several_trees():
    total = tree_map(lambda a, b: a + b, nested(), tree_map(np.ones_like, nested()))
    np.testing.assert_array_equal(total["b"], [1.0, 2.0])


def test_tree_map_multi_splits_per_leaf_tuples_into_trees():
    halves, negatives = tree_map_multi(lambda x: (x / 2, -x), 2, nested())
    np.testing.assert_array_equal(halves["w"][0], np.full((2, 2), 0.5))
    np.testing.assert_array_equal(negatives["b"], [0.0, -1.0])
    assert isinstance(negatives["w"][1], tuple)


@pytest.mark.parametrize(
    "other, message",
    [
        ([np.ones(2)], r"grads must be a dict like params; got list"),
        ({"b": np.ones(2)}, r"grads must have the keys of params; missing \['w'\], unexpected \[\]"),
        (
            {"b": np.ones(2, np.float32), "w": [np.ones((2, 2), np.float32)]},
            r"grads\['w'\] must be a sequence of 2 items like params\['w'\]; got list of length 1",
        ),
        (
            {"b": np.ones(3, np.float32), "w": nested()["w"]},
            r"grads\['b'\] has shape \(3,\); it must match params\['b'\], shape \(2,\)",
        ),
        (
            {"b": np.ones(2, np.float64), "w": nested()["w"]},
            r"grads\['b'\] has dtype float64; it must match params\['b'\], dtype float32",
        ),
    ],
)
def test_structure_mismatch_names_the_leaf(other, message):
    with pytest.raises(ValueError, match=message):
        check_same_structure(nested(), other, "grads")


def test_matching_structure_passes():
    check_same_structure(nested(), tree_map(np.zeros_like, nested()), "grads")


def test_integer_leaves_are_not_parameters():
    message = r"params\['b'\] has dtype int64; parameters must be float16, bfloat16, float32, float64, complex64"
    with pytest.raises(ValueError, match=message):
        check_float_leaves({"b": np.arange(3), "w": np.ones(2)})
