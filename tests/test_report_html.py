"""HTML report: self-contained, escaped, thumbnails and plots embedded, robust to lost images."""

from __future__ import annotations

import base64
import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tellapart.report import render_html, write_html
from tellapart.report.plots import ScorePlotter
from tellapart.types import SkippedFile
from test_report_builders import (
    XSS_FILE,
    XSS_HYPOTHESIS,
    make_report,
    use_thumbnail_fallback,
)


@pytest.fixture(autouse=True)
def _thumbnails(monkeypatch: pytest.MonkeyPatch) -> None:
    use_thumbnail_fallback(monkeypatch)


class _Collector(HTMLParser):
    """Every tag with its attributes, plus the text of <style> and <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.style_text = ""
        self._in: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("style", "script"):
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "style":
            self.style_text += data
        self.text.append(data)


def _parse(html: str) -> _Collector:
    c = _Collector()
    c.feed(html)
    return c


def test_page_is_self_contained(tmp_path: Path) -> None:
    html = render_html(make_report(tmp_path))
    page = _parse(html)
    assert not [t for t, _ in page.tags if t == "script"], "the page needs no script"
    for tag, attrs in page.tags:
        for key in ("src", "href", "srcset", "poster", "data", "action"):
            value = attrs.get(key)
            if value is None:
                continue
            # A link to an example's original file is followed only when clicked, never fetched.
            if tag == "a" and key == "href" and value.startswith("file:///"):
                continue
            assert value.startswith("data:") or value.startswith("#"), (tag, key, value[:60])
    assert "url(" not in page.style_text and "@import" not in page.style_text
    assert "http://" not in html and "https://" not in html
    # A CSP that forbids any fetch or script, belt and braces over the checks above.
    csp = [
        a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")


def test_thumbnails_and_plots_are_embedded(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    page = _parse(render_html(report))
    imgs = [a for t, a in page.tags if t == "img"]
    jpegs = [a["src"] for a in imgs if (a.get("src") or "").startswith("data:image/jpeg;base64,")]
    pngs = [a["src"] for a in imgs if (a.get("src") or "").startswith("data:image/png;base64,")]
    n_example_paths = sum(
        len(p)
        for f in report.findings
        for p in [*f.examples.values(), *f.counter_examples.values()]
    )
    assert len(jpegs) == n_example_paths
    assert len(pngs) == len(report.findings)  # one score plot per finding
    # The data URIs decode to real images of the promised kinds and sizes.
    thumb = Image.open(io.BytesIO(base64.b64decode(jpegs[0].split(",", 1)[1])))
    assert thumb.format == "JPEG" and max(thumb.size) <= 160
    plot = Image.open(io.BytesIO(base64.b64decode(pngs[0].split(",", 1)[1])))
    assert plot.format == "PNG" and plot.size == (720, 240)  # 360x120 CSS px at 2x


def test_content_and_structure(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    html = render_html(report)
    text = " ".join(" ".join(_parse(html).text).split())
    assert "2 significant differences found" in text
    for f in report.findings:  # significant ones as they are, the rest as "No evidence that ..."
        assert (f.description if f.significant else f"No evidence that s{f.description[1:]}") in text
    assert "0.86 [0.78, 0.93]" in text  # AUROC with CI
    assert "Set A images that most show it" in text
    assert "Set B images that least show it" in text
    assert "Set B images that most show it" in text  # finding 2 is more in B
    assert "Counter-examples" in text
    assert "Related claim to #1" in text
    assert "Tested but not significant (1)" in text
    assert report.untestable_hypotheses[0] in text
    assert report.warnings[0] in text
    assert "cannot decode: truncated file" in text
    assert "tellapart 0.1.0" in text
    # Non-significant findings sit in a collapsed section after the significant ones.
    nonsig = html.index('class="section nonsig-section"')
    assert html.index('id="finding-1"') < nonsig < html.index('id="finding-3"')
    assert re.search(r'<details class="section nonsig-section">', html)  # closed


def test_no_significant_and_no_findings(tmp_path: Path) -> None:
    report = make_report(tmp_path, n_significant=0, n_other=2)
    html = render_html(report)
    assert "No significant difference found at alpha=0.05" in html
    assert '<details class="section nonsig-section" open>' in html
    empty = make_report(tmp_path, n_significant=0, n_other=0)
    html = render_html(empty)
    assert "no hypothesis could be tested" in html
    assert "nonsig-section" not in html


def test_everything_from_outside_is_escaped(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    # "/" cannot be in a file name, so XSS_FILE becomes a folder "<script>alert(1)<" holding
    # "script>.png": the full path still reads <script>alert(1)</script>.png.
    evil = tmp_path / '"><b>dir' / XSS_FILE
    evil.parent.mkdir(parents=True)
    shutil.copy(report.findings[0].examples["A"][0], evil)
    evil_name = tmp_path / "<img src=x onerror=alert(1)>.png"
    shutil.copy(report.findings[0].examples["A"][0], evil_name)
    report.findings[0].examples["A"] += [str(evil), str(evil_name)]
    report.findings[0].description = XSS_HYPOTHESIS
    report.findings[0].related[0]["description"] = XSS_HYPOTHESIS
    report.untestable_hypotheses.append(XSS_HYPOTHESIS + ": no scorer")
    report.warnings.append("<script>alert(2)</script>")
    report.skipped.append(SkippedFile(path=str(tmp_path / XSS_FILE), set_name="B", reason="<i>x"))
    report.set_a.source = "<script>alert(3)</script>"
    report.settings["hypotheses"] = [XSS_HYPOTHESIS]
    html = render_html(report)
    assert "<script" not in html
    assert "<img src=x" not in html and "onerror=alert(1)>" not in html
    assert "<b>dir" not in html and "<i>x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.png" in html
    assert "&lt;img src=x onerror=alert(1)&gt;.png" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    # The escaped file still got its thumbnail (escaping is for the page, not the path).
    page = _parse(html)
    titles = [a.get("title") for t, a in page.tags if t == "figure"]
    assert str(evil) in titles  # the parser un-escapes attributes: the real path round-trips
    assert str(evil_name) in titles
    assert "Image not available" not in html  # the oddly named files were shown
    assert not [a for t, a in page.tags if t == "script"]
    assert not [a for t, a in page.tags if "onerror" in a]


def test_unreadable_image_shows_placeholder(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    gone = str(tmp_path / "set_a" / "deleted.png")
    corrupt = tmp_path / "set_a" / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    report.findings[0].examples["A"] = [gone, str(corrupt), *report.findings[0].examples["A"]]
    html = render_html(report)
    assert html.count("Image not available") == 2
    assert "file not found" in html
    assert "deleted.png" in html and "corrupt.png" in html
    assert html.count("data:image/jpeg;base64,") >= 4  # the readable ones are still shown


def test_report_loaded_from_json_renders_without_plots(tmp_path: Path) -> None:
    from tellapart.report import report_from_json, to_strict_json

    report = report_from_json(to_strict_json(make_report(tmp_path).to_json()))
    html = render_html(report)
    assert "No per-image scores in this report" in html
    assert "data:image/png" not in html


def test_write_html_and_determinism(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    out = write_html(report, tmp_path / "out" / "report.html")
    assert out.read_text(encoding="utf-8") == render_html(report)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_plot_is_deterministic_and_handles_edge_cases() -> None:
    plotter = ScorePlotter()
    rng = np.random.default_rng(1)
    scores = {"A": rng.normal(1, 1, 50).tolist(), "B": rng.normal(0, 1, 45).tolist()}
    first = plotter.png(scores, "A")
    other = plotter.png({"A": [0.0, 1.0, float("nan")], "B": [5.0] * 3}, "B")
    assert first is not None and other is not None and first != other
    assert plotter.png(scores, "A") == first  # reused figure leaves no trace
    assert ScorePlotter().png(scores, "A") == first
    assert plotter.png({"A": [2.0] * 5, "B": [2.0] * 4}, "A") is not None  # no spread
    assert plotter.png({"A": [1.0, 2.0], "B": []}, "A") is not None  # one set only
    assert plotter.png({"A": [], "B": [float("nan")]}, "A") is None
