"""The HTML report: one self-contained page (inline CSS, images as data URIs, no script).

Everything the page shows that came from outside (file names, sources, hypotheses,
warnings, skip reasons) goes through Jinja2 with autoescaping on, and the page carries a
Content-Security-Policy that forbids scripts and any network fetch, so even a bug in
escaping could not run code or leak a request.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from PIL.Image import DecompressionBombError

from ..io.errors import BadImageError
from ..types import Finding, Overall, Report
from .json_io import write_text_atomic
from .plots import PLOT_HEIGHT_PX, PLOT_WIDTH_PX, SET_COLORS, ScorePlotter
from .text import (
    CONTRADICTED_LABEL,
    COUNTERFACTUAL_LABELS,
    HEADER_DETAIL,
    HEADER_LABEL,
    claim_statement,
    explained_statement,
    finding_statement,
    fmt_auroc,
    fmt_num,
    fmt_overall_auroc,
    fmt_p,
    fmt_setting,
    fmt_share,
    overall_statement,
    report_alpha,
    summary_sentence,
    timing_summary,
    trained_difference_of,
)

THUMB_MAX_SIDE = 160
_JPEG_QUALITY = 82
# Settings shown in the header; the rest (jobs, cache, progress, ...) do not change results.
_HEADER_SETTINGS = (
    "alpha",
    "seed",
    "proposers",
    "shortlist",
    "group_threshold",
    "n_examples",
    "min_images",
    "group_a",
    "group_b",
)


@dataclass
class Thumb:
    """One image on the page: a data URI when it could be read, else the reason it could not."""

    path: str
    name: str
    uri: str | None = None
    error: str | None = None
    href: str | None = None  # the original file, for the full-size image


@dataclass
class ThumbGroup:
    title: str
    set_name: str
    thumbs: list[Thumb]


@dataclass
class RelatedView:
    description: str
    stats: str


@dataclass
class CheckView:
    """The counterfactual check's badge: its status, label and one-sentence detail."""

    status: str
    label: str
    detail: str


@dataclass
class OverallView:
    """The page's opening: the global answer, how much the findings describe, where to look."""

    statement: str
    explained: str | None
    differ: bool
    stats: str
    look_here: list[ThumbGroup]


@dataclass
class FindingView:
    rank: int
    description: str  # as the report states it (finding_statement), not always the claim as tested
    concept: str
    more_in: str
    significant: bool
    user: bool
    contradicted: bool
    negligible: bool
    check: CheckView | None
    stats: list[tuple[str, str]]
    plot_uri: str | None
    plot_alt: str
    plot_counts: dict[str, int]
    examples: list[ThumbGroup]
    counter_examples: list[ThumbGroup]
    related: list[RelatedView] = field(default_factory=list)
    header: bool = False  # read from DICOM/NIfTI header attributes, not measured on pixels


def _thumbnail_jpeg(path: str) -> bytes:
    """JPEG bytes of a small version of the image at ``path`` (via tellapart.io.load_thumbnail)."""
    from PIL import Image

    from .. import io as tio  # looked up at call time so tests and io can evolve separately

    img = tio.load_thumbnail(path, max_side=THUMB_MAX_SIDE)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        # JPEG has no alpha: show transparent parts over white, as the measurements do.
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    if img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    return buf.getvalue()


def file_link(path: str) -> str | None:
    """A file:// URL for the image at ``path`` (made absolute), or None when it cannot be one.

    Parameters
    ----------
    path : str
        The image's path as the report records it.

    Returns
    -------
    str or None
        E.g. ``file:///data/set%20a/img%231.png``; special characters are percent-encoded.
    """
    try:
        return Path(path).absolute().as_uri()
    except (ValueError, OSError):
        return None


class _ThumbCache:
    """Thumbnails by path, so an image shown in several findings is decoded once."""

    def __init__(self) -> None:
        self._by_path: dict[str, Thumb] = {}

    def get(self, path: str) -> Thumb:
        if path not in self._by_path:
            name = Path(path).name or path
            href = file_link(path)
            try:
                uri = "data:image/jpeg;base64," + base64.b64encode(_thumbnail_jpeg(path)).decode(
                    "ascii"
                )
                self._by_path[path] = Thumb(path=path, name=name, uri=uri, href=href)
            # One image that cannot be read (gone, truncated, unsupported) must not sink the
            # whole report; the page shows the reason in place of the picture.
            except (BadImageError, OSError, ValueError, DecompressionBombError) as exc:
                reason = str(exc) or type(exc).__name__
                if isinstance(exc, FileNotFoundError):
                    reason = "file not found"
                self._by_path[path] = Thumb(path=path, name=name, error=reason, href=href)
        return self._by_path[path]


def _other(name: str) -> str:
    return "B" if name == "A" else "A"


def _example_groups(finding: Finding, cache: _ThumbCache, counter: bool) -> list[ThumbGroup]:
    paths = finding.counter_examples if counter else finding.examples
    more = finding.more_in if finding.more_in in ("A", "B") else "A"
    groups = []
    for set_name in (more, _other(more)):
        # The verifier picks them by the finding's per-image score on held-out images
        # (Verifier._describe): examples are the more_in set's highest scores and the other
        # set's lowest (each set's most typical by this score); counter-examples the reverse.
        highest = (set_name == more) != counter
        typical = "least" if counter else "most"
        title = f"Set {set_name}: {typical} typical ({'highest' if highest else 'lowest'} scores)"
        thumbs = [cache.get(p) for p in paths.get(set_name, [])]
        if thumbs:
            groups.append(ThumbGroup(title=title, set_name=set_name, thumbs=thumbs))
    return groups


def _related_view(item: Mapping[str, Any]) -> RelatedView:
    """A related finding: its sentence and the statistics it carries (AUROC, q, correlation)."""
    description = str(item.get("description") or item.get("concept") or "(no description)")
    if item.get("significant") is False:  # a related claim that did not hold up on its own
        more_in = item.get("more_in")
        description = claim_statement(
            description,
            significant=False,
            contradicted=item.get("contradicted") is True,
            more_in=more_in if isinstance(more_in, str) else None,
        )

    def number(*keys: str) -> float | None:
        for key in keys:
            value = item.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
        return None

    parts = []
    auroc = number("auroc")
    if auroc is not None:
        parts.append(f"AUROC {fmt_num(auroc)}")
    q = number("q_value")
    if q is not None:
        parts.append(f"q {fmt_p(q)}")
    elif (p := number("p_value")) is not None:
        parts.append(f"p {fmt_p(p)}")
    r = number("correlation", "spearman_r", "r", "rho")
    if r is not None:
        parts.append(f"r = {fmt_num(r)} with the finding above")
    if item.get("significant") is True:
        parts.append("significant")
    made = number("made_by_edit")
    if item.get("side_effect") is True and made is not None:
        parts.append(f"a side effect: tellapart's edit of the finding above makes {made:.0%} "
                     "of this difference")
    elif item.get("side_effect") is True:
        left = number("residual_auroc")
        parts.append("a side effect: accounted for by the findings above"
                     + (f" (what is left: AUROC {fmt_num(left)})" if left is not None else ""))
    return RelatedView(description=description, stats=" · ".join(parts))


def _n_test_text(finding: Finding) -> str:
    n = finding.n_test or {}
    if not any(n.values()):
        return "n/a"
    return f"{n.get('A', 0)} A · {n.get('B', 0)} B"


def _check_view(finding: Finding) -> CheckView | None:
    """The counterfactual badge; None for a claim that was not checked and says nothing why."""
    cf = finding.counterfactual
    if cf.status == "not_checked" and not (finding.significant and cf.detail):
        return None
    return CheckView(status=cf.status, label=f"counterfactual: {COUNTERFACTUAL_LABELS[cf.status]}",
                     detail=cf.detail)


def _overall_view(report: Report, cache: _ThumbCache) -> OverallView | None:
    """The opening section, or None when the report has no overall test."""
    overall: Overall | None = report.overall
    if overall is None:
        return None
    features = ", ".join(overall.features) if overall.features else "every per-image feature"
    if overall.n_features > 0:
        features = f"{overall.n_features} features ({features})"
    stats = (f"Global test: a classifier on {features}, "
             f"trained on one fold and scored on the other; held-out AUROC "
             f"{fmt_overall_auroc(overall)}, permutation p = {fmt_p(overall.p_value)}; "
             f"AUROC detectable 80% of the time at these sizes: "
             f"{fmt_num(overall.detectable_auroc_at_80_power)}.")
    if overall.unexplained_auroc is not None and overall.explained_share is not None:
        stats += (f" Refitted with the findings' scores regressed out: held-out AUROC "
                  f"{fmt_num(overall.unexplained_auroc)}, permutation p = "
                  f"{fmt_p(overall.unexplained_p_value)}.")
    groups = []
    for set_name in ("A", "B"):
        thumbs = [cache.get(p) for p in overall.look_here.get(set_name, [])]
        if thumbs:
            groups.append(ThumbGroup(title=f"Set {set_name}", set_name=set_name, thumbs=thumbs))
    return OverallView(
        statement=overall_statement(overall, report.set_a.n_images, report.set_b.n_images,
                                    n_significant=len(report.significant)),
        explained=explained_statement(overall, images_below=True),
        differ=overall.differ,
        stats=stats,
        look_here=groups,
    )


def _finding_view(finding: Finding, cache: _ThumbCache, plotter: ScorePlotter) -> FindingView:
    stats = [
        ("AUROC [95% CI]", fmt_auroc(finding)),
        ("p", fmt_p(finding.p_value)),
        ("q (FDR)", fmt_p(finding.q_value)),
        ("Effect size (Cliff's δ)", fmt_num(finding.effect_size)),
        ("Held-out images", _n_test_text(finding)),
        ("More in", f"Set {finding.more_in}"),
        ("Proposer / scorer", f"{finding.proposer} / {finding.scorer}"),
    ]
    trained = trained_difference_of(finding)
    if trained:
        stats.append(("Tested as", f"the trained difference {trained}"))
    if finding.caveat:
        stats.append(("Ranked lower", finding.caveat))
    if finding.source == "header":
        stats.append(("Source", HEADER_DETAIL))
    if finding.acquisition_note:
        stats.append(("Acquisition", finding.acquisition_note))
    if finding.explained_share is not None:
        stats.append(("Explains", f"{fmt_share(finding.explained_share)} of what separates "
                                  "the sets"))
    check = _check_view(finding)
    if check is not None and check.detail:
        stats.append(("Counterfactual check",
                      f"{COUNTERFACTUAL_LABELS[check.status]}: {check.detail}"))
    statement = finding_statement(finding)
    scores: Mapping[str, Sequence[float]] = finding.scores or {}
    plot_uri = plotter.data_uri(scores, finding.more_in)
    plot_counts = {
        name: sum(1 for v in scores.get(name, []) if math.isfinite(v)) for name in ("A", "B")
    }
    plot_alt = (
        f"Distribution of per-image scores on held-out images, set A and set B, "
        f"for: {statement}"
    )
    return FindingView(
        rank=finding.rank,
        description=statement,
        concept=finding.concept,
        more_in=finding.more_in,
        significant=finding.significant,
        user=finding.user,
        contradicted=finding.contradicted,
        negligible=finding.significant and finding.negligible,
        check=check,
        stats=stats,
        plot_uri=plot_uri,
        plot_alt=plot_alt,
        plot_counts=plot_counts,
        examples=_example_groups(finding, cache, counter=False),
        counter_examples=_example_groups(finding, cache, counter=True),
        related=[_related_view(r) for r in finding.related],
        header=finding.source == "header",
    )


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("tellapart.report", "templates"),
        autoescape=True,  # every {{ }} is HTML-escaped; nothing in the template is |safe
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(report: Report) -> str:
    """The whole report as one self-contained HTML page.

    Thumbnails (via ``tellapart.io.load_thumbnail``) and score plots are embedded as
    base64 data URIs; CSS is inline; there is no script and no external request. An
    example image that can no longer be read is shown as a box giving the reason.

    Parameters
    ----------
    report : Report

    Returns
    -------
    str
        The HTML text.
    """
    cache = _ThumbCache()
    plotter = ScorePlotter()
    views = [_finding_view(f, cache, plotter) for f in report.findings]
    settings_rows = [
        (key, fmt_setting(report.settings[key]))
        for key in _HEADER_SETTINGS
        if key in report.settings
        and not (key.startswith("group_") and report.settings[key] is None)
    ]
    hypotheses = report.settings.get("hypotheses") or []
    alpha = report_alpha(report)
    template = _environment().get_template("report.html")
    # lstrip: the template's macro definitions come before the doctype.
    return template.render(
        report=report,
        overall=_overall_view(report, cache),
        alpha=alpha,
        summary=summary_sentence(report),
        significant=[v for v in views if v.significant],
        not_significant=[v for v in views if not v.significant],
        n_findings=len(views),
        settings_rows=settings_rows,
        all_settings=[
            (str(k), fmt_setting(v))
            for k, v in sorted(report.settings.items())
            if not (k == "hypotheses" and hypotheses)  # listed one per line below the table
        ],
        user_hypotheses=[str(h) for h in hypotheses] if isinstance(hypotheses, list) else [],
        timing=timing_summary(report.timing_s),
        timing_short=timing_summary(report.timing_s, stages=False),
        colors=SET_COLORS,
        plot_w=PLOT_WIDTH_PX,
        plot_h=PLOT_HEIGHT_PX,
        thumb_px=THUMB_MAX_SIDE,
        contradicted_label=CONTRADICTED_LABEL,
        header_label=HEADER_LABEL,
        group_threshold=report.settings.get("group_threshold"),
    ).lstrip()


def write_html(report: Report, path: str | Path) -> Path:
    """Write :func:`render_html`'s page to ``path`` (UTF-8; parent folders are created).

    Returns
    -------
    Path
        The file written.
    """
    return write_text_atomic(path, render_html(report))
