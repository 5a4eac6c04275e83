"""Tests of scripts/site_check.py: each check must catch the fault it is there for.

The helpers are tested on strings and small files; the browser checks on a tiny site made
here, with one good page and pages that each break a rule, opened in headless Chromium
(Debian's chromium and chromium-driver, which .ci/run installs).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import pathlib
import shutil
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("site_check", ROOT / "scripts" / "site_check.py")
site_check = importlib.util.module_from_spec(_spec)
sys.modules["site_check"] = site_check  # dataclasses look their module up there
_spec.loader.exec_module(site_check)

CONFIG = {
    "repository": {"url": "https://github.com/someone/some-book", "branch": "main", "path_to_book": ""},
    "launch_buttons": {"colab_url": "https://colab.research.google.com", "binderhub_url": "https://mybinder.org"},
}


# --- helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["see $$x^2$$ here", r"\begin{aligned} a &= b \end{aligned}", r"the rate $\eta$ is", r"inline \(x\) math"],
)
def test_raw_tex_is_found(text):
    assert site_check.find_raw_math(text)


@pytest.mark.parametrize("text", ["it costs $5, or $10 with tax", "plain words", "a 50 % gain", "η = 0.001"])
def test_ordinary_text_is_not_taken_for_tex(text):
    assert site_check.find_raw_math(text) == []


def test_internal_links_must_name_a_file_and_an_id(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "a.html").write_text('<h1 id="top">A</h1><a name="old-anchor"></a>')
    origin = "http://127.0.0.1:8000"
    check = site_check.internal_link_error
    assert check(tmp_path, f"{origin}/book/a.html", origin) is None
    assert check(tmp_path, f"{origin}/book/a.html#top", origin) is None
    assert check(tmp_path, f"{origin}/book/a.html#old-anchor", origin) is None
    assert "does not exist" in check(tmp_path, f"{origin}/book/b.html", origin)
    assert "no element with that id" in check(tmp_path, f"{origin}/book/a.html#nowhere", origin)
    assert check(tmp_path, "https://example.org/page.html", origin) is None  # not followed


def test_pages_exclude_assets_and_redirects_are_read(tmp_path):
    for name in ["index.html", "book/a.html", "_static/x.html", "_sources/book/a.html"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("<p>x</p>")
    (tmp_path / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=book/a.html" />')
    assert site_check.pages_to_check(tmp_path) == ["book/a.html", "index.html"]
    assert site_check.redirect_target(tmp_path / "index.html") == "book/a.html"
    assert site_check.redirect_target(tmp_path / "book" / "a.html") is None


def test_expected_launch_links_follow_the_configuration():
    links = site_check.expected_launch_links(CONFIG, "book/mnist.html")
    assert links == {
        "Colab": "https://colab.research.google.com/github/someone/some-book/blob/main/book/mnist.ipynb",
        "Binder": "https://mybinder.org/v2/gh/someone/some-book/main?urlpath=tree/book/mnist.ipynb",
    }


# --- in the browser -----------------------------------------------------------------------

PAGE = '<html><head><meta charset="utf-8"><title>{title}</title>{head}</head><body>{body}</body></html>'


def write_page(root: pathlib.Path, name: str, body: str, head: str = "") -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PAGE.format(title=name, head=head, body=body), encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A small site: good pages, and pages that each break one rule of the check."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    root = tmp_path_factory.mktemp("site")
    figure, axes = plt.subplots(figsize=(2, 1))
    axes.plot([0, 1], [1, 0])
    (root / "_images").mkdir()
    figure.savefig(root / "_images" / "plot.png")
    plt.close(figure)
    # The MathJax that the book serves: sphinx-mathjax-offline's copy (a module name with dashes).
    extension = importlib.import_module("sphinx-mathjax-offline")
    shutil.copytree(pathlib.Path(extension.__file__).parent / "static" / "mathjax", root / "_static" / "mathjax")
    mathjax = '<script defer src="../_static/mathjax/tex-chtml.js"></script>'

    (root / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=book/good.html" />')
    write_page(
        root,
        "book/good.html",
        head=mathjax,
        body=(
            '<h1 id="top">Good</h1><p>Inline <span class="math notranslate">\\(\\eta/\\sqrt{v}\\)</span>.</p>'
            '<div class="cell_output"><figure><img src="../_images/plot.png"><figcaption>A line.</figcaption></figure></div>'
            '<p lang="ko">기울기 소실과 기울기 폭발</p>'
            '<a href="other.html#section">other</a> <a href="#top">top</a> <a href="https://example.org/">away</a>'
            "<pre>code may say $$ and \\begin{aligned}</pre>"
            '<div class="cell tag_raises-exception"><div class="cell_output">'
            '<div class="output traceback"><pre>ValueError: shown on purpose</pre></div></div></div>'
            # The set-up cell's hidden input may be long; an output that wraps never scrolls.
            f'<div class="cell tag_hide-input"><div class="cell_input"><pre>{"x" * 300}</pre></div></div>'
            f'<div class="cell_output"><pre style="white-space: pre-wrap">{"y " * 300}</pre></div>'
            # A display equation and a table that fit the column.
            '<div class="math notranslate nohighlight">\\[a^2 + b^2 = c^2\\]</div>'
            "<table><tr><td>a</td><td>b</td></tr></table>"
        ),
    )
    long_sum = " + ".join(f"x_{{{i}}}" for i in range(150))
    write_page(
        root,
        "book/too_wide.html",
        head=mathjax,
        body=(
            f'<div class="math notranslate nohighlight">\\[{long_sum}\\]</div>'
            f"<table><tr><td>{'w' * 400}</td><td>end</td></tr></table>"
        ),
    )
    # A phone's column (390 px): a table with a header row that is too wide there is read as
    # cards (the book's _static/tables.js and book.css); a wide equation, or a table without
    # a header, still does not fit. All of them fit at 800 px.
    for name in ("book.css", "tables.js"):
        shutil.copy(ROOT / "_static" / name, root / "_static" / name)
    phone_head = (
        mathjax + '<link rel="stylesheet" href="../_static/book.css"><script src="../_static/tables.js"></script>'
    )
    words = [f"column{i}" for i in range(8)]
    row = lambda tag, cells: "<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>"
    medium_sum = " + ".join(f"x_{{{i}}}" for i in range(10, 24))
    # a figure whose display size (600 × 300, the plot's own 2 : 1) is written inline, as
    # MyST-NB writes a retina PNG's, and which the column shrinks on a phone
    figure_600 = '<img src="../_images/plot.png" style="max-width: 100%; width: 600px; height: 300px">'
    write_page(
        root,
        "book/phone_cards.html",
        head=phone_head,
        body=(
            f'<article class="bd-article"><table><thead>{row("th", words)}</thead><tbody>{row("td", words)}</tbody>'
            f'</table><div class="cell_output">{figure_600}</div></article>'
        ),
    )
    write_page(
        root,
        "book/phone_too_wide.html",
        head=phone_head,
        body=(
            '<article class="bd-article">'
            f'<div class="math notranslate nohighlight">\\[{medium_sum}\\]</div>'
            f"<table><tbody>{row('td', ['no header'] + words)}</tbody></table>{figure_600}</article>"
        ),
    )
    write_page(root, "book/wide.html", body=f'<div class="cell_input"><pre>print("{"z" * 250}")</pre></div>')
    write_page(root, "book/other.html", body='<h2 id="section">Other</h2><a href="good.html">back</a>')
    write_page(
        root,
        "book/broken.html",
        body=(
            "<script>notDefinedAnywhere();</script>"
            '<img src="../_images/missing.png">'
            '<a href="nowhere.html">dead</a> <a href="other.html#no-such-id">dead anchor</a>'
            "<p>Left over: $$x^2$$</p>"
            '<div class="cell_output"><img src="../_images/plot.png"></div>'
            '<img src="https://example.invalid/remote.png">'
            '<div class="cell"><div class="cell_output"><div class="output traceback"><pre>Oops</pre></div></div></div>'
        ),
    )
    write_page(root, "book/untypeset.html", body='<p><span class="math">\\(y^2\\)</span></p>')
    write_page(
        root, "book/raw_table.html", body="<p>| a | b |\n|:–|–:|\n| 1 | 2 |</p><pre>| code | is |\n|--|--|</pre>"
    )
    # A notebook page (its .ipynb is in _sources) without launch or download buttons, which
    # shows one of the two figures its cells declare.
    write_page(
        root,
        "book/notebook.html",
        body=('<figure id="fig-drawn-too"><img src="../_images/plot.png"><figcaption>Drawn.</figcaption></figure>'),
    )
    (root / "_sources" / "book").mkdir(parents=True)
    figure_cell = lambda name: {
        "cell_type": "code",
        "source": "plt.show()",
        "outputs": [],
        "metadata": {"mystnb": {"figure": {"caption": "c", "name": name}}},
    }
    (root / "_sources" / "book" / "notebook.ipynb").write_text(
        json.dumps({"cells": [figure_cell("fig-drawn_too"), figure_cell("fig-never-drawn")]})
    )

    # The interactive figures: the playground with its scripts (served from the site's root, as
    # html_extra_path puts them), and a figure whose scripts are missing, which draws nothing.
    for name in ("rmsprop_port.js", "playground.js", "playground.css"):
        shutil.copy(ROOT / "interactive" / name, root / name)
    write_page(
        root,
        "book/playground.html",
        head='<link rel="stylesheet" href="../playground.css">',
        body=(
            '<div class="rmsprop-playground" id="pg"></div>'
            '<script src="../rmsprop_port.js"></script><script src="../playground.js"></script>'
        ),
    )
    write_page(root, "book/interactive_broken.html", body='<div class="rmsprop-playground" id="lost"></div>')

    shots = tmp_path_factory.mktemp("screenshots")
    results = site_check.check_site(root, CONFIG, screenshots=shots, search=False)
    return {r.page: r for r in results}, shots


def problems(site, page):
    return "\n".join(site[0][page].problems)


def test_good_pages_pass(site):
    results, _ = site
    assert results["book/good.html"].problems == []
    assert results["book/other.html"].problems == []
    assert results["index.html"].problems == []
    summary = results["book/good.html"].summary
    assert "maths 2" in summary and "images 1" in summary and "Korean" in summary


def test_javascript_errors_are_caught(site):
    assert "notDefinedAnywhere is not defined" in problems(site, "book/broken.html")


def test_missing_images_and_uncaptioned_figures_are_caught(site):
    text = problems(site, "book/broken.html")
    assert "image did not load: http://127.0.0.1" in text and "missing.png" in text
    assert "figure without a caption: ../_images/plot.png" in text


def test_broken_links_are_caught(site):
    text = problems(site, "book/broken.html")
    assert "book/nowhere.html does not exist" in text
    assert "book/other.html#no-such-id: no element with that id" in text


def test_raw_tex_and_untypeset_maths_are_caught(site):
    assert "raw TeX in the text" in problems(site, "book/broken.html")
    assert "maths not typeset" in problems(site, "book/untypeset.html")


def test_cell_errors_are_caught_unless_the_cell_expects_them(site):
    assert "1 cell output(s) show an error" in problems(site, "book/broken.html")
    assert "show an error" not in problems(site, "book/good.html")


def test_requests_off_the_machine_are_caught(site):
    assert "request leaves the machine: https://example.invalid/remote.png" in problems(site, "book/broken.html")


def test_figures_a_notebook_declares_must_be_on_its_page(site):
    text = problems(site, "book/notebook.html")
    assert "figure fig-never-drawn: not on the page" in text
    assert "fig-drawn" not in text  # the name fig-drawn_too is the id fig-drawn-too


def test_notebook_pages_need_launch_and_download_buttons(site):
    text = problems(site, "book/notebook.html")
    assert "no Colab launch button" in text and "no Binder launch button" in text
    assert "no download button" in text


def test_screenshots_are_full_pages(tmp_path):
    """A page taller than the window is photographed whole."""
    from PIL import Image

    write_page(tmp_path, "book/intro.html", body='<div style="height:3000px;background:#36c">tall</div>')
    (tmp_path / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=book/intro.html" />')
    results = site_check.check_site(tmp_path, None, screenshots=tmp_path / "shots", search=False)
    assert all(r.problems == [] for r in results)
    with Image.open(tmp_path / "shots" / "intro.png") as image:
        assert image.width == site_check.WINDOW_WIDTH and image.height >= 3000
        assert image.getpixel((100, 2900))[:3] == (0x33, 0x66, 0xCC)


def test_korean_without_a_hangul_font_is_caught(tmp_path, monkeypatch):
    """With no font that has Hangul (fontconfig pointed at a folder holding only a Latin font),
    the boxes are caught. (With no font at all, Chromium 150's renderer exits.)"""
    import matplotlib

    (tmp_path / "no-fonts").mkdir()
    latin_only = pathlib.Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    shutil.copy(latin_only, tmp_path / "no-fonts" / latin_only.name)
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><fontconfig>'
        f"<dir>{tmp_path / 'no-fonts'}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))  # inherited by Chromium
    write_page(tmp_path / "site", "book/ko.html", body="<p>기울기 소실과 기울기 폭발</p>")
    (result,) = site_check.check_site(tmp_path / "site", None, search=False)
    assert "Korean text is not drawn with real glyphs" in "\n".join(result.problems)


def test_code_that_scrolls_sideways_is_caught(site):
    text = problems(site, "book/wide.html")
    for width in site_check.NO_SIDEWAYS_SCROLL_WIDTHS:
        assert f"scrolls sideways at {width} px: 'print(\"zzz" in text
    assert "(259 characters)" in text


def test_equations_and_tables_wider_than_the_column_are_caught(site):
    text = problems(site, "book/too_wide.html")
    for width in site_check.FIT_THE_COLUMN_WIDTHS:
        assert f"wider than the column at {width} px: equation" in text
        assert f'wider than the column at {width} px: table "wwww' in text
    assert "wider than the column" not in problems(site, "book/good.html")


def test_a_phone_column_is_checked_and_wide_tables_and_figures_fit_it(site):
    assert site_check.FIT_THE_COLUMN_WIDTHS[-1] == 390
    text = problems(site, "book/phone_too_wide.html")
    assert "wider than the column at 390 px: equation" in text
    assert 'wider than the column at 390 px: table "no header' in text
    assert "image squeezed at 390 px: plot.png" in text
    assert "at 800 px" not in text and "at 1280 px" not in text
    cards = problems(site, "book/phone_cards.html")
    assert "wider than the column" not in cards and "squeezed" not in cards


def test_interactive_figures_must_draw_and_the_playground_is_photographed(site):
    assert not site[0]["book/playground.html"].problems
    assert "interactive 1, page" in site[0]["book/playground.html"].summary
    assert "interactive figure lost drew no path" in problems(site, "book/interactive_broken.html")
    for name in ("playground-defaults.png", "playground-cliff-dark.png"):
        assert (site[1] / name).stat().st_size > 10_000


def test_a_markdown_table_printed_as_text_is_caught(site):
    assert "a Markdown table printed as text: |:–|–:|" in problems(site, "book/raw_table.html")
    assert "printed as text" not in problems(site, "book/good.html")


def test_raw_tables_are_found_only_in_delimiter_rows():
    assert site_check.find_raw_tables("| a | b |\n|:--|--:|") == ["|:--|--:|"]
    assert site_check.find_raw_tables("| a | b |\n| --- | --- |") == ["| --- | --- |"]
    assert site_check.find_raw_tables("x | y and a – b | c") == []
