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
    make_overall_report,
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
    # Examples are chosen by the finding's score (Verifier._describe) and labelled so.
    assert "Most typical images (chosen by this finding's per-image score on held-out images)" in text
    assert "Set A: most typical (highest scores)" in text
    assert "Set B: most typical (lowest scores)" in text
    assert "Set B: most typical (highest scores)" in text  # finding 2 is more in B
    assert "Least typical images (by this finding's score: counter-examples" in text
    assert "Set A: least typical (lowest scores)" in text
    assert "Look here" not in text and "counterfactual" not in text  # no overall test
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


def test_the_overall_answer_opens_the_page(tmp_path: Path) -> None:
    report = make_overall_report(tmp_path)
    report.findings[0].negligible = True
    html = render_html(report)
    text = " ".join(" ".join(_parse(html).text).split())
    statement = ("The sets differ: a classifier tells them apart on held-out images with AUROC "
                 "0.93 [0.88, 0.97] (p = 0.0010).")
    explained = ("The findings below describe about 70% of what separates the sets; about 30% "
                 "is not described (see the images below).")
    assert text.index(statement) < text.index(explained) < text.index("2 significant differences")
    assert text.index(explained) < text.index("Look here") < text.index("Significant differences")
    assert "412 features (measurements, describer embedding)" in text
    assert ("Refitted with the findings' scores regressed out: held-out AUROC 0.64, "
            "permutation p = 0.0040.") in text
    assert ("Look here (images most confidently told apart that the findings do not account "
            "for)") in text
    look = html[html.index('id="look-here"'):html.index("Significant differences")]
    shown = re.findall(r'<figure class="thumb" title="([^"]+)"', look)
    assert shown == [*report.overall.look_here["A"], *report.overall.look_here["B"]]
    # Per finding: the share it explains, the counterfactual badge with its detail, negligible.
    first = html[html.index('id="finding-1"'):html.index('id="finding-2"')]
    second = html[html.index('id="finding-2"'):html.index('id="finding-3"')]
    assert "45% of what separates the sets" in first and "30% of what" in second
    assert 'class="badge badge-check badge-confirmed"' in first and "counterfactual: confirmed" in first
    assert 'class="badge badge-check badge-refuted"' in second and "counterfactual: refuted" in second
    assert "did not move them toward set B." in second  # the detail, as text and tooltip
    assert 'class="badge badge-negligible"' in first and "badge-negligible" not in second
    assert "no evidence that set B images are upside down" in second
    third = html[html.index('id="finding-3"'):]
    assert "badge-check" not in third  # not significant, not checked: no badge


def test_no_difference_and_no_finding_to_describe_it(tmp_path: Path) -> None:
    report = make_overall_report(tmp_path)
    assert report.overall is not None
    report.overall.explained_share = None
    text = " ".join(" ".join(_parse(render_html(report)).text).split())
    assert "No finding describes it: see the images below where the sets differ most." in text
    report.overall.differ = False
    report.overall.look_here = {"A": [], "B": []}
    for f in report.findings:
        f.significant = False
    html = render_html(report)
    text = " ".join(" ".join(_parse(html).text).split())
    assert "No difference detected (held-out AUROC 0.93 [0.88, 0.97], p = 0.0010)." in text
    assert "No finding describes it" not in text and 'id="look-here"' not in html


def test_overall_text_and_paths_are_escaped(tmp_path: Path) -> None:
    report = make_overall_report(tmp_path)
    assert report.overall is not None
    evil = tmp_path / XSS_FILE.replace("/", "_")
    shutil.copy(report.overall.look_here["A"][0], evil)
    report.overall.look_here["A"].append(str(evil))
    report.overall.features = ["<script>alert(5)</script>"]
    report.findings[0].counterfactual.detail = '"><img src=x onerror=alert(6)>'
    html = render_html(report)
    assert "<script" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(5)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(6)&gt;" in html
    page = _parse(html)
    assert str(evil) in [a.get("title") for t, a in page.tags if t == "figure"]
    assert not [a for t, a in page.tags if "onerror" in a]
