"""The RMSprop playground (interactive/playground.js) in headless Chromium.

A temporary page holds the playground and the three chapter figures, loads the port, the
script and the style from interactive/ over file://, as a page of the book does. The tests
operate the controls as a reader does (a slider moved, a box ticked, a number typed, a click on
the plot) and read back the paths the page drew from, with RMSpropPlayground.paths:

- every control changes the path it should, and the drawn polyline with it;
- at sampled settings (η, ρ, ε including 0, both placements of ε, μ, every problem, every
  comparator, a divergence) the paths equal rmsprop_ref's, with test_js_port.py's tolerances
  (bit for bit on the bowl and Rosenbrock, rtol 1e-11 over the first steps of the rotated bowl
  and the cliff, 10⁻³ in θ over the cliff's whole path; see that module for why);
- each statement of the "what to try" list holds on the page's own numbers;
- the controls are labelled and focusable, a slider moves with the arrow keys, a click on the
  contour plot sets the start, a divergence is announced in the status line;
- no console error; no horizontal overflow at 390 px;
- screenshots of two settings (light theme, and the cliff in the dark theme) are written to
  the folder named by PLAYGROUND_SCREENSHOTS (e.g. _build/screenshots), else to a temporary one.
"""

from __future__ import annotations

import math
import os
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
INTERACTIVE = ROOT / "interactive"
sys.path.insert(0, str(ROOT / "scripts"))
import site_check  # noqa: E402  (scripts/ is not a package)

RTOL = 1e-11  # test_js_port.py's

PROBLEMS = {
    "bowl": ill_conditioned_quadratic(),
    "rotated": ill_conditioned_quadratic(45),
    "rosenbrock": Rosenbrock(),
    "cliff": RecurrentCliff(unroll=20),
}
# The steps compared to rounding. On the rotated bowl NumPy's matrix product (θ @ H) rounds the
# gradient differently from x₀H₀₀ + x₁H₁₀ in most steps (a fused multiply-add), and on the cliff
# tanh differs in a last bit; the dynamics amplify that, as between two machines (at η = 0.4 on
# the rotated bowl to 10⁻⁸ by step 37, 10⁻⁴ by step 60). There the first steps are compared to
# rounding and the whole drawn path to 10⁻³ in θ, a tenth of a pixel.
HORIZON = {"bowl": None, "rosenbrock": None, "rotated": 30, "cliff": 30}

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{base}/playground.css">
<style>body {{ font-family: sans-serif; max-width: 56rem; margin: 1em auto; padding: 0 1em; }}
html[data-theme="dark"] body {{ background: #121212; color: #ddd; }}</style></head>
<body>
<div class="rmsprop-playground" id="pg"></div>
<div class="rmsprop-playground" id="fig-deriving" data-problem="bowl" data-controls="eta,rho"
     data-compare="sgd" data-plots="contour"></div>
<div class="rmsprop-playground" id="fig-exploding" data-problem="cliff" data-eta="0.01"
     data-steps="200" data-controls="eta,clip" data-compare="sgd,clip" data-plots="contour,loss"></div>
<div class="rmsprop-playground" id="fig-improved" data-problem="bowl" data-eta="0.1" data-epsilon="0"
     data-steps="300" data-controls="eta,epsilon,placement" data-compare="" data-plots="coords,loss"></div>
<script src="{base}/rmsprop_port.js"></script>
<script src="{base}/playground.js"></script>
</body></html>
"""


@pytest.fixture(scope="module")
def browser():
    with tempfile.TemporaryDirectory() as folder:
        page = pathlib.Path(folder) / "playground.html"
        page.write_text(PAGE.format(base=INTERACTIVE.as_uri()), encoding="utf-8")
        driver = site_check.start_browser(str(pathlib.Path(folder) / "profile"))
        try:
            driver.get(page.as_uri())
            yield driver
        finally:
            driver.quit()


def errors(driver) -> list[str]:
    console = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    return console + driver.execute_script(
        "var e = window.__siteCheckErrors || []; window.__siteCheckErrors = []; return e;"
    )


@pytest.fixture
def pg(browser):
    """The playground, reset to its defaults; no console error may be left when a test ends."""
    browser.execute_script("document.querySelector('#pg .rp-reset').click(); window.scrollTo(0, 0);")
    errors(browser)
    yield browser
    assert errors(browser) == []


def state(driver, where="#pg") -> dict:
    return driver.execute_script(f"return RMSpropPlayground.state(document.querySelector('{where}'));")


def paths(driver, where="#pg") -> dict:
    """The page's runs; rows from the divergence on are dropped (JSON has no inf)."""
    raw = driver.execute_script(
        f"var p = RMSpropPlayground.paths(document.querySelector('{where}')), out = {{}};"
        "Object.keys(p).forEach(function (k) { var r = p[k], n = r.divergedAt === null ? r.params.length : r.divergedAt;"
        "  out[k] = {params: r.params.slice(0, n), loss: r.loss.slice(0, n), divergedAt: r.divergedAt}; });"
        "return out;"
    )
    return {k: {**v, "params": np.array(v["params"]), "loss": np.array(v["loss"])} for k, v in raw.items()}


def drawn(driver, name, where="#pg") -> str:
    return driver.execute_script(
        f"var l = document.querySelector('{where} .rp-plot-contour polyline[data-name=\"{name}\"]');"
        "return l ? l.getAttribute('points') : null;"
    )


# ---------------------------------------------------------------------------- the controls


def control(driver, key, where="#pg"):
    return driver.find_element("css selector", f"{where} [id$='-{key}']")


def operate(driver, key, value, where="#pg"):
    """Set one control as a reader does: a slider to the stop of `value`, a select to the
    option, a number typed in, a comparator box ticked or unticked."""
    if key in ("eta", "rho", "epsilon", "momentum", "etasgd"):
        stops = driver.execute_script(f"return RMSpropPlayground.stops['{key}'];")
        index = stops.index(value)  # a value the slider offers
        driver.execute_script(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
            control(driver, key, where),
            index,
        )
    elif key in ("problem", "placement"):
        from selenium.webdriver.support.ui import Select

        Select(control(driver, key, where)).select_by_value(value)
    elif key in ("steps", "clip", "startx", "starty"):
        box = control(driver, key, where)
        box.clear()
        box.send_keys(str(value))
        driver.execute_script("arguments[0].dispatchEvent(new Event('change', {bubbles: true}));", box)
    elif key.startswith("cmp-"):
        box = control(driver, key, where)
        if box.is_selected() != bool(value):
            box.click()
    else:
        raise ValueError(key)


def apply(driver, settings: dict, where="#pg"):
    order = ["problem", "startx", "starty", "eta", "rho", "epsilon", "placement", "momentum", "etasgd", "steps", "clip"]
    for key in sorted(settings, key=lambda k: order.index(k) if k in order else len(order)):
        operate(driver, key, settings[key], where)


CHANGES = [  # (control, new value, the run whose path must change)
    ("eta", 0.1, "RMSprop"),
    ("rho", 0.5, "RMSprop"),
    ("epsilon", 0.0, "RMSprop"),
    ("epsilon", 1.0, "RMSprop"),
    ("placement", "outside", "RMSprop"),  # with ε = 0.1 (at 10⁻⁷ the change is below a pixel)
    ("momentum", 0.5, "RMSprop"),
    ("etasgd", 0.1, "SGD"),
    ("problem", "rosenbrock", "RMSprop"),
    ("problem", "rotated", "RMSprop"),
    ("problem", "cliff", "RMSprop"),
    ("startx", -4, "RMSprop"),
    ("starty", 1.5, "SGD"),
    ("steps", 35, "RMSprop"),
]


@pytest.mark.parametrize(("key", "value", "run"), CHANGES, ids=[f"{c[0]}={c[1]}" for c in CHANGES])
def test_each_control_changes_the_path(pg, key, value, run):
    if key == "placement":
        operate(pg, "epsilon", 0.1)
    before, line = paths(pg)[run]["params"], drawn(pg, run)
    operate(pg, key, value)
    after = paths(pg)[run]["params"]
    assert after.shape != before.shape or not np.array_equal(after, before)
    if (key, value) != ("epsilon", 0.0):  # from Keras's 10⁻⁷ to 0: less than a tenth of a pixel
        assert drawn(pg, run) != line


@pytest.mark.parametrize("comparator", ["momentum", "clip", "adam"])
def test_each_comparator_box_adds_its_run(pg, comparator):
    name = {"momentum": "SGD + momentum", "clip": "SGD + clipping", "adam": "Adam"}[comparator]
    assert name not in paths(pg) and drawn(pg, name) is None
    operate(pg, f"cmp-{comparator}", True)
    assert name in paths(pg) and drawn(pg, name)
    operate(pg, "cmp-sgd", False)
    assert "SGD" not in paths(pg) and drawn(pg, "SGD") is None


def test_the_clipping_threshold_changes_the_clipped_path(pg):
    apply(pg, {"problem": "cliff", "eta": 0.01, "steps": 50, "cmp-clip": True})
    before = paths(pg)["SGD + clipping"]["params"]
    operate(pg, "clip", 0.3)
    assert not np.array_equal(paths(pg)["SGD + clipping"]["params"], before)


def test_a_slider_moves_with_the_arrow_keys(pg):
    from selenium.webdriver.common.keys import Keys

    stops = pg.execute_script("return RMSpropPlayground.stops.eta;")
    before = paths(pg)["RMSprop"]["params"]
    control(pg, "eta").send_keys(Keys.ARROW_RIGHT)
    assert state(pg)["eta"] == stops[stops.index(0.4) + 1]
    assert not np.array_equal(paths(pg)["RMSprop"]["params"], before)
    assert pg.find_element("css selector", "#pg .rp-field-eta output").text == "0.5"


def test_a_click_on_the_contour_plot_sets_the_start(pg):
    from selenium.webdriver.common.action_chains import ActionChains

    svg = pg.find_element("css selector", "#pg .rp-plot-contour svg")
    control(pg, "startx").click()  # a reader who was typing there: the box must follow the click too
    ActionChains(pg).move_to_element(svg).click().perform()  # the middle of the picture
    start = state(pg)["start"]
    assert start != [-5, -2] and -5.5 < start[0] < 1.5 and -2.5 < start[1] < 2.5
    assert paths(pg)["RMSprop"]["params"][0].tolist() == start
    assert float(control(pg, "startx").get_attribute("value")) == start[0]


def test_every_control_is_labelled_and_focusable(browser):
    unlabelled = browser.execute_script(
        "var bad = [];"
        "document.querySelectorAll('.rmsprop-playground input, .rmsprop-playground select, .rmsprop-playground button')"
        ".forEach(function (el) {"
        "  var named = el.tagName === 'BUTTON' ? el.textContent.trim() !== '' :"
        "    (el.id && document.querySelector('label[for=\"' + el.id + '\"]')) || el.getAttribute('aria-label');"
        "  el.focus();"
        "  if (!named || document.activeElement !== el || el.tabIndex < 0) bad.push(el.outerHTML);"
        "});"
        "return bad;"
    )
    assert unlabelled == []
    count = browser.execute_script("return document.querySelectorAll('#pg input, #pg select').length;")
    assert count == 15  # problem, 5 sliders, placement, steps, clip, 2 for the start, 4 comparators


# ---------------------------------------------------------------------------- against rmsprop_ref


def reference_runs(s: dict) -> dict:
    """rmsprop_ref's runs for the playground's settings `s` (the test's own mapping)."""
    problem, start, steps = PROBLEMS[s["problem"]], s["start"], s["steps"]
    eta_sgd = s["etaSgd"] if s["etaSgd"] is not None else s["eta"]
    rms = RMSprop(s["eta"], rho=s["rho"], epsilon=s["epsilon"], epsilon_in_sqrt=s["inSqrt"], momentum=s["momentum"])
    runs = {"RMSprop": minimize(problem, rms, start, steps)}
    if "sgd" in s["compare"]:
        runs["SGD"] = minimize(problem, SGD(eta_sgd), start, steps)
    if "momentum" in s["compare"]:
        runs["SGD + momentum"] = minimize(problem, SGD(eta_sgd, momentum=0.9), start, steps)
    if "clip" in s["compare"]:
        runs["SGD + clipping"] = minimize(problem, SGD(eta_sgd), start, steps, clip_norm=s["clip"])
    if "adam" in s["compare"]:
        runs["Adam"] = minimize(problem, Adam(s["eta"]), start, steps)
    return runs


def assert_same_runs(page_runs: dict, s: dict) -> None:
    expected = reference_runs(s)
    assert set(page_runs) == set(expected)
    horizon = HORIZON[s["problem"]]
    for name, reference in expected.items():
        mine = page_runs[name]
        assert mine["divergedAt"] == reference.diverged_at, name
        k = len(mine["params"])
        assert k == (reference.diverged_at if reference.diverged_at is not None else s["steps"] + 1)
        n = k if horizon is None else min(k, horizon + 1)
        theirs = reference.params[:n]
        np.testing.assert_allclose(
            mine["params"][:n], theirs, rtol=RTOL, atol=RTOL * np.abs(theirs).max(), err_msg=name
        )
        np.testing.assert_allclose(
            mine["loss"][:n], reference.loss[:n], rtol=RTOL, atol=RTOL * np.abs(reference.loss[:n]).max(), err_msg=name
        )
        if horizon is not None:  # the whole drawn path: a tenth of a pixel
            np.testing.assert_allclose(mine["params"], reference.params[:k], rtol=0, atol=1e-3, err_msg=name)
        if s["problem"] in ("bowl", "rosenbrock") and name != "Adam":  # +, −, ×, ÷, √ only
            assert np.array_equal(mine["params"], reference.params[:k]), name


SAMPLES = {
    "defaults: the deriving chapter's first figure": {},
    "sign descent, ρ = 0, ε = 0": {"rho": 0.0, "epsilon": 0.0},
    "ε outside, ρ = 0.99": {"eta": 0.05, "rho": 0.99, "epsilon": 1e-8, "placement": "outside", "steps": 100},
    "momentum 0.9, every comparator": {
        "eta": 0.1,
        "momentum": 0.9,
        "steps": 100,
        "cmp-momentum": True,
        "cmp-clip": True,
        "cmp-adam": True,
    },
    "ε = 1, SGD at its own η": {"epsilon": 1.0, "etasgd": 0.2, "rho": 0.5, "steps": 60},
    "SGD diverges at η = 0.6": {"eta": 0.6, "steps": 100, "cmp-momentum": True},
    "rotated bowl": {"problem": "rotated", "steps": 60, "cmp-adam": True},
    "rotated bowl, μ = 0.5, ε = 0": {"problem": "rotated", "eta": 0.01, "momentum": 0.5, "epsilon": 0.0, "steps": 60},
    "Rosenbrock": {
        "problem": "rosenbrock",
        "eta": 0.01,
        "rho": 0.95,
        "epsilon": 1e-4,
        "placement": "outside",
        "steps": 200,
        "cmp-adam": True,
        "cmp-momentum": True,
        "etasgd": 0.001,
    },
    "Rosenbrock from a clicked start": {"problem": "rosenbrock", "startx": 0.5, "starty": -0.5, "eta": 0.001},
    "cliff, the exploding chapter's η": {"problem": "cliff", "eta": 0.01, "steps": 200, "cmp-clip": True},
    "cliff, μ = 0.9": {"problem": "cliff", "eta": 0.01, "momentum": 0.9, "steps": 200, "cmp-momentum": True},
}


@pytest.mark.parametrize("settings", SAMPLES.values(), ids=SAMPLES.keys())
def test_the_paths_are_rmsprop_refs(pg, settings):
    apply(pg, settings)
    s = state(pg)
    if not settings:  # the defaults: the deriving chapter's SGD(0.4) and RMSprop(0.4), 20 steps from (−5, −2)
        assert (s["problem"], s["eta"], s["rho"], s["epsilon"], s["inSqrt"], s["momentum"]) == (
            "bowl",
            0.4,
            0.9,
            1e-7,
            True,
            0,
        )
        assert (s["start"], s["steps"], s["compare"], s["etaSgd"]) == ([-5, -2], 20, ["sgd"], None)
    assert_same_runs(paths(pg), s)


def test_a_divergence_stops_the_path_and_is_announced(pg):
    apply(pg, {"eta": 0.6, "steps": 100})
    expected = minimize(PROBLEMS["bowl"], SGD(0.6), [-5.0, -2.0], 100).diverged_at
    assert expected is not None
    status = pg.find_element("css selector", "#pg .rp-status")
    assert status.get_attribute("aria-live") == "polite"
    assert f"SGD: diverged at step {expected} (the path stops there)" in status.text
    # θ₀ … θ_k: the path ends where the run diverged, at θ_k (beyond the bound, still finite)
    assert len(drawn(pg, "SGD").split()) == expected + 1
    assert pg.find_elements("css selector", "#pg .rp-plot-contour .rp-diverged")


# ---------------------------------------------------------------------------- what to try


def press(driver, label):
    driver.execute_script(
        "var label = arguments[0];"
        "Array.from(document.querySelectorAll('#pg .rp-tries button')).find(function (b) {"
        "  return b.textContent === label; }).click();",
        label,
    )
    return paths(driver), state(driver)


def test_what_to_try_says_only_what_the_page_shows(pg):
    labels = pg.execute_script("return RMSpropPlayground.tries.map(function (t) { return t.label; });")
    checked = set()

    runs, s = press(pg, "ρ = 0: sign descent")  # each step η·sign(g): |Δθᵢ|/η = 1
    steps = np.abs(np.diff(runs["RMSprop"]["params"], axis=0)) / s["eta"]
    np.testing.assert_allclose(steps, 1.0, rtol=1e-12)
    checked.add("ρ = 0: sign descent")

    runs, s = press(pg, "ε = 100: SGD in disguise")
    rms, sgd = runs["RMSprop"]["params"], runs["SGD"]["params"]
    v = minimize(PROBLEMS["bowl"], RMSprop(4.0, epsilon=100.0), s["start"], 20)
    grads = v.grads[:-1]
    mean_square, worst = np.zeros(2), 1.0
    for g in grads:  # √(v + ε) within 4 % of √ε = 10 at every step
        mean_square = 0.9 * mean_square + 0.1 * g**2
        worst = max(worst, float(np.sqrt(mean_square + 100.0).max() / 10.0))
    assert worst < 1.04 and s["eta"] / math.sqrt(s["epsilon"]) == s["etaSgd"] == 0.4
    assert np.abs(rms - sgd).max() < 0.15  # "almost coincide": 0.12 at most, on a picture 7 wide
    checked.add("ε = 100: SGD in disguise")

    runs, s = press(pg, "Rotate the bowl")  # RMSprop's loss after 20 steps about twice SGD's
    ratio = runs["RMSprop"]["loss"][-1] / runs["SGD"]["loss"][-1]
    assert s["problem"] == "rotated" and 1.7 < ratio < 2.3
    checked.add("Rotate the bowl")

    runs, s = press(pg, "η = 0.6: past SGD's limit")
    sgd_loss = runs["SGD"]["loss"]
    assert np.all(np.diff(sgd_loss[2:]) > 0) and runs["RMSprop"]["loss"][-1] < 1e-9
    checked.add("η = 0.6: past SGD's limit")

    runs, s = press(pg, "ρ = 0.99: a long first step")  # η/√(1 − ρ) = 10η
    first = np.abs(runs["RMSprop"]["params"][1] - runs["RMSprop"]["params"][0]) / s["eta"]
    np.testing.assert_allclose(first, 10.0, rtol=1e-12)
    checked.add("ρ = 0.99: a long first step")

    runs, s = press(pg, "Constant η: a two-step cycle")  # loss stalls at ½(0.2 + 4)(η/2)²
    tail = runs["RMSprop"]["loss"][-20:]
    np.testing.assert_allclose(tail, 0.5 * 4.2 * (s["eta"] / 2) ** 2, rtol=2e-3)
    assert round(0.5 * 4.2 * 0.05**2, 5) == 0.00525
    np.testing.assert_allclose(np.abs(runs["RMSprop"]["params"][-20:]), s["eta"] / 2, rtol=0.02)
    checked.add("Constant η: a two-step cycle")

    runs, s = press(pg, "μ = 0.9 on the cliff")
    largest = np.abs(np.diff(runs["RMSprop"]["params"], axis=0)).max() / s["eta"]
    assert 1 / math.sqrt(0.1) < largest < 1 / (0.1 * math.sqrt(0.1))  # past 3.16η, below 31.6η
    assert round(1 / (0.1 * math.sqrt(0.1)), 1) == 31.6 and round(1 / math.sqrt(0.1), 2) == 3.16
    without = minimize(PROBLEMS["cliff"], RMSprop(0.01), [6.0, -3.5], 200).loss[-1]
    assert runs["RMSprop"]["loss"][-1] < without / 100  # "far lower"
    checked.add("μ = 0.9 on the cliff")

    assert checked == set(labels)  # every statement of the list is checked here


# ---------------------------------------------------------------------------- the chapter figures


def test_the_figures_offer_only_their_controls_and_draw_rmsprop_refs_paths(browser):
    offered = browser.execute_script(
        "return ['#fig-deriving', '#fig-exploding', '#fig-improved'].map(function (w) {"
        "  return Array.from(document.querySelectorAll(w + ' .rp-field')).map(function (f) {"
        "    return f.className.replace('rp-field rp-field-', ''); }); });"
    )
    assert offered == [["eta", "rho"], ["eta", "clip"], ["eta", "epsilon", "placement"]]
    for where in ("#fig-deriving", "#fig-exploding", "#fig-improved"):
        assert_same_runs(paths(browser, where), state(browser, where))
    assert set(paths(browser, "#fig-exploding")) == {"RMSprop", "SGD", "SGD + clipping"}
    operate(browser, "clip", 0.5, "#fig-exploding")
    assert state(browser, "#fig-exploding")["clip"] == 0.5
    assert_same_runs(paths(browser, "#fig-exploding"), state(browser, "#fig-exploding"))
    assert errors(browser) == []


# ---------------------------------------------------------------------------- layout


def test_no_horizontal_overflow_at_390_px(browser):
    metrics = {"width": 390, "height": 900, "deviceScaleFactor": 1, "mobile": True}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        widths = browser.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " Math.max.apply(null, Array.from(document.querySelectorAll('.rmsprop-playground *')).filter("
            "   function (e) { return !e.ownerSVGElement; }).map("  # inside an SVG: clipped to it
            "   function (e) { return e.getBoundingClientRect().right; }))];"
        )
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert widths[0] <= widths[1] == 390 and widths[2] <= 390


def save_screenshots(driver, folder: pathlib.Path) -> list[pathlib.Path]:
    """Two pictures of the playground: its defaults (light theme) and μ = 0.9 on the cliff
    (dark theme). The lead can call it with _build/screenshots."""
    folder.mkdir(parents=True, exist_ok=True)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1000, "height": 1800, "deviceScaleFactor": 1, "mobile": False}
    )
    shots = []
    try:
        element = driver.find_element("css selector", "#pg")
        driver.execute_script("document.querySelector('#pg .rp-reset').click();")
        shots.append(folder / "playground-defaults.png")
        element.screenshot(str(shots[-1]))
        press(driver, "μ = 0.9 on the cliff")
        driver.execute_script("document.documentElement.dataset.theme = 'dark';")
        shots.append(folder / "playground-cliff-dark.png")
        element.screenshot(str(shots[-1]))
    finally:
        driver.execute_script("delete document.documentElement.dataset.theme;")
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return shots


def test_screenshots(pg, tmp_path):
    folder = pathlib.Path(os.environ.get("PLAYGROUND_SCREENSHOTS", tmp_path))
    for shot in save_screenshots(pg, folder):
        assert shot.stat().st_size > 10_000


def test_the_colours_are_the_books():
    """playground.js keeps each optimizer's colour from rmsprop_ref.book.plots.OPTIMIZER_COLORS."""
    import json
    import re

    from rmsprop_ref.book.plots import OPTIMIZER_COLORS

    source = (INTERACTIVE / "playground.js").read_text(encoding="utf-8")
    colors = json.loads(re.search(r"var COLORS = (\{.*?\});", source, flags=re.S).group(1))
    assert colors == {name: OPTIMIZER_COLORS[name] for name in colors} and "RMSprop" in colors
