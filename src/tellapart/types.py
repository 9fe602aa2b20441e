"""Plain typed dataclasses passed between the stages of the pipeline.

loading (:class:`ImageSet` of :class:`ImageRecord`) -> features (:class:`FeatureTable`)
-> proposers (:class:`Hypothesis`) -> verifier (:class:`Finding`) -> report (:class:`Report`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np

SetName = Literal["A", "B"]


def trained_difference_id(concept: str) -> str | None:
    """The difference type of a ``"diff:<type_id>[:<set>]"`` concept, else None.

    Such a claim is tested by the describer's detector of a difference it was trained on
    ("diff:noise:A"); every other concept is a measurement or a free wording.
    """
    if not concept.startswith("diff:"):
        return None
    return concept.split(":")[1] or None


def other_set(name: str) -> str:
    """The other set's name: "A" -> "B", "B" -> "A"."""
    return "B" if name == "A" else "A"


_SET_NAME_RE = re.compile(r"\b([Ss]et) ([AB])\b")


def swap_sets(text: str) -> str:
    """``text`` about the other set: "set A" and "set B" swapped (the capital of "Set" kept).

    "Set A images are darker than set B images" -> "Set B images are darker than set A
    images". Only "set A"/"set B" with one space are names of sets; a bare "A" is not
    (it is usually the article).
    """
    return _SET_NAME_RE.sub(lambda m: f"{m.group(1)} {other_set(m.group(2))}", text)


@dataclass(frozen=True)
class ImageRecord:
    """One usable image: where it is and what its file says about itself.

    Pixels are not kept here: memory grows with the number of images, not their size.
    """

    path: str
    set_name: str  # "A" or "B"
    content_hash: str  # sha256 of the file bytes (hex)
    file_size: int  # bytes
    width: int
    height: int
    format: str  # PIL format name: "JPEG", "PNG", ...
    mode: str  # PIL mode of the file before conversion: "RGB", "L", "I;16", "P", "CMYK", ...
    bit_depth: int  # bits per channel in the file (8 or 16; 1 for bilevel)
    n_frames: int = 1
    # Whitelisted technical header attributes of a DICOM or NIfTI file, as (name, text value)
    # pairs in a fixed order ("ViewPosition", "AP"); empty for other formats. Never a patient,
    # study or person attribute (see tellapart.io.dicom.HEADER_WHITELIST).
    header: tuple[tuple[str, str], ...] = ()

    @property
    def header_dict(self) -> dict[str, str]:
        """``header`` as a dict."""
        return dict(self.header)


@dataclass(frozen=True)
class SkippedFile:
    """A file that was found but not used, and why."""

    path: str
    set_name: str
    reason: str


@dataclass
class ImageSet:
    """The usable images of one side of a comparison, plus the files that were skipped."""

    name: str  # "A" or "B"
    source: str  # what the user gave: folder, glob, list file, "manifest.csv[group=x]"
    images: list[ImageRecord] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)


@dataclass
class DecodedImage:
    """An image decoded for measurement.

    Attributes
    ----------
    record : ImageRecord
        The file it came from.
    rgb : np.ndarray
        (H, W, 3) float32 in [0, 1]. 16-bit files keep their precision. Very large
        images are reduced (box filter) so the longest side is at most
        ``tellapart.io.MAX_WORKING_SIDE``; ``scale`` says by how much.
    alpha : np.ndarray or None
        (H, W) float32 in [0, 1] when the file had transparency (already composited
        over white into ``rgb``), else None.
    scale : float
        working size / file size (1.0 when not reduced).
    """

    record: ImageRecord
    rgb: np.ndarray
    alpha: np.ndarray | None = None
    scale: float = 1.0

    @cached_property
    def gray(self) -> np.ndarray:
        """(H, W) float32 luma (Rec. 601) in [0, 1], computed once and shared by measurements."""
        r, g, b = self.rgb[..., 0], self.rgb[..., 1], self.rgb[..., 2]
        return (0.299 * r + 0.587 * g + 0.114 * b).astype(np.float32)


@dataclass
class FeatureTable:
    """Per-image measurement values for every usable image of both sets.

    Attributes
    ----------
    records : list of ImageRecord
        Row order; set A rows first, then set B.
    names : list of str
        Column order (measurement names).
    values : np.ndarray
        (N, M) float64; NaN where a measurement is undefined for an image.
    """

    records: list[ImageRecord]
    names: list[str]
    values: np.ndarray

    @property
    def is_a(self) -> np.ndarray:
        """(N,) bool, True for rows of set A."""
        return np.array([r.set_name == "A" for r in self.records], dtype=bool)

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.names.index(name)]


@dataclass
class Hypothesis:
    """A claim in words about how set A and set B differ, and how to score it per image.

    Attributes
    ----------
    description : str
        Full sentence naming the set: "Set A images are darker than set B images".
    concept : str
        Short stable key of what is claimed, shared by equivalent hypotheses
        ("brightness_mean:lower"); findings with one concept are one test.
    more_in : str or None
        "A" or "B": the set where the claim is predicted to be more true; None when
        the claim names no direction (user text such as "images are darker").
    proposer : str
        Name of the proposer (or "user").
    scorer : str or None
        Name of the scorer that can score it per image; None if none can.
    params : dict
        Scorer-specific parameters, e.g. {"measurement": "brightness_mean", "sign": -1}.
    proposal_score : float
        The proposer's own ranking score on the proposal part (higher = more promising).
    """

    description: str
    concept: str
    more_in: str | None
    proposer: str
    scorer: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    proposal_score: float = 0.0
    user: bool = False


CounterfactualStatus = Literal["confirmed", "refuted", "not_checked"]


@dataclass
class Counterfactual:
    """Whether making the named difference moves the other set toward the named one.

    Attributes
    ----------
    status : {"confirmed", "refuted", "not_checked"}
        "confirmed": the other set's held-out images, edited with the claimed difference,
        move toward the named set; "refuted": they do not (the words are withdrawn);
        "not_checked": the claim names no difference tellapart can make, or it was not
        significant.
    shift_toward : float or None
        How far the edited images moved toward the named set, as a share of the distance
        between the sets (1 = as far as the named set; 0 = not at all; negative = away);
        None when not checked.
    detail : str
        One sentence saying what was done or why not.
    """

    status: CounterfactualStatus = "not_checked"
    shift_toward: float | None = None
    detail: str = ""


@dataclass
class Finding:
    """A hypothesis after held-out verification. Field names follow the JSON contract."""

    rank: int
    description: str
    concept: str
    more_in: str
    auroc: float  # >= 0.5, oriented toward more_in
    auroc_ci: tuple[float, float]
    p_value: float
    q_value: float
    significant: bool
    effect_size: float  # Cliff's delta oriented toward more_in, in [0, 1]
    proposer: str
    scorer: str
    related: list[dict[str, Any]] = field(default_factory=list)
    examples: dict[str, list[str]] = field(default_factory=lambda: {"A": [], "B": []})
    # Not in the JSON findings contract as such; kept for the report's plots and examples.
    n_test: dict[str, int] = field(default_factory=lambda: {"A": 0, "B": 0})
    scores: dict[str, list[float]] = field(default_factory=lambda: {"A": [], "B": []})
    counter_examples: dict[str, list[str]] = field(default_factory=lambda: {"A": [], "B": []})
    user: bool = False
    # True when the held-out images lean the other way from the claim as proposed or typed:
    # the finding is then stated in the direction they show, and is never significant.
    contradicted: bool = False
    # Why the verifier ranked this significant finding after others it separates the sets
    # better than (its detector is off its floor on the other set); empty when it did not.
    caveat: str = ""
    # Share of the sets' overall separability this finding's score accounts for on its own
    # (see tellapart.verify.overall); None when not computed (not significant, or no overall test).
    explained_share: float | None = None
    counterfactual: Counterfactual = field(default_factory=Counterfactual)
    # Significant, but its held-out AUROC is below the user's --min-effect: real and small.
    negligible: bool = False
    # "pixels" (measured on the images) or "header" (read from DICOM/NIfTI header attributes).
    source: str = "pixels"
    # For a pixel finding whose per-image scores follow a significant header difference within
    # each set: the sentence saying so ("this follows the view position (ViewPosition AP):
    # likely an acquisition difference"); empty otherwise.
    acquisition_note: str = ""

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["auroc_ci"] = list(self.auroc_ci)
        del d["scores"]  # raw score lists belong to the plots, not the contract
        for key, default in (("caveat", ""), ("source", "pixels"), ("acquisition_note", "")):
            if d[key] == default:
                del d[key]  # optional keys: present only when they say something
        return d


@dataclass
class Overall:
    """The global answer: do the sets differ at all, and how much of it the findings describe.

    A cross-fitted classifier on every per-image feature tellapart computed (measurements,
    and the describer's embeddings and type detectors when the describer ran) is trained on
    one fold and scores the other (and the reverse); its held-out AUROC is tested against
    the permutation null of the same procedure. See :mod:`tellapart.verify.overall`.

    Attributes
    ----------
    auroc : float
        Held-out AUROC of the classifier (set A scored higher), both folds pooled.
    auroc_ci : tuple of float
        95 % confidence interval of ``auroc``.
    p_value : float
        Permutation p-value of ``auroc`` (labels permuted within folds, classifiers refitted).
    differ : bool
        ``p_value <= alpha``.
    detectable_auroc_at_80_power : float
        The held-out AUROC this test detects 80 % of the time at these set sizes.
    explained_share : float or None
        Share of the separability (AUROC - 0.5) that the significant findings' scores
        together reach with the same classifier; None without significant findings.
    features : list of str
        The feature blocks used ("measurements", "describer embedding", ...).
    n_features : int
    unexplained_auroc, unexplained_p_value : float or None
        The same classifier's held-out AUROC and permutation p-value on what the findings
        leave (their scores regressed out of the features); the overall test's own values
        when no finding is regressed out. None in reports written before they existed.
    unexplained_differ : bool or None
        ``unexplained_p_value <= alpha``: what the findings leave still separates the sets.
    look_here : dict
        "A"/"B" -> paths of the held-out images most confidently placed in their own set
        that the findings do not account for; none when what the findings leave does not
        separate the sets (``unexplained_p_value`` above alpha).
    """

    auroc: float
    auroc_ci: tuple[float, float]
    p_value: float
    differ: bool
    detectable_auroc_at_80_power: float
    explained_share: float | None
    features: list[str] = field(default_factory=list)
    n_features: int = 0
    unexplained_auroc: float | None = None
    unexplained_p_value: float | None = None
    unexplained_differ: bool | None = None
    look_here: dict[str, list[str]] = field(default_factory=lambda: {"A": [], "B": []})

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["auroc_ci"] = list(self.auroc_ci)
        return d


@dataclass
class ImageScores:
    """Per-image scores of a comparison, one row per usable image (for ``--export-scores``).

    Attributes
    ----------
    paths : list of str
    sets : list of str
        "A" or "B", row by row.
    folds : list of int
        The verification fold of each row.
    columns : dict
        Column name -> (N,) float64 scores, NaN where missing. "overall" is the global
        classifier's held-out score (higher = more like set A); "unexplained" the same
        classifier's once the significant findings' scores are regressed out; each top-level
        finding adds a column named by its rank and concept ("finding_1:diff:noise:A"): its
        per-image score as tested (higher = the image shows the claim more).
    """

    paths: list[str]
    sets: list[str]
    folds: list[int]
    columns: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class SetSummary:
    source: str
    n_images: int
    n_skipped: int


@dataclass
class Report:
    """Everything a comparison produced; ``to_json()`` is the JSON contract."""

    tellapart_version: str
    set_a: SetSummary
    set_b: SetSummary
    settings: dict[str, Any]
    findings: list[Finding]
    skipped: list[SkippedFile]
    warnings: list[str]
    timing_s: dict[str, float]
    untestable_hypotheses: list[str] = field(default_factory=list)
    overall: Overall | None = None
    # Not in the JSON: the per-image table behind --export-scores.
    image_scores: ImageScores | None = None

    @property
    def significant(self) -> list[Finding]:
        return [f for f in self.findings if f.significant]

    def to_json(self) -> dict[str, Any]:
        return {
            "tellapart_version": self.tellapart_version,
            "set_a": asdict(self.set_a),
            "set_b": asdict(self.set_b),
            "settings": self.settings,
            # the global answer comes first; None when no overall test ran (typed claims only)
            "overall": None if self.overall is None else self.overall.to_json(),
            "findings": [f.to_json() for f in self.findings],
            "skipped": [{"path": s.path, "set": s.set_name, "reason": s.reason} for s in self.skipped],
            "warnings": list(self.warnings),
            "untestable_hypotheses": list(self.untestable_hypotheses),
            "timing_s": {k: round(v, 4) for k, v in self.timing_s.items()},
        }
