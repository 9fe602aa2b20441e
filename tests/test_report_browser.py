"""The HTML report in a real browser: headless Chromium, no console errors, no requests.

Needs the ``playwright`` Python package and the system Chromium (/usr/bin/chromium,
Debian package ``chromium``); playwright's own browser download is not used. Locally the
test is skipped when either is missing; under CI (CI=true) it fails instead, so CI
cannot pass without running it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tellapart.report import write_html
from test_report_builders import (
    XSS_HYPOTHESIS,
    make_overall_report,
    make_report,
    use_thumbnail_fallback,
)

pytestmark = pytest.mark.browser

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium_path() -> str | None:
    for path in CHROMIUM_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium")


def _need(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the browser test, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    _need(sync_playwright is not None, "the playwright Python package is not installed")
    chromium = _chromium_path()
    _need(chromium is not None, "Chromium is not installed (apt-get install chromium)")
    assert sync_playwright is not None and chromium is not None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _open(browser, html_path: Path, width: int = 1200):
    """Load the page; return it with the console errors, page errors and requests it made."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    problems: list[str] = []
    requests: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url[:100]}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(html_path.as_uri(), wait_until="load")
    return page, problems, requests


def test_report_renders_without_errors(browser, tmp_path: Path, monkeypatch) -> None:
    use_thumbnail_fallback(monkeypatch)
    report = make_report(tmp_path, n_significant=2, n_other=2)
    report.findings[0].examples["A"].append(str(tmp_path / "deleted.png"))  # placeholder path
    report.findings[2].description = XSS_HYPOTHESIS  # must show as text, never run
    out = write_html(report, tmp_path / "report.html")

    page, problems, requests = _open(browser, out)
    try:
        assert problems == []
        # Only the page itself: thumbnails and plots are data URIs, nothing is fetched.
        fetched = [u for u in requests if not u.startswith("data:")]
        assert fetched == [out.as_uri()]
        text = page.inner_text("body")
        for f in report.findings[:2]:
            assert f.description in text
        assert "2 significant differences found" in text
        assert "Image not available" in text
        # Not-significant findings are collapsed: present but hidden until opened.
        assert not page.is_visible("#finding-3")
        page.click("details.nonsig-section > summary")
        assert page.is_visible("#finding-3")
        assert XSS_HYPOTHESIS in page.inner_text("#finding-3")
        assert page.evaluate("document.querySelectorAll('script').length") == 0
        # Every embedded image decoded (naturalWidth 0 means a broken image).
        broken = page.evaluate(
            "Array.from(document.images).filter(i => i.complete && i.naturalWidth === 0).length"
        )
        assert broken == 0
        assert page.evaluate("document.images.length") > 10
        # Nothing overflows the viewport horizontally at a phone-like width either.
        page.set_viewport_size({"width": 400, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        shot = Path(os.environ.get("TELLAPART_SCREENSHOT_DIR", tmp_path)) / "report.png"
        page.set_viewport_size({"width": 1200, "height": 900})
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
    finally:
        page.close()


def test_empty_report_renders_without_errors(browser, tmp_path: Path, monkeypatch) -> None:
    use_thumbnail_fallback(monkeypatch)
    report = make_report(tmp_path, n_significant=0, n_other=0)
    out = write_html(report, tmp_path / "empty.html")
    page, problems, _ = _open(browser, out)
    try:
        assert problems == []
        assert "no hypothesis could be tested" in page.inner_text("body")
    finally:
        page.close()


def _visible_images(page, selector: str) -> int:
    """How many decoded images under ``selector`` are shown with a non-zero size."""
    return page.evaluate(
        """(sel) => Array.from(document.querySelectorAll(sel + ' img')).filter(i => {
            const r = i.getBoundingClientRect();
            return i.complete && i.naturalWidth > 0 && r.width > 0 && r.height > 0;
        }).length""",
        selector,
    )


def test_overall_answer_and_most_typical_images_are_shown(
    browser, tmp_path: Path, monkeypatch
) -> None:
    use_thumbnail_fallback(monkeypatch)
    report = make_overall_report(tmp_path)
    assert report.overall is not None
    out = write_html(report, tmp_path / "overall.html")
    page, problems, requests = _open(browser, out)
    try:
        assert problems == []
        assert [u for u in requests if not u.startswith("data:")] == [out.as_uri()]
        # The global answer is the first thing the page says, and it is on screen.
        assert page.is_visible("#overall .summary")
        assert page.inner_text("#overall .summary").startswith(
            "The sets differ: a classifier tells them apart on held-out images with AUROC 0.93"
        )
        assert "about 70% of what separates the sets" in page.inner_text("#overall .explained")
        body = page.inner_text("body")
        assert body.index("The sets differ") < body.index("Significant differences")
        # "Look here": every image the overall test pointed at is shown.
        n_look = sum(len(v) for v in report.overall.look_here.values())
        assert "findings do not account for" in page.inner_text("#look-here")
        assert _visible_images(page, "#look-here") == n_look
        # Each significant finding shows its most typical images (by its score), decoded.
        for f in report.significant:
            card = f"#finding-{f.rank}"
            title = page.locator(f"{card} .examples-title")
            assert title.is_visible() and "Most typical images" in title.inner_text()
            assert _visible_images(page, f"{card} .examples") == sum(
                len(v) for v in f.examples.values()
            )
            assert "most typical" in page.inner_text(f"{card} .examples")
        assert page.is_visible("#finding-1 .badge-confirmed")
        assert page.get_attribute("#finding-2 .badge-refuted", "title") == (
            report.findings[1].counterfactual.detail
        )
        page.set_viewport_size({"width": 400, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
    finally:
        page.close()
