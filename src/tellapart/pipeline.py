"""The main job: two image sets in, verified plain-language differences out.

Usage::

    import tellapart
    report = tellapart.compare("photos/with_watermark", "photos/without", alpha=0.05)
    for f in report.significant:
        print(f.description, f.auroc, f.q_value)

    # the same, with a stage swapped (any Proposer, Scorer or Verifier subclass)
    report = tellapart.Comparer(alpha=0.05, verifier=MyVerifier).compare(a, b)

Stages: loading (:mod:`tellapart.io`) -> per-image features (:mod:`tellapart.measure`)
-> proposers (:mod:`tellapart.propose`) -> held-out verification (:mod:`tellapart.verify`)
-> :class:`~tellapart.types.Report` (written by :mod:`tellapart.report`).
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import __version__
from .config import Settings, resolve_settings
from .context import DataContext, RunNotes
from .engine import Engine, PerImage, create_engine
from .io import FeatureStore, InputError, discover, load_image
from .io.headers import attach_headers
from .io.medical import ReaderOptions, use_reader_options
from .models.text import loading_progress
from .propose import PROPOSERS, ConceptProposer, HeaderProposer, Proposer
from .registry import RegistryError
from .report.text import not_tested_warning
from .types import FeatureTable, ImageSet, Report, SetSummary, SkippedFile
from .verify import SCORERS, Scorer, Verifier, list_scorers
from .verify.header import finish_header_findings


def _source_label(source: str, group: str | None) -> str:
    return f"{source}[group={group}]" if group is not None else source


def reader_options(settings: Settings) -> ReaderOptions:
    """The DICOM/NIfTI reader options of ``settings`` (ValueError for an unknown choice)."""
    return ReaderOptions(dicom_window=settings.dicom_window, dicom_frame=settings.dicom_frame,
                         nifti_view=settings.nifti_view)


def default_scorers(settings: Settings | None = None) -> list[Scorer]:
    """Every registered scorer, built for ``settings``: the measurement scorer first, scorers
    that read any wording (open vocabulary) last.

    The first scorer that can read a typed claim gets it: the measurement scorer is exact
    about what it measures, so it goes first, the scorers of a closed set of claims (the
    file header) next, and broader scorers take the rest.
    """
    settings = settings if settings is not None else Settings()
    names = sorted(list_scorers(),
                   key=lambda n: (n != "measurement", SCORERS.get(n).open_vocabulary, n))
    return [SCORERS.get(name).from_settings(settings) for name in names]


VerifierFactory = Callable[[Settings], Verifier]


class UnusableSetError(InputError):
    """A set has fewer usable images than ``min_images``: no comparison was run.

    The message names the skip reasons, grouped, with a few files of each.

    Attributes
    ----------
    report : Report
        No findings; both sets' skipped files with their reasons, the settings, and a
        warning saying why no comparison was run (the CLI still writes it as JSON).
    """

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


class Comparer:
    """Compare two image sets: the estimator-like seam behind :func:`compare`.

    Usage::

        report = Comparer(alpha=0.05).compare("set_a/", "set_b/")
        report = Comparer(settings, proposers=[MeasurementProposer()],
                          verifier=MyVerifier).compare(a, b)

    Parameters
    ----------
    settings : Settings, optional
        Already resolved settings (then ``config`` and ``options`` must be empty).
    config : str or Path, optional
        TOML settings file; explicit ``options`` override it.
    proposers : list of Proposer, or list of str, optional
        Proposer objects, or registered names (the ``proposers`` setting). Default: one of
        each name in ``settings.proposers``. The report's ``settings.proposers`` lists the
        names of the proposers that ran.
    scorers : list of Scorer, optional
        Default: every registered scorer (:func:`default_scorers`).
    verifier : Verifier or callable, optional
        A :class:`~tellapart.verify.Verifier` (built with these settings) or a callable
        that builds one from the settings, e.g. a subclass; default ``Verifier``.
    **options
        Any field of :class:`tellapart.config.Settings`.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        config: str | Path | None = None,
        proposers: Sequence[Proposer] | Sequence[str] | None = None,
        scorers: Sequence[Scorer] | None = None,
        verifier: Verifier | VerifierFactory | None = None,
        **options: Any,
    ) -> None:
        self.proposers: list[Proposer] | None = None
        if proposers is not None and all(isinstance(p, str) for p in proposers):
            options["proposers"] = list(proposers)  # names: the setting of that name
        elif proposers is not None:
            self.proposers = [p for p in proposers if isinstance(p, Proposer)]
            if len(self.proposers) != len(proposers):
                raise TypeError("proposers must be all Proposer objects or all registered names")
        if settings is None:
            settings = resolve_settings(config, **options)
        elif config is not None or options:
            raise ValueError("pass either settings or config/options, not both")
        if self.proposers is not None:
            settings = replace(settings, proposers=[p.name for p in self.proposers])
        self.settings = settings
        self.scorers = list(scorers) if scorers is not None else None
        self.verifier = verifier

    def compare(self, set_a: str | Path, set_b: str | Path | None = None) -> Report:
        """Compare two image sets and return the verified differences.

        Parameters
        ----------
        set_a, set_b : str or Path
            Each a folder (searched recursively), a glob, a text file of paths, or a CSV
            manifest with ``path`` and ``group`` columns. With a manifest, ``set_b`` may be
            omitted and ``settings.group_a``/``group_b`` pick the two sets from the one file.

        Returns
        -------
        Report
            Findings in rank order (significant first), skipped files, warnings, the
            resolved settings and timings.

        Raises
        ------
        tellapart.io.InputError
            A source cannot be read, or a set has fewer usable images than ``min_images``.
        """
        with use_reader_options(reader_options(self.settings)):
            return self._compare(set_a, set_b)

    def _compare(self, set_a: str | Path, set_b: str | Path | None) -> Report:
        settings = self.settings
        timing: dict[str, float] = {}
        t_start = time.perf_counter()
        source_a = str(set_a)
        source_b = str(set_b) if set_b is not None else source_a
        if set_b is None and (settings.group_a is None or settings.group_b is None):
            raise InputError("give two sets, or one CSV manifest with --group-a and --group-b")
        proposers, concept_warnings = self._with_concept_proposer(self._proposers())
        engine = self._engine()
        image_set_a, image_set_b, table, info = self._measure(source_a, source_b, engine, timing)
        proposers = self._with_header_proposer(proposers, table)
        warnings = concept_warnings + [str(w) for w in info.get("warnings", [])]
        warnings += _leakage_warnings(image_set_a, image_set_b)

        t = time.perf_counter()
        if settings.progress:
            # This stage has no bar and can take a minute on large images: say what runs.
            print("Proposing and verifying hypotheses ...", file=sys.stderr, flush=True)
        ctx = DataContext(table=table, load=load_image, settings=settings)
        scorers = self.scorers if self.scorers is not None else default_scorers(settings)
        with loading_progress(settings.progress):  # --quiet: no weight-loading bar either
            result = self._verifier().run(ctx, proposers, scorers)
        notes = _gather_notes([*proposers, *scorers])
        warnings += notes.warnings
        finish_header_findings(result.findings, table.records, result.image_scores)
        timing["propose_verify"] = time.perf_counter() - t
        if "overall_s" in result.info:  # part of propose_verify, shown on its own
            timing["overall"] = float(result.info["overall_s"])
        warnings += [not_tested_warning(text, reason)
                     for text, reason in result.info.get("untestable_reasons", {}).items()]
        timing["total"] = time.perf_counter() - t_start
        for key, value in info.items():
            if key.endswith("_s") and isinstance(value, (int, float)):
                timing[f"features.{key[:-2]}"] = float(value)
        return Report(
            tellapart_version=__version__,
            set_a=_summary(image_set_a),
            set_b=_summary(image_set_b),
            settings=self._settings_out(result.n_tested, [p.name for p in proposers], notes.cost),
            findings=result.findings,
            skipped=image_set_a.skipped + image_set_b.skipped,
            warnings=warnings,
            timing_s=timing,
            untestable_hypotheses=result.untestable,
            overall=result.overall,
            image_scores=result.image_scores,
        )

    def _proposers(self) -> list[Proposer]:
        """The proposers, checked before any image is read: a run that cannot do what was
        asked (unknown name, missing weights) stops at once."""
        if self.proposers is not None:
            proposers = self.proposers
        else:
            try:
                proposers = [PROPOSERS.get(name).from_settings(self.settings)
                             for name in self.settings.proposers]
            except RegistryError as exc:
                raise InputError(str(exc)) from None
        for proposer in proposers:
            reason = proposer.unavailable_reason()
            if reason is not None:
                raise InputError(reason)
        return proposers

    def _with_concept_proposer(self, proposers: list[Proposer]) -> tuple[list[Proposer], list[str]]:
        """``proposers`` plus the concepts proposer when the concept library (the ``library``
        setting) holds concepts this describer can score; and why any concept is not used."""
        from .models.concept_library import usable_concepts

        if self.settings.library == "":
            return [p for p in proposers if not isinstance(p, ConceptProposer)], []
        concepts, warnings = usable_concepts(self.settings.library)
        if concepts and not any(isinstance(p, ConceptProposer) for p in proposers):
            return [*proposers, ConceptProposer(concepts)], warnings
        return proposers, warnings

    def _engine(self) -> Engine:
        """The engine of ``settings.engine``, checked before any image is read (an unknown
        name, or Ray not installed, stops the run at once with one line)."""
        try:
            engine = create_engine(self.settings.engine)
        except RegistryError as exc:
            raise InputError(str(exc)) from None
        reason = engine.unavailable_reason()
        if reason is not None:
            raise InputError(reason)
        return engine

    def _with_header_proposer(self, proposers: list[Proposer],
                              table: FeatureTable) -> list[Proposer]:
        """``proposers`` plus the header proposer when the images carry header attributes
        (DICOM, NIfTI) and ``header_evidence`` is on; without it, no header proposer."""
        if not self.settings.header_evidence:
            return [p for p in proposers if not isinstance(p, HeaderProposer)]
        has_header = any(r.header for r in table.records)
        if has_header and not any(isinstance(p, HeaderProposer) for p in proposers):
            return [*proposers, HeaderProposer()]
        return proposers

    def _verifier(self) -> Verifier:
        if self.verifier is None:
            return Verifier(self.settings)
        if isinstance(self.verifier, Verifier):
            return self.verifier
        return self.verifier(self.settings)

    def _measure(
        self, source_a: str, source_b: str, engine: Engine, timing: dict[str, float]
    ) -> tuple[ImageSet, ImageSet, FeatureTable, dict[str, Any]]:
        """Discover and measure both sets; stop when a set has too few usable images."""
        settings = self.settings
        t = time.perf_counter()
        paths_a, skipped_a = discover(source_a, "A", group=settings.group_a)
        paths_b, skipped_b = discover(source_b, "B", group=settings.group_b)
        timing["discover"] = time.perf_counter() - t
        label_a = _source_label(source_a, settings.group_a)
        label_b = _source_label(source_b, settings.group_b)
        for name, label, paths, skipped in (("A", label_a, paths_a, skipped_a),
                                            ("B", label_b, paths_b, skipped_b)):
            if not paths and not skipped:
                raise InputError(f"set {name} ({label}) is empty: no files found")
        t = time.perf_counter()
        with FeatureStore(settings.cache, namespace=reader_options(settings).cache_tag()) as store:
            per_image = engine.run(
                [("A", label_a, paths_a, skipped_a), ("B", label_b, paths_b, skipped_b)],
                settings=settings,
                store=store,
                describer=_uses_describer(settings),
            )
            info = per_image.info
            sets, table = _with_headers(per_image.sets, per_image.table, store, info)
        _hand_over_embeddings(per_image)
        timing["features"] = time.perf_counter() - t
        set_by_name = {s.name: s for s in sets}
        too_few = [s for s in sets if len(s) < settings.min_images]
        if too_few:
            # one line unless there are skip reasons to list under a set
            sep = "\n" if any(s.skipped for s in too_few) else "; "
            message = sep.join(_too_few_message(s, settings.min_images) for s in too_few)
            report = Report(
                tellapart_version=__version__,
                set_a=_summary(set_by_name["A"]),
                set_b=_summary(set_by_name["B"]),
                settings=self._settings_out(0),
                findings=[],
                skipped=set_by_name["A"].skipped + set_by_name["B"].skipped,
                warnings=[f"no comparison was run: {message}"],
                timing_s=dict(timing),
            )
            raise UnusableSetError(message, report)
        return set_by_name["A"], set_by_name["B"], table, info

    def _settings_out(self, n_tested: int, proposers: list[str] | None = None,
                      cost: dict[str, str] | None = None) -> dict[str, Any]:
        """The resolved settings as written into the report, with the describer's identity,
        the proposers that ran (the header proposer joins when images have headers) and what
        the optional backends cost (``cost``: backend -> "312 requests, 41 s")."""
        settings_out = self.settings.to_dict()
        if proposers is not None:
            settings_out["proposers"] = list(proposers)
        if cost:
            settings_out["cost"] = dict(cost)
        settings_out["n_tested_hypotheses"] = n_tested
        if proposers is not None and ConceptProposer.name in proposers:
            from .models.concept_library import library_dir, usable_concepts

            settings_out["concept_library"] = {
                "folder": str(library_dir(self.settings.library)),
                "concepts": [c.id for c in usable_concepts(self.settings.library)[0]]}
        if "learned" in self.settings.proposers:
            from .models.shipped import describer_dir
            from .models.weights import read_meta

            settings_out["describer"] = {"folder": str(describer_dir()),
                                         "weights_sha256": read_meta(describer_dir())["weights_sha256"]}
        return settings_out


def compare(
    set_a: str | Path,
    set_b: str | Path | None = None,
    *,
    config: str | Path | None = None,
    settings: Settings | None = None,
    **options: Any,
) -> Report:
    """Compare two image sets and return the verified differences (one call).

    ``compare(a, b, **options)`` is ``Comparer(settings, config=config, **options).compare(a, b)``:
    the sets, the returned :class:`~tellapart.types.Report` and the errors raised are those of
    :meth:`Comparer.compare`; ``config``, ``settings`` and ``options`` (any field of
    :class:`tellapart.config.Settings`: alpha, seed, shortlist, hypotheses, proposers, jobs,
    cache, progress, ...) those of :class:`Comparer`.
    """
    return Comparer(settings, config=config, **options).compare(set_a, set_b)


def _gather_notes(plugins: Sequence[Proposer | Scorer]) -> RunNotes:
    """Every proposer's and scorer's warnings and cost lines of this run, in plug-in order."""
    gathered = RunNotes()
    for plugin in plugins:
        notes = plugin.take_notes()
        gathered.warnings += notes.warnings
        gathered.cost.update(notes.cost)
    return gathered

def _uses_describer(settings: Settings) -> bool:
    """True when the default describer will embed every usable image (the learned proposer
    runs and the shipped weights are there)."""
    from .models.shipped import default_available

    return "learned" in settings.proposers and default_available()


def _hand_over_embeddings(per_image: PerImage) -> None:
    """Give the view embeddings an engine computed beside the features to the default
    describer's cache, so the proposers and scorers encode none of these images again."""
    if not per_image.view_embeddings:
        return
    from .models.runtime import add_view_embeddings
    from .models.weights import load_default

    add_view_embeddings(load_default(), per_image.view_embeddings, per_image.quarters)


def _with_headers(
    sets: list[ImageSet], table: FeatureTable, store: FeatureStore, info: dict[str, Any]
) -> tuple[list[ImageSet], FeatureTable]:
    """The sets and table with each DICOM/NIfTI record's header attributes (cached in ``store``);
    headers that cannot be read are named in ``info["warnings"]``."""
    records, warnings = attach_headers(table.records, store)
    info.setdefault("warnings", []).extend(warnings)
    if all(not r.header for r in records):
        return sets, table
    by_key = {(r.set_name, r.path): r for r in records}
    for image_set in sets:
        image_set.images = [by_key.get((r.set_name, r.path), r) for r in image_set.images]
    return sets, replace(table, records=records)


def _summary(image_set: ImageSet) -> SetSummary:
    return SetSummary(image_set.source, len(image_set), len(image_set.skipped))


def _too_few_message(image_set: ImageSet, min_images: int, examples: int = 3) -> str:
    """Why a set cannot be compared: its usable count, then its skip reasons grouped."""
    head = (f"set {image_set.name} ({image_set.source}) has {len(image_set)} usable "
            f"image(s), fewer than --min-images={min_images}")
    if not image_set.skipped:
        return head
    by_reason: dict[str, list[SkippedFile]] = defaultdict(list)
    for skipped in image_set.skipped:
        by_reason[skipped.reason].append(skipped)
    lines = [f"{head}; {len(image_set.skipped)} file(s) skipped:"]
    for reason, files in sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0])):
        names = ", ".join(Path(f.path).name for f in files[:examples])
        more = ", ..." if len(files) > examples else ""
        lines.append(f"  {len(files)} x {reason} (e.g. {names}{more})")
    return "\n".join(lines)


def _leakage_warnings(set_a: ImageSet, set_b: ImageSet, max_listed: int = 5) -> list[str]:
    """Files with identical content in both sets: a likely leak or labelling error."""
    paths_by_hash: dict[str, list[str]] = defaultdict(list)
    for record in set_a.images:
        paths_by_hash[record.content_hash].append(record.path)
    shared = [(h, r.path) for r in set_b.images if (h := r.content_hash) in paths_by_hash]
    if not shared:
        return []
    examples = "; ".join(f"{paths_by_hash[h][0]} = {p}" for h, p in shared[:max_listed])
    more = f" (and {len(shared) - max_listed} more)" if len(shared) > max_listed else ""
    return [
        f"{len(shared)} image(s) of set B have identical content to an image of set A "
        f"(possible leakage or duplicate labelling): {examples}{more}"
    ]
