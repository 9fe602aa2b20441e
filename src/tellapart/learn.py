"""Learning concepts from a finished comparison (``tellapart learn REPORT_DIR``).

A significant finding says that a score differs between the sets on held-out images. Learning
it keeps what the finding saw as a concept (:mod:`tellapart.models.concepts`): a detector on
the per-image values tellapart computes (measurements, the describer's embedding and type
detectors), fitted on the images of that comparison that show the finding against the other
set's images, cross-validated, stored in the concept library with the finding's sentence (or
a name given), thumbnails and its training rows; every concept of the library is then refitted
with the images showing the others as further negatives, so that each responds to what it
shows rather than to what all of them share (concepts learned from two different stickers, each
against plain photographs, both learn "a sticker"). Sets that differ when no finding describes the difference can
be learned from the overall classifier instead (``--overall``, with a name). Later comparisons load the library, propose each concept where
its scores differ and prove it on held-out images like any other claim.

Usage::

    result = learn_from_report("tellapart_report", findings=[1], name="have purple stickers")
    for learned in result.learned:
        print(learned.concept.id, learned.concept.calibration["held_out_auroc"])

The report folder must hold ``report.json`` and ``scores.csv`` (``tellapart compare --out``
writes both when the overall test ran); the images must still be where the report says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from . import __version__
from .config import Settings, resolve_settings
from .context import DataContext
from .io import FeatureStore, InputError, load_image
from .io.medical import use_reader_options
from .measure import compute_features
from .measure.features import Source
from .models.concept_library import default_library_dir, refit_library, save_concept
from .models.concepts import (
    THUMBNAIL,
    Concept,
    ConceptData,
    ConceptError,
    fit_concept,
    predicate,
    raw_blocks,
    today,
)
from .pipeline import reader_options
from .report.json_io import report_from_json
from .report.scores import read_scores_csv
from .types import FeatureTable, Finding, ImageScores, Report

REPORT_FILE = "report.json"
SCORES_FILE = "scores.csv"
N_EXAMPLES = 4

POSITIVE_QUANTILE = 0.5
"""An image of the set a finding names shows it when its score for the finding is above this
quantile of the other set's scores for it."""


@dataclass
class LearnedConcept:
    """A concept learned from one finding (rank 0: the overall classifier), and where it was
    written."""

    finding_rank: int
    concept: Concept
    path: Path


@dataclass
class LearnResult:
    """What :func:`learn_from_report` did.

    Attributes
    ----------
    learned : list of LearnedConcept
    not_learned : dict
        Finding rank -> why no concept was learned from it.
    warnings : list of str
        Images of the comparison that could not be read again, and other notes.
    """

    learned: list[LearnedConcept] = field(default_factory=list)
    not_learned: dict[int, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def read_report_folder(report_dir: str | Path) -> tuple[Report, ImageScores]:
    """The report and per-image scores of a ``compare --out`` folder (InputError if missing)."""
    import json

    folder = Path(report_dir)
    report_path, scores_path = folder / REPORT_FILE, folder / SCORES_FILE
    if not report_path.is_file():
        raise InputError(f"{folder} holds no {REPORT_FILE}: give the folder `tellapart compare "
                         f"--out` wrote")
    if not scores_path.is_file():
        raise InputError(f"{folder} holds no {SCORES_FILE}: the comparison kept no per-image "
                         f"scores (run `tellapart compare` without --no-overall)")
    try:
        report = report_from_json(json.loads(report_path.read_text(encoding="utf-8")))
        scores = read_scores_csv(scores_path)
    except (ValueError, OSError) as exc:
        raise InputError(f"{folder}: cannot read the report ({exc})") from None
    return report, scores


def report_settings(report: Report, **overrides: Any) -> Settings:
    """The settings a report was made with (keys this version does not know are dropped)."""
    known = {f.name for f in fields(Settings)}
    values = {k: v for k, v in report.settings.items() if k in known}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return resolve_settings(**values)


def learn_from_report(
    report_dir: str | Path,
    *,
    findings: Sequence[int] | None = None,
    name: str | None = None,
    library: str | Path | None = None,
    overall: bool = False,
    progress: bool = False,
) -> LearnResult:
    """Learn concepts from significant findings of the comparison in ``report_dir``.

    Parameters
    ----------
    report_dir : str or Path
        A ``tellapart compare --out`` folder (``report.json`` and ``scores.csv``).
    findings : list of int, optional
        Ranks of the findings to learn (as the report numbers them); default: every
        significant top-level finding.
    name : str, optional
        The concept's name, a predicate ("have purple star stickers"); only with one finding.
        Default: the finding's sentence without the sets it names.
    library : str or Path, optional
        Library folder; default :func:`tellapart.models.concept_library.default_library_dir`.
    overall : bool
        Learn what the overall classifier saw instead of a finding: set A's images it scored
        above the median of set B's held-out scores against set B's images, for sets that
        differ when no finding describes the difference (needs ``name``; reported as
        finding rank 0).
    progress : bool
        Progress bars while the images are measured and embedded again.

    Raises
    ------
    tellapart.io.InputError
        The folder is not a report, a rank is not a finding of it, or ``name`` is given for
        several findings.
    """
    report, scores = read_report_folder(report_dir)
    targets = _overall_target(report, scores, name) if overall else [
        Target(f.rank, f.description, f.more_in, _column_name(f))
        for f in _chosen_findings(report, scores, findings)]
    if name is not None and len(targets) != 1:
        raise InputError(f"--name names one concept, but {len(targets)} findings were chosen "
                         f"(pick one with --finding N)")
    settings = report_settings(report, progress=progress)
    result = LearnResult()
    ctx, rows = _context(scores, settings, result)
    raw, hashes = _raw_blocks(ctx, rows)
    folder = Path(library) if library is not None else default_library_dir()
    for target in targets:
        column = scores.columns[target.column][rows]
        try:
            concept = _fit(target, column, ctx, raw, hashes, name, Path(report_dir).name)
        except ConceptError as exc:
            result.not_learned[target.rank] = str(exc)
            continue
        result.learned.append(LearnedConcept(target.rank, concept, save_concept(concept, folder)))
    if result.learned:  # the library's concepts are refitted against one another
        by_id = {c.id: c for c in refit_library(folder)}
        for learned in result.learned:
            learned.concept = by_id.get(learned.concept.id, learned.concept)
    return result


@dataclass
class Target:
    """What a concept is learned from: a finding (its rank, sentence, set and score column),
    or the overall classifier (rank 0, column "overall")."""

    rank: int
    description: str
    more_in: str
    column: str


def _overall_target(report: Report, scores: ImageScores, name: str | None) -> list[Target]:
    if name is None:
        raise InputError("learning what the overall classifier saw needs --name: no sentence "
                         "describes it yet")
    if report.overall is None or "overall" not in scores.columns:
        raise InputError("the report has no overall test (it was run with --no-overall)")
    if not report.overall.differ:
        raise InputError(f"the overall test did not find the sets different (p = "
                         f"{report.overall.p_value:.2g}): there is nothing proved to learn")
    return [Target(0, f"Set A images {name}", "A", "overall")]


def _column_name(finding: Finding) -> str:
    return f"finding_{finding.rank}:{finding.concept}"


def _chosen_findings(report: Report, scores: ImageScores,
                     ranks: Sequence[int] | None) -> list[Finding]:
    by_rank = {f.rank: f for f in report.findings if _column_name(f) in scores.columns}
    if ranks is None:
        chosen = [f for f in by_rank.values() if f.significant]
        if not chosen:
            raise InputError("the report has no significant finding to learn")
        return chosen
    missing = [r for r in ranks if r not in by_rank]
    if missing:
        listed = ", ".join(str(r) for r in sorted(by_rank)) or "none"
        raise InputError(f"finding(s) {', '.join(map(str, missing))} are not top-level findings "
                         f"of this report with per-image scores (those are: {listed})")
    not_significant = [r for r in ranks if not by_rank[r].significant]
    if not_significant:
        raise InputError(f"finding(s) {', '.join(map(str, not_significant))} are not significant: "
                         f"only a proved difference is learned")
    return [by_rank[r] for r in ranks]


def _context(scores: ImageScores, settings: Settings,
             result: LearnResult) -> tuple[DataContext, np.ndarray]:
    """The comparison's images measured again (cache hits when unchanged), and for each row
    of the new table its row in ``scores``."""
    sources: list[Source] = []
    for set_name in ("A", "B"):
        paths = [p for p, s in zip(scores.paths, scores.sets, strict=True) if s == set_name]
        sources.append((set_name, set_name, paths, []))
    with use_reader_options(reader_options(settings)), \
            FeatureStore(settings.cache, namespace=reader_options(settings).cache_tag()) as store:
        sets, table, _ = compute_features(sources, settings=settings, progress=settings.progress,
                                          store=store)
    for image_set in sets:
        result.warnings += [f"{s.path}: {s.reason}; not used" for s in image_set.skipped]
    row_of = {(s, p): i for i, (p, s) in enumerate(zip(scores.paths, scores.sets, strict=True))}
    rows = np.array([row_of[(r.set_name, r.path)] for r in table.records], dtype=int)
    return DataContext(table=table, load=load_image, settings=settings), rows


def _raw_blocks(ctx: DataContext, rows: np.ndarray) -> tuple[dict[str, np.ndarray], list[str]]:
    from .models.weights import load_default

    table: FeatureTable = ctx.table
    with use_reader_options(reader_options(ctx.settings)):
        raw = raw_blocks(ctx, np.arange(len(table.records)), load_default())
    return raw, [r.content_hash for r in table.records]


def _fit(target: Target, column: np.ndarray, ctx: DataContext, raw: dict[str, np.ndarray],
         hashes: list[str], name: str | None, report_name: str) -> Concept:
    """The concept of one target: its set's images scoring above :data:`POSITIVE_QUANTILE`
    of the other set's scores, against all of the other set's images."""
    from .models.shipped import describer_dir
    from .models.weights import embedding_sha256, read_meta

    has = np.array([r.set_name == target.more_in for r in ctx.table.records])
    finite = np.isfinite(column)
    other = column[~has & finite]
    if other.size == 0:
        raise ConceptError("the other set has no score for this finding")
    cut = float(np.quantile(other, POSITIVE_QUANTILE))
    positive = np.flatnonzero(has & finite & (column > cut))
    negative = np.flatnonzero(~has & finite)
    data = ConceptData(raw, list(ctx.table.names), positive, negative, hashes)
    examples = positive[np.argsort(-column[positive], kind="stable")][:N_EXAMPLES]
    provenance = {"tellapart_version": __version__, "created": today(),
                  "finding": target.description, "more_in": target.more_in,
                  "report": report_name}
    return fit_concept(data, (name or predicate(target.description)).strip(),
                       describer_sha256=embedding_sha256(read_meta(describer_dir())),
                       provenance=provenance, examples=_thumbnails(ctx, examples))


def _thumbnails(ctx: DataContext, rows: np.ndarray) -> np.ndarray:
    """(len(rows), THUMBNAIL, THUMBNAIL, 3) uint8 thumbnails of ``ctx.table`` rows."""
    out = np.zeros((len(rows), THUMBNAIL, THUMBNAIL, 3), dtype=np.uint8)
    with use_reader_options(reader_options(ctx.settings)):
        for k, row in enumerate(rows):
            rgb = ctx.load(ctx.table.records[int(row)]).rgb
            image = Image.fromarray(np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8))
            out[k] = np.asarray(image.resize((THUMBNAIL, THUMBNAIL), Image.Resampling.BILINEAR))
    return out
