"""A finding is stated truthfully (issue 18, item 4) and its thumbnails link to the originals (item 6).

A significant finding is stated as its claim; one that did not hold up reads "No evidence
that ..."; one the held-out images lean against adds which way they lean and is flagged
"contradicted by held-out images" in the HTML and the terminal. ``Finding.description``
(what the benchmark judges) is never changed.
"""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rich.console import Console

from tellapart.report import print_table, render_html, report_json, to_strict_json, write_json
from tellapart.report.text import CONTRADICTED_LABEL, claim_statement, finding_statement
from tellapart.types import Finding, Report
from test_report_builders import make_report, use_thumbnail_fallback

TYPED = "Set A images are brighter than set B images"
# How the measurement scorer words a typed claim the held-out images lean against: in the
# direction they show, with the typed text after it; more_in is the set they lean to.
REWORDED = f'Set B images are brighter than set A images (typed: "{TYPED}")'
STATED = "No evidence that set A images are brighter than set B images; if anything, set B's are"


@pytest.fixture(autouse=True)
def _thumbnails(monkeypatch: pytest.MonkeyPatch) -> None:
    use_thumbnail_fallback(monkeypatch)


@pytest.mark.parametrize(
    ("description", "significant", "contradicted", "more_in", "expected"),
    [
        (TYPED, True, False, "A", TYPED),
        (TYPED, False, False, "A", "No evidence that set A images are brighter than set B images"),
        (REWORDED, False, True, "B", STATED),
        # The default orientation appends the set the images lean to.
        (f"{TYPED} (more true of set B)", False, True, "B", STATED),
        ("Set B images carry a text watermark (more true of set A)", False, True, "A",
         "No evidence that set B images carry a text watermark; if anything, set A's do"),
        ("Set B images have been resized (more true of set A)", False, True, "A",
         "No evidence that set B images have been resized; if anything, set A's have"),
        # A typed text other than the claim stays, next to the claim it was read as.
        ('Set A images are darker than set B images (typed: "set B images are darker")',
         False, True, "A",
         'No evidence that set B images are darker than set A images '
         '(typed: "set B images are darker"); if anything, set A\'s are'),
        ('Set A images are darker than set B images (typed: "darker")', False, False, "A",
         'No evidence that set A images are darker than set B images (typed: "darker")'),
        # A claim naming no set, oriented the way the images lean.
        ("images carry a watermark (more true of set A)", False, False, "A",
         "No evidence of a difference: images carry a watermark (if anything, more true of set A)"),
        # Claims in other words: a safe generic form.
        ("More noise in set A", False, False, "A", "Not supported: More noise in set A"),
        ("More noise in set A", False, True, "B",
         "Not supported: More noise in set A (the held-out images lean the other way)"),
    ],
)
def test_claim_statement(
    description: str, significant: bool, contradicted: bool, more_in: str, expected: str
) -> None:
    got = claim_statement(
        description, significant=significant, contradicted=contradicted, more_in=more_in
    )
    assert got == expected


def _contradicted_report(tmp_path: Path) -> Report:
    """make_report's three findings, plus a typed claim the held-out images lean against."""
    report = make_report(tmp_path)
    typed = Finding(**{**report.findings[-1].__dict__})
    typed.rank = 4
    typed.description = REWORDED
    typed.concept = "brightness_mean:lower"
    typed.more_in = "B"
    typed.user = True
    typed.contradicted = True
    typed.significant = False
    typed.q_value = 0.93
    report.findings.append(typed)
    return report


def _terminal(report: Report) -> str:
    console = Console(record=True, width=240, force_terminal=False, color_system=None)
    print_table(report, console=console)
    return console.export_text()


def test_contradicted_typed_claim_in_the_terminal(tmp_path: Path) -> None:
    out = _terminal(_contradicted_report(tmp_path))
    assert f"{STATED} (yours; {CONTRADICTED_LABEL})" in out
    assert "Set B images are brighter than set A images" not in out  # no bare assertion
    assert "more true of" not in out


def test_contradicted_typed_claim_in_the_html(tmp_path: Path) -> None:
    html = render_html(_contradicted_report(tmp_path))
    page = _Page()
    page.feed(html)
    card = page.cards["finding-4"]
    assert card["heading"] == STATED
    assert CONTRADICTED_LABEL in card["badges"] and "your hypothesis" in card["badges"]
    assert "Set B images are brighter than set A images" not in html
    # Only the contradicted finding carries the label.
    assert all(CONTRADICTED_LABEL not in c["badges"] for k, c in page.cards.items() if k != "finding-4")


def test_a_not_significant_claim_is_never_a_bare_assertion(tmp_path: Path) -> None:
    report = _contradicted_report(tmp_path)
    nonsig = report.findings[2]
    assert not nonsig.significant and nonsig.description == "Set A images are blurrier than set B images"
    nonsig.related = [{"description": "Set A images have softer edges than set B images",
                       "concept": "edges:lower", "auroc": 0.53, "q_value": 0.6,
                       "significant": False}]
    out = _terminal(report)
    page = _Page()
    page.feed(render_html(report))
    expected = "No evidence that set A images are blurrier than set B images"
    assert expected in out and page.cards["finding-3"]["heading"] == expected
    assert nonsig.description not in out and nonsig.description not in page.text
    assert "No evidence that set A images have softer edges than set B images" in page.text
    assert "Set A images have softer edges" not in page.text


def test_significant_findings_are_stated_as_they_are(tmp_path: Path) -> None:
    report = _contradicted_report(tmp_path)
    out = _terminal(report)
    page = _Page()
    page.feed(render_html(report))
    for f in report.significant:
        assert finding_statement(f) == f.description
        assert f.description in out
        assert page.cards[f"finding-{f.rank}"]["heading"] == f.description
        assert "No evidence" not in page.cards[f"finding-{f.rank}"]["heading"]


def test_json_adds_the_statement_and_keeps_the_description(tmp_path: Path) -> None:
    report = _contradicted_report(tmp_path)
    data = json.loads(write_json(report, tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [f["description"] for f in data["findings"]] == [f.description for f in report.findings]
    assert [f["statement"] for f in data["findings"]] == [finding_statement(f) for f in report.findings]
    assert data["findings"][3]["statement"] == STATED and data["findings"][3]["contradicted"]
    assert list(data["findings"][0])[:3] == ["rank", "description", "statement"]
    # Apart from the statements, the file is Report.to_json as before.
    plain = report_json(report)
    for f in plain["findings"]:
        del f["statement"]
    assert plain == to_strict_json(report.to_json())


def test_thumbnails_link_to_the_full_image(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    odd = tmp_path / 'odd "dir" & #1' / "<b>caption 10px?.png"
    odd.parent.mkdir()
    shutil.copy(report.findings[0].examples["A"][0], odd)
    report.findings[0].examples["A"].append(str(odd))
    html = render_html(report)
    assert "<b>caption" not in html
    page = _Page()
    page.feed(html)
    assert page.thumb_links, "thumbnails are links"
    paths = [p for f in report.findings for ps in [*f.examples.values(), *f.counter_examples.values()]
             for p in ps]
    assert len(page.thumb_links) == len(paths)
    for href, _title, has_img in page.thumb_links:
        assert has_img and href.startswith("file:///")
    links = {href: title for href, title, _ in page.thumb_links}
    assert links[odd.as_uri()] == odd.name  # the parser un-escapes: the real name round-trips
    assert "%23" in odd.as_uri() and "%22" in odd.as_uri()  # '#' and '"' are percent-encoded
    for p in paths:
        assert links[Path(p).as_uri()] == Path(p).name


class _Page(HTMLParser):
    """Each finding card's heading and badges, the thumbnail links, and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, dict[str, str]] = {}
        self.thumb_links: list[tuple[str, str, bool]] = []
        self.text = ""
        self._card: str | None = None
        self._field: str | None = None
        self._link: list[object] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        cls = a.get("class") or ""
        if tag == "article" and (a.get("id") or "").startswith("finding-"):
            self._card = a["id"]
            self.cards[self._card] = {"heading": "", "badges": ""}
        elif tag == "h3" and "desc" in cls.split():
            self._field = "heading"
        elif tag == "div" and cls == "badges":
            self._field = "badges"
        elif tag == "a" and "full" in cls.split():
            self._link = [a.get("href") or "", a.get("title") or "", False]
        elif tag == "img" and self._link is not None:
            self._link[2] = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h3", "div") and self._field:
            self._field = None
        elif tag == "article":
            self._card = None
        elif tag == "a" and self._link is not None:
            href, title, has_img = self._link
            self.thumb_links.append((str(href), str(title), bool(has_img)))
            self._link = None

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._card and self._field:
            self.cards[self._card][self._field] += data.strip() if self._field == "heading" else data


def _gray_set(folder: Path, n: int, mean: float, seed: int) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        arr = np.clip(rng.normal(mean, 20, size=(40, 48, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(arr).save(folder / f"img_{i:02d}.png")


def test_compare_states_a_contradicted_typed_claim(tmp_path: Path) -> None:
    """End to end: set A is darker, the user claims it is brighter."""
    from tellapart import compare

    _gray_set(tmp_path / "a", 16, 80.0, 1)
    _gray_set(tmp_path / "b", 16, 170.0, 2)
    report = compare(tmp_path / "a", tmp_path / "b", proposers=["measurements"],
                     hypotheses=[TYPED], cache="", progress=False, jobs=1)
    typed = [f for f in report.findings if f.user]
    assert len(typed) == 1 and typed[0].contradicted and not typed[0].significant
    out = _terminal(report)
    assert STATED in out and CONTRADICTED_LABEL in out
