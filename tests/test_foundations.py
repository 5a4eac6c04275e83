"""The Foundations chapters' tables: one row per optimizer or per measurement, plain numbers."""

import numpy as np
import pytest

from rmsprop_ref import SGD, RMSprop
from rmsprop_ref.book import foundations
from rmsprop_ref.problems import SigmoidChain, ill_conditioned_quadratic
from rmsprop_ref.run import minimize, search_each


def test_markdown_table_aligns_numbers_right_and_checks_the_rows():
    table = foundations.markdown_table(["name", "x"], [["a", "1"], ["b", "10"]])
    assert table.data.splitlines() == ["| name | x |", "|:--|--:|", "| a | 1 |", "| b | 10 |"]
    with pytest.raises(ValueError, match="2 cells"):
        foundations.markdown_table(["name", "x"], [["a"]])


def test_search_table_one_row_per_optimizer():
    optimizers = {"SGD": lambda lr: SGD(lr), "RMSprop": lambda lr: RMSprop(lr)}
    grid = [0.01, 0.1, 1.0]
    searches = search_each(ill_conditioned_quadratic(), optimizers, grid, [1.0, 1.0], 50)
    lines = foundations.search_table(searches, below=1e-3).data.splitlines()
    assert lines[0] == "| optimizer | chosen η | final loss | loss ≤ 0.001 at step | diverged |"
    sgd = searches["SGD"]
    assert sgd.diverged[-1]  # η = 1 > 2/4 blows up on this bowl
    step = sgd.best.first_step_below(1e-3)
    cells = [cell.strip() for cell in lines[2].strip("|").split("|")]
    assert cells[0] == "SGD" and cells[1] == "0.1" and cells[3] == ("never" if step is None else str(step))
    assert cells[4] == f"{int(sgd.diverged.sum())} of 3 rates"
    assert "e-" not in lines[3] and "e+" not in lines[3]
    assert "loss ≤" not in foundations.search_table(searches).data  # no threshold, no column


def test_layer_distances_and_per_layer_table():
    chain = SigmoidChain(depth=3)
    start = np.tile([1.0, 0.0], 3)
    run = minimize(chain, RMSprop(0.1), start, 20)
    moved = foundations.layer_distances(run)
    expected = [np.linalg.norm(run.final_params[s] - start[s]) for s in chain.layer_slices]
    np.testing.assert_allclose(moved, expected)
    table = foundations.per_layer_table({"moved": [0.5, 4.14, 1e-5]}).data.splitlines()
    assert table[0] == "|  | layer 1 | layer 2 | layer 3 |"
    assert table[2] == "| moved | 0.5 | 4.1 | 10⁻⁵ |"
    with pytest.raises(ValueError, match="one value per layer"):
        foundations.per_layer_table({"a": [1, 2], "b": [1, 2, 3]})
    no_layers = minimize(ill_conditioned_quadratic(), SGD(0.1), [1.0, 1.0], 2)
    with pytest.raises(ValueError, match="no layers"):
        foundations.layer_distances(no_layers)
