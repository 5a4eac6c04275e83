"""The JavaScript port of the update (interactive/rmsprop_port.js), tested like a fifth framework.

The book's interactive figures are to compute their paths in the page with this port. Three
kinds of test, each run in headless Chromium against rmsprop_ref:

- the update: every optimizer fed the same 300 gradients (10⁻⁵ to 10² in size) takes the same
  steps, bit for bit (Adam to rtol 1e-13: V8's Math.pow and C's pow may differ in a last bit);
- the problems: values and gradients at 50 points, to rtol 1e-12;
- the paths, as minimize records them: on the bowl and Rosenbrock every step, and there (only
  +, −, ×, ÷ and √) bit for bit; on the rotated bowl and the cliff, where the dynamics amplify
  a last-bit difference (NumPy's fused matrix product, tanh) as they would between two
  machines, the first steps to rtol 1e-11 and the cliff figure's whole path to 10⁻³ in θ.
"""

from __future__ import annotations

import json
import pathlib
import sys
import tempfile

import numpy as np
import pytest

from rmsprop_ref import SGD, Adam, RMSprop
from rmsprop_ref.problems import RecurrentCliff, Rosenbrock, ill_conditioned_quadratic
from rmsprop_ref.run import minimize

pytestmark = pytest.mark.browser

ROOT = pathlib.Path(__file__).resolve().parents[1]
PORT = ROOT / "interactive" / "rmsprop_port.js"
sys.path.insert(0, str(ROOT / "scripts"))
import site_check  # noqa: E402  (scripts/ is not a package)

RTOL = 1e-11

PROBLEMS = {
    "bowl": (ill_conditioned_quadratic(), "quadratic", {}, [-5.0, -2.0]),
    # rmsprop_ref's own H: NumPy's matrix product may round the rotated H differently
    # (test_the_rotated_hessian_agrees checks the port's own to 1e-15)
    "rotated bowl": (
        ill_conditioned_quadratic(45),
        "quadratic",
        {"hessian": ill_conditioned_quadratic(45).hessian.tolist()},
        [-4.0, 1.0],
    ),
    "Rosenbrock": (Rosenbrock(), "rosenbrock", {}, [-1.5, 2.0]),
    "cliff": (RecurrentCliff(unroll=20), "recurrentCliff", {"unroll": 20}, [6.0, -3.5]),
}

# (name, rmsprop_ref optimizer, the port's optimizer and options, steps); the learning rates
# are the book's (or make the path interesting), not tuned.
OPTIMIZERS = [
    ("RMSprop, Keras", RMSprop(0.1), ("rmsprop", {"learningRate": 0.1}), 200),
    (
        "RMSprop, ε outside",
        RMSprop(0.05, rho=0.99, epsilon=1e-8, epsilon_in_sqrt=False),
        ("rmsprop", {"learningRate": 0.05, "rho": 0.99, "epsilon": 1e-8, "epsilonInSqrt": False}),
        200,
    ),
    (
        "RMSprop, ε = 0, ρ = 0",
        RMSprop(0.01, rho=0.0, epsilon=0.0),
        ("rmsprop", {"learningRate": 0.01, "rho": 0.0, "epsilon": 0.0}),
        100,
    ),
    (
        "RMSprop, centered, momentum",
        RMSprop(0.01, centered=True, momentum=0.9),
        ("rmsprop", {"learningRate": 0.01, "centered": True, "momentum": 0.9}),
        200,
    ),
    (
        "RMSprop, η outside the buffer, Nesterov",
        RMSprop(0.01, momentum=0.5, nesterov=True, lr_in_momentum=False, epsilon=1.0),
        ("rmsprop", {"learningRate": 0.01, "momentum": 0.5, "nesterov": True, "lrInMomentum": False, "epsilon": 1.0}),
        200,
    ),
    ("SGD", SGD(0.01), ("sgd", {"learningRate": 0.01}), 200),
    (
        "SGD, Nesterov",
        SGD(0.002, momentum=0.9, nesterov=True),
        ("sgd", {"learningRate": 0.002, "momentum": 0.9, "nesterov": True}),
        200,
    ),
    ("Adam", Adam(0.05), ("adam", {"learningRate": 0.05}), 200),
]


@pytest.fixture(scope="module")
def page():
    """A blank page in headless Chromium with the port loaded, as the book's pages load it."""
    with tempfile.TemporaryDirectory() as profile:
        driver = site_check.start_browser(profile)
        try:
            driver.get("about:blank")
            driver.execute_script(PORT.read_text(encoding="utf-8"))
            yield driver
        finally:
            driver.quit()


def run_port(page, problem: str, problem_options: dict, optimizer: str, options: dict, x0, steps, **run) -> dict:
    script = (
        "var P = RMSpropPort;"
        f"var problem = P.problems.{problem}({json.dumps(problem_options)});"
        f"var optimizer = P.optimizers.{optimizer}({json.dumps(options)});"
        f"return P.minimize(problem, optimizer, {json.dumps(x0)}, {steps}, {json.dumps(run)});"
    )
    return page.execute_script(script)


def compare(port: dict, reference) -> float:
    """The largest relative difference over every recorded θ_k and f(θ_k) (0.0: bit for bit)."""
    k = len(port["params"])
    assert port["divergedAt"] == reference.diverged_at
    assert k == (reference.diverged_at + 1 if reference.diverged_at is not None else len(reference.loss))
    worst = 0.0
    for mine, theirs in (
        (np.array(port["params"]), reference.params[:k]),
        (np.array(port["loss"]), reference.loss[:k]),
    ):
        # a value near 0 that is a difference of large ones (a loss at the minimum) carries
        # their rounding: measured against the largest value of the run
        np.testing.assert_allclose(mine, theirs, rtol=RTOL, atol=RTOL * np.max(np.abs(theirs)))
        scale = np.maximum(np.abs(theirs), np.finfo(float).tiny)
        worst = max(worst, float(np.max(np.abs(mine - theirs) / scale)))
    return worst


# How many steps of a path are compared. On the bowl and Rosenbrock every step. On the rotated
# bowl at constant η and on the cliff the dynamics amplify a difference in the last bit (of
# NumPy's fused matrix product, of tanh) until, after some 90 steps, two machines' paths part
# as well: there the paths are compared over their first steps, and the update itself over a
# stream of gradients (test_the_update_matches_on_a_stream_of_gradients).
HORIZON = {"bowl": None, "Rosenbrock": None, "rotated bowl": 60}


@pytest.mark.parametrize("problem_name", HORIZON)
@pytest.mark.parametrize("case", OPTIMIZERS, ids=[c[0] for c in OPTIMIZERS])
def test_the_port_takes_rmsprop_refs_steps(page, problem_name, case):
    problem, port_problem, problem_options, x0 = PROBLEMS[problem_name]
    name, optimizer, (port_optimizer, options), steps = case
    steps = min(steps, HORIZON[problem_name] or steps)
    reference = minimize(problem, optimizer, x0, steps)
    port = run_port(page, port_problem, problem_options, port_optimizer, options, x0, steps)
    compare(port, reference)


def test_the_update_matches_on_a_stream_of_gradients(page):
    """Every optimizer of the port fed the same 300 gradients as rmsprop_ref, from 10⁻⁵ to 10²
    in size: the steps agree to the last bit (Adam to rtol 1e-13: Math.pow and C's pow)."""
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((300, 2)) * 10.0 ** rng.uniform(-5, 2, (300, 1))
    for name, optimizer, (port_optimizer, options), _ in OPTIMIZERS:
        theta, state, expected = np.array([1.0, -2.0]), optimizer.init(np.array([1.0, -2.0])), []
        for g in grads:
            theta, state = optimizer.update(theta, g, state)
            expected.append(theta)
        actual = page.execute_script(
            "var o = RMSpropPort.optimizers[arguments[0]](arguments[1]);"
            "var x = [1.0, -2.0], s = o.init(x), out = [];"
            "arguments[2].forEach(function (g) { var r = o.update(x, g, s); x = r[0]; s = r[1]; out.push(x); });"
            "return out;",
            port_optimizer,
            options,
            grads.tolist(),
        )
        rtol = 1e-13 if port_optimizer == "adam" else 0.0
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0, err_msg=name)


@pytest.mark.parametrize("problem_name", PROBLEMS)
def test_the_problems_agree_on_values_and_gradients(page, problem_name):
    problem, port_problem, problem_options, x0 = PROBLEMS[problem_name]
    points = np.asarray(x0) + np.random.default_rng(1).uniform(-1, 1, (50, 2))
    port = page.execute_script(
        "var p = RMSpropPort.problems[arguments[0]](arguments[1]);"
        "return arguments[2].map(function (x) { return [p.value(x)].concat(p.grad(x)); });",
        port_problem,
        problem_options,
        points.tolist(),
    )
    expected = [[problem.value(x), *problem.grad(x)] for x in points]
    np.testing.assert_allclose(port, expected, rtol=1e-12, atol=1e-300)


def test_the_rotated_hessian_agrees(page):
    for angle in (0, 30, 45, 90):
        port = page.execute_script(f"return RMSpropPort.problems.quadratic({{angleDegrees: {angle}}}).hessian;")
        np.testing.assert_allclose(port, ill_conditioned_quadratic(angle).hessian, rtol=0, atol=1e-15)


# The exploding chapter's cliff figure: four optimizers at η = 0.01 from (6, −3.5).
CLIFF_RUNS = [
    ("SGD", SGD(0.01), ("sgd", {"learningRate": 0.01}), {}),
    ("SGD + momentum", SGD(0.01, momentum=0.9), ("sgd", {"learningRate": 0.01, "momentum": 0.9}), {}),
    ("SGD + clipping", SGD(0.01), ("sgd", {"learningRate": 0.01}), {"clip_norm": 1.0}),
    ("RMSprop", RMSprop(0.01), ("rmsprop", {"learningRate": 0.01}), {}),
]


@pytest.mark.parametrize("case", CLIFF_RUNS, ids=[c[0] for c in CLIFF_RUNS])
def test_the_cliff_figures_paths_agree(page, case):
    cliff, _, options, x0 = PROBLEMS["cliff"]
    name, optimizer, (port_optimizer, port_options), run = case
    port_run = {"clipNorm": run["clip_norm"]} if run else {}
    # the first 30 steps to rounding
    reference = minimize(cliff, optimizer, x0, 30, **run)
    compare(run_port(page, "recurrentCliff", options, port_optimizer, port_options, x0, 30, **port_run), reference)
    # the whole drawn path: along the cliff's wall a last-bit difference of tanh grows (as
    # between two machines), to 6×10⁻⁴ in θ by step 200 here; the figure spans about 10 in
    # w and 6 in b, so 10⁻³ is a tenth of a pixel at the book's width
    reference = minimize(cliff, optimizer, x0, 200, **run)
    port = run_port(page, "recurrentCliff", options, port_optimizer, port_options, x0, 200, **port_run)
    assert port["divergedAt"] == reference.diverged_at
    np.testing.assert_allclose(port["params"], reference.params, rtol=0, atol=1e-3)


def test_clipping_and_divergence_end_a_run_the_same_way(page):
    cliff, _, options, x0 = PROBLEMS["cliff"]
    clipped = minimize(cliff, SGD(0.01), x0, 30, clip_norm=1.0)
    compare(run_port(page, "recurrentCliff", options, "sgd", {"learningRate": 0.01}, x0, 30, clipNorm=1.0), clipped)
    # SGD at η = 0.01 is thrown off the cliff: the run ends where rmsprop_ref's ends
    thrown = minimize(cliff, SGD(0.01), x0, 200, divergence_bound=50.0)
    port = run_port(page, "recurrentCliff", options, "sgd", {"learningRate": 0.01}, x0, 200, divergenceBound=50.0)
    assert thrown.diverged_at is not None
    compare(port, thrown)


def test_most_paths_are_bit_for_bit(page):
    """The quadratic and Rosenbrock use only +, −, ×, ÷ and √, which IEEE rounds exactly the
    same everywhere: there the port and rmsprop_ref agree to the last bit."""
    _, _, _, x0 = PROBLEMS["Rosenbrock"]
    for name, optimizer, (port_optimizer, options), steps in OPTIMIZERS:
        if port_optimizer == "adam":  # Math.pow and C's pow may differ in the last bit
            continue
        reference = minimize(Rosenbrock(), optimizer, x0, steps)
        assert compare(run_port(page, "rosenbrock", {}, port_optimizer, options, x0, steps), reference) == 0.0, name


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("P.optimizers.rmsprop({lr: 0.1})", 'rmsprop: unknown option "lr"; accepted: learningRate'),
        ("P.optimizers.rmsprop({rho: 1})", "rho must be in [0, 1); got 1"),
        ("P.optimizers.rmsprop({learningRate: -1})", "learningRate must be > 0; got -1"),
        ("P.optimizers.sgd({nesterov: true})", "nesterov=true needs momentum > 0"),
        ("P.problems.quadratic({curvatures: [1, 0]})", "curvatures must be > 0; got 0"),
        ("P.problems.quadratic({hessian: [[1, 2], [3, 4]]})", "hessian must be a symmetric 2 × 2 array"),
        ("P.minimize(P.problems.rosenbrock(), P.optimizers.sgd(), [1], 5)", "x0 must be 2 finite numbers"),
        ("P.minimize(P.problems.rosenbrock(), P.optimizers.sgd(), [1, 1], 2.5)", "steps must be an integer >= 0"),
    ],
)
def test_bad_settings_throw_an_error_that_names_them(page, script, message):
    caught = page.execute_script(
        f"var P = RMSpropPort; try {{ {script}; return null; }} catch (e) {{ return e.message; }}"
    )
    assert caught is not None and message in caught
