"""Open every page of the built book in headless Chromium and check what a reader would see.

Usage:  python scripts/site_check.py _build/html --config _config.yml --screenshots _build/screenshots

The site is served from 127.0.0.1 (as GitHub Pages would serve it) and driven with Selenium
through Debian's Chromium and ChromeDriver. For every page it asserts:

* no JavaScript error: uncaught exceptions, unhandled promise rejections, failed loads of a
  script, style sheet or image, and console errors;
* no request leaves 127.0.0.1, so the page works offline (MathJax comes from _static);
* the maths is typeset: MathJax finished, every element Sphinx marked as maths holds
  MathJax output, MathJax reported no TeX error, and no raw TeX (`$$`, `\\begin{aligned}`,
  `\\(`, `$\\eta$`, ...) is left in the text outside code, nor a Markdown table that was
  printed as text (its `|:--|--:|` row);
* every image has loaded (naturalWidth > 0), and every image a notebook cell produced is in
  a numbered figure with a caption;
* every figure a notebook declares (a cell's ``mystnb.figure.name``) is on its page, with its
  image and caption: a cell whose plot was never drawn (e.g. under a non-inline matplotlib
  backend) leaves no output and would otherwise vanish silently;
* every internal link resolves to a file of the build, and its #fragment to an id on that page;
* no cell output shows a traceback, except in a cell tagged raises-exception;
* a notebook page offers the Colab and Binder launch buttons for the repository named in
  _config.yml, and the download of its .ipynb;
* Korean text is drawn with real glyphs: distinct Hangul syllables render differently
  (a missing font draws the same empty box for all of them);
* no box of code or output scrolls sideways at 960, 1200 or 1280 px (the set-up cell's
  hidden input excepted);
* no display equation is wider than the text column, and no table wider than its container,
  at 1280, 1024 or 800 px (a clipped equation hides its end; a table that scrolls hides
  columns);
* the search page finds "RMSprop";
* every interactive figure (a ``.rmsprop-playground`` element, drawn by playground.js) has
  drawn its paths, and a page that holds one weighs at most 5 MB with its scripts, styles
  and fonts, the chapter's own figures aside (the weight, summed from the browser's resource
  timings, is printed with and without them).

It saves full-page screenshots of the introduction, the MNIST and claims chapters and the
glossary (those that exist), and two pictures of the playground at two settings
(playground-defaults.png, playground-cliff-dark.png), and exits non-zero when any check fails.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import functools
import http.server
import io
import json
import os
import pathlib
import re
import shutil
import sys
import tempfile
import threading
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# The flags that let headless Chromium run as root on a machine with no network:
# without the background-networking ones it keeps trying to reach Google's hosts.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)
WINDOW_WIDTH, WINDOW_HEIGHT = 1280, 1000
# Window widths at which no code box or output may scroll sideways: just above the widths
# where the theme adds a sidebar (the left one at 960 px, the right one at 1200 px), where
# the text column is narrowest, and the window the other checks use.
NO_SIDEWAYS_SCROLL_WIDTHS = (960, 1200, WINDOW_WIDTH)
# Window widths at which every display equation and every table must fit the text column:
# the desktop window, a small laptop, a tablet and a phone.
FIT_THE_COLUMN_WIDTHS = (WINDOW_WIDTH, 1024, 800, 390)
# Pages (relative to the html root) to photograph, when they exist.
SCREENSHOT_PAGES = (
    "book/intro.html",
    "book/playground.html",
    "book/mnist.html",
    "book/claims.html",
    "book/glossary.html",
)
# Folders of the build that hold assets, not pages.
ASSET_DIRS = {"_static", "_sources", "_images", "_sphinx_design_static", "reports", "_downloads"}
# Chromium cannot draw a texture taller than about 16 000 px: taller pages are shot in parts.
SCREENSHOT_TILE_HEIGHT = 8000

# Raw TeX that a reader must never see. Checked on the text of the page outside code.
RAW_MATH_PATTERNS = (
    (re.compile(r"\$\$"), "$$"),
    (re.compile(r"\\begin\{[a-zA-Z*]+\}"), "\\begin{...}"),
    (re.compile(r"\\end\{[a-zA-Z*]+\}"), "\\end{...}"),
    (re.compile(r"\\[()\[\]]"), "\\( \\) \\[ \\]"),
    # Inline $...$ holding a TeX command, e.g. "$\eta$" or "$1/\sqrt{v}$".
    (re.compile(r"\$[^$\n]{0,200}\\[a-zA-Z]+[^$\n]{0,200}\$"), "$...\\command...$"),
)


def find_raw_math(text: str) -> list[str]:
    """Return the raw-TeX fragments found in `text` (empty when it is clean)."""
    found = []
    for pattern, _name in RAW_MATH_PATTERNS:
        for match in pattern.finditer(text):
            start = max(0, match.start() - 30)
            found.append(text[start : match.end() + 30].replace("\n", " "))
    return found


# A Markdown table that was not read as one: its delimiter row (|:--|--:|, |---|, or with the
# dashes typeset as – or —) left in the text outside code.
RAW_TABLE = re.compile(r"\|\s*:?[-–—]+:?\s*\|\s*:?[-–—]+:?\s*\|")


def find_raw_tables(text: str) -> list[str]:
    """Return the Markdown delimiter rows left in `text` (empty when it is clean)."""
    return [match.group(0) for match in RAW_TABLE.finditer(text)]


class _IdCollector(HTMLParser):
    """Collect every id (and every <a name>) of an HTML page: the targets of #fragments."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if value and (key == "id" or (key == "name" and tag == "a")):
                self.ids.add(value)


@functools.cache
def page_ids(path: pathlib.Path) -> frozenset[str]:
    collector = _IdCollector()
    collector.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(collector.ids)


def internal_link_error(html_root: pathlib.Path, url: str, origin: str) -> str | None:
    """Check one resolved link URL of the served site; return what is wrong, or None.

    Links to other hosts are not followed (the book must work offline); links into the
    site must name a file of the build, and a #fragment an id of that page.
    """
    if not url.startswith(origin + "/"):
        return None
    parts = urlsplit(url)
    relative = unquote(parts.path).lstrip("/")
    target = html_root / relative
    if relative == "" or relative.endswith("/"):
        target = target / "index.html"
    if not target.is_file():
        return f"broken link: {relative or '/'} does not exist"
    fragment = unquote(parts.fragment)
    if fragment and target.suffix == ".html" and fragment not in page_ids(target):
        return f"broken link: {relative}#{fragment}: no element with that id"
    return None


def pages_to_check(html_root: pathlib.Path) -> list[str]:
    """Every HTML page of the build, as paths relative to the root, assets excluded."""
    pages = []
    for path in sorted(html_root.rglob("*.html")):
        relative = path.relative_to(html_root)
        if relative.parts[0] in ASSET_DIRS:
            continue
        pages.append(relative.as_posix())
    return pages


def redirect_target(path: pathlib.Path) -> str | None:
    """The URL of a <meta http-equiv="refresh"> page (index.html of a Jupyter Book), or None."""
    match = re.search(
        r'<meta\s+http-equiv="refresh"\s+content="\d+;\s*url=([^"]+)"',
        path.read_text(encoding="utf-8", errors="replace"),
        flags=re.IGNORECASE,
    )
    return match.group(1) if match else None


def declared_figures(notebook_path: pathlib.Path) -> list[str]:
    """The HTML ids of the figures a notebook's cells declare (metadata mystnb.figure.name).

    Sphinx turns a name into an id as docutils does ("fig-step_cost" -> "fig-step-cost").
    """
    from docutils.nodes import make_id

    notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
    names = []
    for cell in notebook.get("cells", []):
        figure = cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
        if cell.get("cell_type") == "code" and figure.get("name"):
            names.append(make_id(figure["name"]))
    return names


def expected_launch_links(config: dict, page: str) -> dict[str, str]:
    """The Colab and Binder URLs sphinx-book-theme should put on a notebook page."""
    repository = config.get("repository", {})
    url = repository["url"].rstrip("/")
    owner_repo = url.split("github.com/", 1)[1]
    branch = repository.get("branch", "main")
    book_path = (repository.get("path_to_book") or "").strip("/")
    notebook = (f"{book_path}/" if book_path else "") + page[: -len(".html")] + ".ipynb"
    links = {}
    launch = config.get("launch_buttons", {})
    if launch.get("colab_url"):
        links["Colab"] = f"{launch['colab_url'].rstrip('/')}/github/{owner_repo}/blob/{branch}/{notebook}"
    if launch.get("binderhub_url"):
        links["Binder"] = f"{launch['binderhub_url'].rstrip('/')}/v2/gh/{owner_repo}/{branch}?urlpath=tree/{notebook}"
    return links


# --- the browser side --------------------------------------------------------------------

# Installed before any script of a page runs, so that errors during loading are caught too.
ERROR_HOOK = r"""
window.__siteCheckErrors = [];
window.addEventListener('error', function (event) {
  var target = event.target;
  if (target && target !== window && (target.src || target.href)) {
    window.__siteCheckErrors.push('failed to load ' + target.tagName.toLowerCase() + ' ' + (target.src || target.href));
  } else {
    window.__siteCheckErrors.push((event.message || 'error') + ' at ' + event.filename + ':' + event.lineno);
  }
}, true);
window.addEventListener('unhandledrejection', function (event) {
  var reason = event.reason;
  window.__siteCheckErrors.push('unhandled promise rejection: ' + (reason && reason.message ? reason.message : String(reason)));
});
"""

WAIT_FOR_PAGE = r"""
var done = arguments[arguments.length - 1];
var images = Array.from(document.images);
images.forEach(function (img) { img.loading = 'eager'; });
var imagesLoaded = Promise.all(images.map(function (img) {
  return img.complete ? null : new Promise(function (resolve) {
    img.addEventListener('load', resolve); img.addEventListener('error', resolve);
  });
}));
// The page's scripts may still be running when the browser hands the page over (Chromium 150
// does so before deferred scripts have run on a long page): wait for the load event, then,
// if the page loads MathJax, for MathJax to start (up to 30 s) and to finish typesetting.
var loaded = document.readyState === 'complete' ? Promise.resolve() : new Promise(function (resolve) {
  window.addEventListener('load', resolve);
});
function mathjaxStarted(deadline) {
  return new Promise(function (resolve) {
    (function poll() {
      if (window.MathJax && MathJax.startup && MathJax.startup.promise) resolve(true);
      else if (Date.now() > deadline) resolve(false);
      else setTimeout(poll, 100);
    })();
  });
}
var mathTypeset = loaded.then(function () {
  if (!document.querySelector('script[src*="mathjax" i], script[src*="tex-"]'))
    return window.MathJax ? 'MathJax not started' : 'no MathJax';
  return mathjaxStarted(Date.now() + 30000).then(function (started) {
    if (!started) return window.MathJax ? 'MathJax not started' : 'no MathJax';
    return MathJax.startup.promise.then(function () { return 'typeset'; },
                                        function (e) { return 'MathJax failed: ' + e; });
  });
});
Promise.all([imagesLoaded, mathTypeset]).then(function (r) { done(r[1]); });
"""

COLLECT_FACTS = r"""
function textOutsideCode(root) {
  var clone = root.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, textarea, mjx-container, mjx-assistive-mml, .highlight, .MathJax')
       .forEach(function (e) { e.remove(); });
  return clone.textContent;
}
function hangulRenders() {
  var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  var node, element = null, chars = [];
  while ((node = walker.nextNode())) {
    var found = node.data.match(/[\uAC00-\uD7A3]/g);
    if (!found) continue;
    if (!element) element = node.parentElement;
    found.forEach(function (c) { if (chars.indexOf(c) < 0) chars.push(c); });
    if (chars.length >= 4) break;
  }
  if (!element || chars.length < 2) return null;
  var style = getComputedStyle(element);
  var canvas = document.createElement('canvas');
  canvas.width = 96; canvas.height = 96;
  var context = canvas.getContext('2d', {willReadFrequently: true});
  context.font = style.fontWeight + ' 64px ' + style.fontFamily;
  var drawings = chars.map(function (c) {
    context.clearRect(0, 0, 96, 96);
    context.fillText(c, 8, 76);
    var pixels = context.getImageData(0, 0, 96, 96).data, ink = 0, signature = [];
    for (var i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) ink++; signature.push(pixels[i] > 127 ? 1 : 0); }
    return {ink: ink, signature: signature.join('')};
  });
  var distinct = new Set(drawings.map(function (d) { return d.signature; })).size;
  return {chars: chars.join(''), font: style.fontFamily, distinct: distinct,
          blank: drawings.filter(function (d) { return d.ink === 0; }).length};
}
var mathElements = Array.from(document.querySelectorAll('span.math, div.math'));
return {
  title: document.title,
  errors: window.__siteCheckErrors || [],
  mathElements: mathElements.length,
  mathUntypeset: mathElements.filter(function (e) { return !e.querySelector('mjx-container'); })
                             .map(function (e) { return e.textContent.trim().slice(0, 80); }),
  mjxContainers: document.querySelectorAll('mjx-container').length,
  mathErrors: Array.from(document.querySelectorAll('mjx-merror')).map(function (e) {
    var message = e.getAttribute('data-mjx-error') || e.textContent;
    var container = e.closest('mjx-container');
    try {  // name the TeX that failed, with control characters shown (a "\rho" typed as CR + "ho")
      var item = MathJax.startup.document.getMathItemsWithin(container.parentNode)[0];
      return message + ' in ' + JSON.stringify(item.math);
    } catch (error) { return message; }
  }),
  text: textOutsideCode(document.body),
  images: Array.from(document.images).map(function (img) {
    return {src: img.currentSrc || img.src, loaded: img.complete && img.naturalWidth > 0};
  }),
  uncaptionedFigures: Array.from(document.querySelectorAll('.cell_output img')).filter(function (img) {
    var figure = img.closest('figure');
    return !figure || !figure.querySelector('figcaption') || !figure.querySelector('figcaption').textContent.trim();
  }).map(function (img) { return img.getAttribute('src'); }),
  // A cell tagged raises-exception shows its error on purpose (the article's program).
  tracebacks: Array.from(document.querySelectorAll('.cell_output .output.traceback, .cell_output .output.error'))
                   .filter(function (e) { return !e.closest('.tag_raises-exception'); }).length,
  links: Array.from(document.querySelectorAll('a[href]')).map(function (a) { return a.href; }),
  hangul: hangulRenders(),
  height: Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)
};
"""


# Boxes of code or output that a reader would have to scroll sideways, by their longest
# line. The set-up cell's input is exempt: it is hidden behind "Show the set-up", and
# its one long line is the repository's address.
SIDEWAYS_SCROLL = r"""
return Array.from(document.querySelectorAll('pre')).filter(function (pre) {
  return pre.offsetParent !== null && pre.scrollWidth > pre.clientWidth + 1
         && !pre.closest('.tag_hide-input .cell_input');
}).map(function (pre) {
  return pre.textContent.split('\n').reduce(function (a, b) { return a.length >= b.length ? a : b; }, '');
});
"""


# Display equations wider than the article's text column, and tables wider than the element
# that holds them, by the start of their text.
TOO_WIDE = r"""
var column = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
var right = column.getBoundingClientRect().right;
var out = [];
document.querySelectorAll('mjx-container[display="true"]').forEach(function (m) {
  if (m.offsetParent === null) return;
  var inner = m.firstElementChild || m;
  if (m.scrollWidth > m.clientWidth + 1 || inner.getBoundingClientRect().right > right + 1)
    out.push('equation ' + JSON.stringify((m.textContent || '').replace(/\s+/g, ' ').slice(0, 50)));
});
document.querySelectorAll('table').forEach(function (t) {
  if (t.offsetParent === null || t.closest('.cell_output pre')) return;
  if (t.scrollWidth > t.parentElement.clientWidth + 1 || t.getBoundingClientRect().right > right + 1)
    out.push('table ' + JSON.stringify((t.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 50)));
});
return out;
"""


def at_widths(driver, widths, script: str) -> dict[int, list]:
    """What ``script`` returns with the window at each of ``widths`` (the window restored after)."""
    found = {}
    try:
        for width in widths:
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": WINDOW_HEIGHT, "deviceScaleFactor": 1, "mobile": False},
            )
            # let the page answer the new width first (_static/tables.js re-lays its tables
            # out on the next animation frame after a resize)
            driver.execute_async_script(
                "var done = arguments[0]; requestAnimationFrame(function () { requestAnimationFrame(done); });"
            )
            found[width] = driver.execute_script(script)
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return found


def content_too_wide(driver) -> list[str]:
    """Problems for every display equation or table wider than the column at a checked width."""
    return [
        f"wider than the column at {width} px: {what}"
        for width, found in at_widths(driver, FIT_THE_COLUMN_WIDTHS, TOO_WIDE).items()
        for what in found
    ]


# Images drawn with another shape than their own (a width shrunk to the column while an
# inline height stays), by their file name. 2 % of slack allows for rounding to pixels.
SQUEEZED = r"""
return Array.from(document.images).filter(function (img) {
  if (img.offsetParent === null || !img.naturalWidth || !img.clientHeight) return false;
  var drawn = img.clientWidth / img.clientHeight, own = img.naturalWidth / img.naturalHeight;
  return Math.abs(drawn / own - 1) > 0.02;
}).map(function (img) { return (img.getAttribute('src') || '').split('/').pop(); });
"""


def images_squeezed(driver) -> list[str]:
    """Problems for every image drawn out of its proportions at one of the column widths."""
    return [
        f"image squeezed at {width} px: {name}"
        for width, names in at_widths(driver, FIT_THE_COLUMN_WIDTHS, SQUEEZED).items()
        for name in names
    ]


def boxes_scrolling_sideways(driver) -> list[str]:
    """Problems for every code or output box that scrolls sideways at one of the checked widths."""
    return [
        f"scrolls sideways at {width} px: {line.strip()[:70]!r} ({len(line)} characters)"
        for width, lines in at_widths(driver, NO_SIDEWAYS_SCROLL_WIDTHS, SIDEWAYS_SCROLL).items()
        for line in lines
    ]


FIGURES_ON_PAGE = r"""
return arguments[0].map(function (name) {
  var figure = document.getElementById(name);
  if (!figure) return name + ': not on the page (the cell drew no image)';
  var image = figure.querySelector('img');
  if (!image || !(image.complete && image.naturalWidth > 0)) return name + ': no image';
  var caption = figure.querySelector('figcaption');
  if (!caption || !caption.textContent.trim()) return name + ': no caption';
  return null;
}).filter(function (problem) { return problem !== null; });
"""


@dataclasses.dataclass
class PageResult:
    page: str
    problems: list[str]
    summary: str = ""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the check reports what matters; no access log
        pass


# Each interactive figure: whether it drew (a path of at least two points in its SVG) and how
# many runs it holds; and the page's weight, every byte the browser decoded for it, and of
# that the chapter's own figures (_images/).
INTERACTIVE_FACTS = r"""
var figures = Array.from(document.querySelectorAll('.rmsprop-playground')).map(function (el) {
  var drawn = Array.from(el.querySelectorAll('svg polyline')).filter(function (line) {
    return (line.getAttribute('points') || '').trim().split(/\s+/).length >= 2;
  }).length;
  var runs = window.RMSpropPlayground ? Object.keys(RMSpropPlayground.paths(el) || {}).length : 0;
  return {id: el.id || '(no id)', drawn: drawn, runs: runs};
});
var entries = performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'));
function weight(keep) {
  return entries.filter(keep).reduce(function (sum, entry) { return sum + (entry.decodedBodySize || 0); }, 0);
}
return {figures: figures, bytes: weight(function () { return true; }),
        images: weight(function (e) { return e.name.indexOf('/_images/') >= 0; })};
"""

#: The most a page with an interactive figure may weigh with its scripts, styles and fonts
#: (MathJax and the theme's fonts are 3 MB of every page), the chapter's own figures aside.
INTERACTIVE_PAGE_BYTES = 5_000_000
PLAYGROUND_PAGE = "book/playground.html"


def interactive_problems(driver) -> tuple[list[str], str]:
    """What is wrong with the page's interactive figures, and a summary (count and page weight)."""
    facts = driver.execute_script(INTERACTIVE_FACTS)
    if not facts["figures"]:
        return [], ""
    problems = [
        f"interactive figure {f['id']} drew no path ({f['runs']} runs)"
        for f in facts["figures"]
        if f["drawn"] == 0 or f["runs"] == 0
    ]
    without_figures = facts["bytes"] - facts["images"]
    if without_figures > INTERACTIVE_PAGE_BYTES:
        problems.append(
            f"the page weighs {without_figures / 1e6:.1f} MB without its figures, over "
            f"{INTERACTIVE_PAGE_BYTES / 1e6:.0f} MB"
        )
    return problems, (
        f", interactive {len(facts['figures'])}, page {facts['bytes'] / 1e6:.2f} MB"
        f" ({facts['images'] / 1e6:.2f} MB of figures)"
    )


def playground_screenshots(driver, folder: pathlib.Path) -> list[pathlib.Path]:
    """The playground at its defaults (light theme) and at "μ = 0.9 on the cliff" (dark theme)."""
    element = driver.find_element("css selector", ".rmsprop-playground")
    # a window as tall as the playground, so that a picture holds all of it
    height = driver.execute_script("return Math.ceil(arguments[0].getBoundingClientRect().height);", element)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WINDOW_WIDTH, "height": height + 200, "deviceScaleFactor": 1, "mobile": False},
    )
    driver.execute_script("arguments[0].scrollIntoView();", element)
    folder.mkdir(parents=True, exist_ok=True)
    shots = [folder / "playground-defaults.png", folder / "playground-cliff-dark.png"]
    element.screenshot(str(shots[0]))
    cliff = next(t["set"] for t in driver.execute_script("return RMSpropPlayground.tries;") if "cliff" in t["label"])
    driver.execute_script(
        "RMSpropPlayground.set(arguments[0], arguments[1]); document.documentElement.dataset.theme = 'dark';",
        element,
        cliff,
    )
    try:
        element.screenshot(str(shots[1]))
    finally:
        driver.execute_script(
            "document.documentElement.dataset.theme = 'light';"
            "document.querySelector('.rmsprop-playground .rp-reset').click();"
        )
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return shots


def serve(html_root: pathlib.Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(html_root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def start_browser(user_data_dir: str, chromium: str = CHROMIUM, chromedriver: str = CHROMEDRIVER):
    """Headless Chromium under Selenium, with console and network logging switched on."""
    for program, package in ((chromium, "chromium"), (chromedriver, "chromium-driver")):
        if not os.access(program, os.X_OK):
            raise SystemExit(
                f"site-check needs {program}: install Debian's packages with "
                f"`apt-get install -y chromium chromium-driver` (missing: {package})"
            )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium  # with both paths given, Selenium Manager stays idle
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    options.add_argument(f"--window-size={WINDOW_WIDTH},{WINDOW_HEIGHT}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ERROR_HOOK})
    return driver


def _drain_logs(driver) -> tuple[list[str], list[str]]:
    """Console errors and requested URLs since the last call."""
    console = [
        entry["message"]
        for entry in driver.get_log("browser")
        # A browser asks for /favicon.ico on its own; on GitHub Pages that is the host's root,
        # outside the book, so its 404 says nothing about the book.
        if entry.get("level") == "SEVERE" and "/favicon.ico " not in entry["message"]
    ]
    requested = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])
    return console, requested


def _leave_page(driver) -> tuple[list[str], list[str]]:
    """Go to a blank page and return the page's console errors and requests.

    Leaving first means that a late report (a failed load logged after the checks ran) is
    charged to the page that caused it, not to the next one.
    """
    driver.get("about:blank")
    return _drain_logs(driver)


def check_page(
    driver,
    html_root: pathlib.Path,
    origin: str,
    page: str,
    config: dict | None,
    screenshot: pathlib.Path | None = None,
) -> PageResult:
    problems: list[str] = []
    _drain_logs(driver)
    driver.get(f"{origin}/{page}")
    math_status = driver.execute_async_script(WAIT_FOR_PAGE)
    facts = driver.execute_script(COLLECT_FACTS)
    source = html_root / "_sources" / (page[: -len(".html")] + ".ipynb")
    figures = declared_figures(source) if source.is_file() else []
    if figures:
        problems += [f"figure {p}" for p in driver.execute_script(FIGURES_ON_PAGE, figures)]
    problems += boxes_scrolling_sideways(driver)
    problems += content_too_wide(driver)
    problems += images_squeezed(driver)
    interactive, interactive_summary = interactive_problems(driver)
    problems += interactive
    if screenshot is not None:
        full_page_screenshot(driver, screenshot)
        if page == PLAYGROUND_PAGE:
            playground_screenshots(driver, screenshot.parent)
    console, requested = _leave_page(driver)

    problems += [f"JavaScript error: {e}" for e in facts["errors"]]
    problems += [f"console error: {m}" for m in console]
    # chrome:// and its kin are the browser's own pages (newer Chromiums load modules of
    # their new-tab page as the session starts): nothing leaves the machine for them.
    local = (origin + "/", "data:", "blob:", "about:", "chrome://", "chrome-untrusted://", "chrome-search://")
    problems += [f"request leaves the machine: {url}" for url in requested if not url.startswith(local)]

    if facts["mathElements"] or facts["mjxContainers"]:
        if math_status != "typeset":
            problems.append(f"maths not typeset: {math_status}")
    problems += [f"maths not typeset: {source!r}" for source in facts["mathUntypeset"]]
    problems += [f"TeX error: {message}" for message in facts["mathErrors"]]
    problems += [f"raw TeX in the text: ...{fragment}..." for fragment in find_raw_math(facts["text"])]
    problems += [f"a Markdown table printed as text: {line}" for line in find_raw_tables(facts["text"])]

    problems += [f"image did not load: {image['src']}" for image in facts["images"] if not image["loaded"]]
    problems += [f"figure without a caption: {src}" for src in facts["uncaptionedFigures"]]
    if facts["tracebacks"]:
        problems.append(f"{facts['tracebacks']} cell output(s) show an error")

    checked = set()
    for url in facts["links"]:
        if url in checked:
            continue
        checked.add(url)
        error = internal_link_error(html_root, url, origin)
        if error:
            problems.append(error)

    if config is not None and source.is_file():
        for name, expected in expected_launch_links(config, page).items():
            if expected not in facts["links"]:
                problems.append(f"no {name} launch button (expected a link to {expected})")
        download = f"{origin}/_sources/{page[: -len('.html')]}.ipynb"
        if download not in facts["links"]:
            problems.append(f"no download button for the notebook (expected {download})")

    hangul = facts["hangul"]
    hangul_missing = hangul is not None and (hangul["distinct"] < len(hangul["chars"]) or hangul["blank"])
    if hangul_missing:
        problems.append(
            f"Korean text is not drawn with real glyphs ({hangul['chars']} in {hangul['font']}): "
            "install a Hangul font, e.g. Debian's fonts-noto-cjk"
        )

    summary = (
        f"maths {facts['mjxContainers']}, images {len(facts['images'])}, figures {len(figures)}, links {len(checked)}"
        + interactive_summary
        + (f", Korean {hangul['chars'][:4]}… {'NOT ' if hangul_missing else ''}drawn" if hangul else "")
        + (f", screenshot {screenshot}" if screenshot is not None else "")
    )
    return PageResult(page, problems, summary)


def check_search(driver, origin: str, query: str = "RMSprop") -> PageResult:
    """The search page, served offline, finds pages for `query`."""
    from selenium.webdriver.support.ui import WebDriverWait

    _drain_logs(driver)
    driver.get(f"{origin}/search.html?q={query}")
    problems = []
    try:
        WebDriverWait(driver, 20).until(
            lambda d: d.execute_script("return document.querySelectorAll('#search-results li').length") > 0
        )
    except Exception:
        problems.append(f"search for {query!r} found nothing")
    errors = driver.execute_script("return window.__siteCheckErrors || []")
    hits = driver.execute_script("return document.querySelectorAll('#search-results li').length")
    console, _requested = _leave_page(driver)
    problems += [f"JavaScript error: {e}" for e in errors] + [f"console error: {m}" for m in console]
    return PageResult(f"search.html?q={query}", problems, f"{hits} results")


def full_page_screenshot(driver, path: pathlib.Path) -> None:
    """Save the whole page, not just the window, as a PNG.

    The viewport is made as tall as the page (so the layout is the one a reader scrolls
    through), shot in tiles that Chromium can draw, and the tiles are joined.
    """
    from PIL import Image

    height = driver.execute_script("return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WINDOW_WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        tiles = []
        for top in range(0, height, SCREENSHOT_TILE_HEIGHT):
            clip = {
                "x": 0,
                "y": top,
                "width": WINDOW_WIDTH,
                "height": min(SCREENSHOT_TILE_HEIGHT, height - top),
                "scale": 1,
            }
            shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "clip": clip})
            tiles.append(Image.open(io.BytesIO(base64.b64decode(shot["data"]))))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    page_image = Image.new("RGB", (tiles[0].width, sum(t.height for t in tiles)), "white")
    y = 0
    for tile in tiles:
        page_image.paste(tile, (0, y))
        y += tile.height
    path.parent.mkdir(parents=True, exist_ok=True)
    page_image.save(path)


def check_site(
    html_root: pathlib.Path,
    config: dict | None = None,
    screenshots: pathlib.Path | None = None,
    search: bool = True,
    every_screenshot: bool = False,
    chromium: str = CHROMIUM,
    chromedriver: str = CHROMEDRIVER,
) -> list[PageResult]:
    html_root = html_root.resolve()
    page_ids.cache_clear()
    server, origin = serve(html_root)
    user_data_dir = tempfile.mkdtemp(prefix="site-check-chromium-")
    driver = None
    results = []
    try:
        driver = start_browser(user_data_dir, chromium, chromedriver)
        for page in pages_to_check(html_root):
            target = redirect_target(html_root / page)
            if target is not None:  # a redirect page: only its target must exist
                error = internal_link_error(html_root, urljoin(f"{origin}/{page}", target), origin)
                results.append(PageResult(page, [error] if error else [], f"redirects to {target}"))
                continue
            shot = None
            if screenshots is not None and (page in SCREENSHOT_PAGES or every_screenshot):
                shot = screenshots / (pathlib.PurePosixPath(page).stem + ".png")
            results.append(check_page(driver, html_root, origin, page, config, shot))
        if search and (html_root / "search.html").is_file():
            results.append(check_search(driver, origin))
    finally:
        if driver is not None:
            driver.quit()
        server.shutdown()
        shutil.rmtree(user_data_dir, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", type=pathlib.Path, help="the built site, e.g. _build/html")
    parser.add_argument("--config", type=pathlib.Path, help="_config.yml, for the expected launch buttons")
    parser.add_argument("--screenshots", type=pathlib.Path, help="folder for the full-page screenshots")
    parser.add_argument(
        "--all-screenshots", action="store_true", help="photograph every page, not only the chosen ones"
    )
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--chromedriver", default=CHROMEDRIVER)
    args = parser.parse_args(argv)
    if not args.html.is_dir() or not pages_to_check(args.html):
        parser.error(f"{args.html} holds no built pages: run `make book` first")
    config = None
    if args.config is not None:
        import yaml

        config = yaml.safe_load(args.config.read_text(encoding="utf-8"))
    results = check_site(
        args.html,
        config,
        args.screenshots,
        every_screenshot=args.all_screenshots,
        chromium=args.chromium,
        chromedriver=args.chromedriver,
    )
    failed = [r for r in results if r.problems]
    for result in results:
        print(f"{'FAIL' if result.problems else 'ok  '} {result.page}: {result.summary}")
        for problem in result.problems:
            print(f"       {problem}")
    print(f"site-check: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
