"""How the describer reads a wording and scores a claim per image.

Usage::

    reading = read_as_trained(model, "show a band of colour along all four sides")
    reading.type_id                                  # "frame": tested by that detector
    scores = claim_scores(model, emb, hypotheses)    # (N, H) per-image scores

A claim the describer was trained on, or a free wording it reads as one of its trained
differences (:func:`read_as_trained`), is scored by that difference's per-image type
detector; any other wording by the image-text head on its per-image phrase. The words of
each trained difference (its phrases, written wordings, opposite and canonical sentence)
come from the weights' metadata (``model.type_words``,
:class:`tellapart.models.vocabulary.TypeWords`), so reading needs neither the generator nor
the trainer. The learned proposer and the learned scorer are thin adapters over this module.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..types import Hypothesis
from .text import parse_claim
from .tokenizer import normalize_sentence

if TYPE_CHECKING:  # torch is imported only when a describer is actually used
    from .describer import Describer


READ_AS_SIMILARITY = 0.8
"""A wording is read as a trained difference when its nearest phrase of that difference
(:func:`reading_phrases`) is at least this similar (cosine, on the scorer's text side)..."""
READ_AS_MARGIN = 0.05
"""...and that difference's nearest phrase beats every other difference's by this much.
Both were chosen on a development set of wordings (each type's held-out scorer phrase,
24 wordings written for tuning and 20 unrelated claims: ``python
benchmarks/describer_reading.py reading``), never on the open-vocabulary benchmark's
paraphrases. With the shipped weights (text stage included) and the types' wordings in the
bank, at 0.8 / 0.05 and with :data:`OPPOSITE_MARGIN`, 44 of 70 development wordings are read
as a type, 42 of them as the right one, and none of the unrelated claims is read."""
OPPOSITE_SIMILARITY = 0.7
"""A wording that is not read as a trained difference but is at least this similar to a
phrase of a type with an ``opposite`` (darker/brighter, warmer/cooler, ...) is taken to be
about that two-way property and refused (:func:`two_way_property`): the image-text head
cannot tell the two directions apart: of 14 fresh wordings of darker, warmer and lower
contrast it scored, 9 ranked held-out sets showing the *opposite* at AUROC 0.62 to 0.96, so a
test would have confirmed them (``python benchmarks/describer_reading.py opposites``)."""
OPPOSITE_MARGIN = 0.1
"""A wording is read as a type with an ``opposite`` only when its nearest phrase of the type
is at least this much more similar than the opposite's nearest phrase: wordings of the two
directions sit close together ("with the exposure dial turned up/down" at 0.9)."""
DIRECTION_CONFIDENCE = 0.9
"""A wording about a two-way property (:data:`OPPOSITE_SIMILARITY`) that the similarity rule
does not read is read as the direction a probe gives it with at least this probability
(:func:`direction_probability`: a logistic regression on the scorer's text side, fitted on
the phrases of the type and of its opposite). In 10-fold cross-validation on those phrases,
with the shipped weights, it named the direction of 84-97 % of the phrases of each of the 6
pairs, and of 275 of the 276 it gave 0.9 or more; it was that sure of 12 of the development
paraphrases of FRESH and FRESH2, all 12 rightly (``python benchmarks/describer_reading.py
direction``)."""
DIRECTION_SIMILARITY = READ_AS_SIMILARITY
"""...and only when the wording is at least this similar (0.8) to a phrase of the pair, as
for any reading: at 0.75 the unrelated claim "contain traffic lights" (UNRELATED2, 0.77 to
"light-toned and bright throughout") was read as brighter, and at 0.7 the gibberish "zxq
blorf wug" (0.71 to "blue-tinged") as cooler. So the probe only settles wordings close to
the pair whose nearest phrase of the opposite is too near for the similarity rule."""
DIRECTION_C = 10.0
"""Inverse L2 strength of the direction probe (scikit-learn's ``C``): at 10 it is sure of
32-76 % of a pair's phrases; at 1.0 (tried first) of almost none (0-3 %)."""


@dataclass(frozen=True)
class TypeReading:
    """A free wording read as one of the describer's trained differences.

    Attributes
    ----------
    type_id : str
        The trained difference.
    similarity : float
        Cosine similarity to its nearest trained phrase ``nearest``.
    margin : float
        How much closer that is than the nearest phrase of any other difference (for a
        reading by direction: of any difference other than the type and its opposite).
    nearest : str
    direction : float or None
        For a two-way wording read by its direction (:data:`DIRECTION_CONFIDENCE`): the
        probe's probability that it means ``type_id`` rather than the opposite; else None.
    location : str or None
        For a wording that places a mark ("in the bottom-right corner", :data:`LOCATIONS`):
        where; the claim is then scored on crops of that place's corners only.
    """

    type_id: str
    similarity: float
    margin: float
    nearest: str
    direction: float | None = None
    location: str | None = None


_PHRASE_BANKS: weakref.WeakKeyDictionary[Any, tuple[list[str], list[str], np.ndarray]] = (
    weakref.WeakKeyDictionary()
)


def trained_phrases(model: Describer) -> list[tuple[str, str]]:
    """(type id, per-image phrase) of every phrase the scorer of ``model`` was trained on."""
    return [(tid, phrase) for tid in model.type_ids if tid in model.type_words
            for phrase in model.type_words[tid].trained_phrases]


def reading_phrases(model: Describer) -> list[tuple[str, str]]:
    """(type id, per-image phrase) pairs a free wording is compared with to read it.

    The trained phrases (:func:`trained_phrases`) plus each type's ``wordings``: more
    phrases that mean the difference, written for reading (the shipped scorer's text adapter
    was also tuned on them by the text stage of training); both from ``model.type_words``. A wording near one of them
    names that type's detector even when it is far from every phrase of full training.
    """
    return [(tid, phrase) for tid in model.type_ids if tid in model.type_words
            for phrase in model.type_words[tid].reading_phrases]


def _phrase_bank(model: Describer) -> tuple[list[str], list[str], np.ndarray]:
    bank = _PHRASE_BANKS.get(model)
    if bank is None:
        pairs = reading_phrases(model)
        owners, phrases = [t for t, _ in pairs], [p for _, p in pairs]
        emb = model.text_embeddings(phrases) if phrases else np.zeros((0, 0), np.float32)
        bank = (owners, phrases, emb)
        _PHRASE_BANKS[model] = bank
    return bank


def read_as_trained(model: Describer, phrase: str) -> TypeReading | None:
    """The trained difference a per-image phrase means, when the describer can tell; else None.

    The phrase ("show a band of colour along all four sides") is compared with every
    phrase of :func:`reading_phrases` (trained phrases and written wordings) on the
    image-text scorer's text side; it is read as difference ``t``
    when ``t``'s nearest phrase is similar enough (:data:`READ_AS_SIMILARITY`) and clearly
    nearer than any other difference's (:data:`READ_AS_MARGIN`). A claim read this way is
    scored by the per-image type detector, the describer's densely trained detector of ``t``, instead of
    the image-text head; the held-out test still decides whether it holds. A type with an
    ``opposite`` is read only when the wording is also :data:`OPPOSITE_MARGIN` nearer to it
    than to the opposite, or, failing that, when a probe of the pair's two directions is sure
    which one it means (:data:`DIRECTION_CONFIDENCE`; ``TypeReading.direction`` is then set).
    """
    placed = _place(model, phrase)
    return None if placed is None else _reading(model, placed)


@dataclass(frozen=True)
class _Placed:
    """A wording placed against the reading bank (:func:`_place`)."""

    text: np.ndarray  # (384,) its embedding on the scorer's text side
    sims: np.ndarray  # (P,) its cosine similarity to every phrase of the bank
    nearest: TypeReading  # its nearest difference, whatever the thresholds
    opposite_similarity: float | None  # nearest phrase of that difference's opposite, if any


def _place(model: Describer, phrase: str) -> _Placed | None:
    """``phrase`` embedded once and compared with every reading phrase; None when there is
    nothing to read it against (empty phrase, no type head, empty bank)."""
    phrase = " ".join(phrase.split())
    if not phrase or model.type_head is None:
        return None
    owners, phrases, emb = _phrase_bank(model)
    if not phrases:
        return None
    text = model.text_embeddings([phrase])[0]
    sims = emb @ text
    nearest, opposite_similarity = nearest_and_opposite(model, owners, phrases, sims)
    return _Placed(text, sims, nearest, opposite_similarity)


def _reading(model: Describer, placed: _Placed) -> TypeReading | None:
    """The whole rule of :func:`read_as_trained`: by similarity, else by direction."""
    return (reading_from(placed.nearest, placed.opposite_similarity)
            or _read_by_direction(model, placed))


def _read_by_direction(model: Describer, placed: _Placed) -> TypeReading | None:
    """The wording read as one side of the two-way property it is about, when the direction
    probe is sure (:data:`DIRECTION_CONFIDENCE`); else None.

    Only for a wording at least :data:`DIRECTION_SIMILARITY` similar to a type with an
    opposite, whose nearest phrase of the pair is :data:`READ_AS_MARGIN` nearer than any
    phrase of a third difference: it is about that property, only its direction is open.
    """
    nearest, sims = placed.nearest, placed.sims
    opposite = opposite_of(model, nearest.type_id)
    if not opposite or opposite not in model.type_ids or nearest.similarity < DIRECTION_SIMILARITY:
        return None
    owners, phrases, _ = _phrase_bank(model)
    pair = (nearest.type_id, opposite)
    of_pair = [i for i, t in enumerate(owners) if t in pair]
    others = [float(sims[i]) for i, t in enumerate(owners) if t not in pair]
    best_in_pair = max(float(sims[i]) for i in of_pair)
    if others and best_in_pair - max(others) < READ_AS_MARGIN:
        return None
    p = _direction_probability(model, placed.text, nearest.type_id)
    if max(p, 1.0 - p) < DIRECTION_CONFIDENCE:
        return None
    chosen = nearest.type_id if p >= 0.5 else opposite
    i = max((i for i in of_pair if owners[i] == chosen), key=lambda i: float(sims[i]))
    return TypeReading(chosen, round(float(sims[i]), 4),
                       round(best_in_pair - max(others, default=-1.0), 4), phrases[i],
                       direction=round(p if chosen == nearest.type_id else 1.0 - p, 4))


_DIRECTION_PROBES: weakref.WeakKeyDictionary[Any, dict[str, tuple[np.ndarray, float]]] = (
    weakref.WeakKeyDictionary()
)


def direction_probability(model: Describer, phrase: str, type_id: str) -> float:
    """P(``phrase`` means ``type_id`` rather than its ``opposite``), from a probe on the text side.

    The probe is an L2 logistic regression (:data:`DIRECTION_C`) on the scorer's text-side
    embeddings (:meth:`Describer.text_embeddings`) of the :func:`reading_phrases` of the
    type and of its opposite, fitted once per model and pair; deterministic.
    """
    return _direction_probability(model, model.text_embeddings([" ".join(phrase.split())])[0], type_id)


def _direction_probability(model: Describer, text: np.ndarray, type_id: str) -> float:
    """:func:`direction_probability` of a wording already embedded on the text side (``text``)."""
    opposite = opposite_of(model, type_id)
    if not opposite:
        raise ValueError(f"{type_id!r} has no opposite")
    first = min(type_id, opposite)  # one probe per pair: P(type) = 1 - P(opposite) exactly
    probes = _DIRECTION_PROBES.setdefault(model, {})
    if first not in probes:
        from sklearn.linear_model import LogisticRegression

        owners, _, emb = _phrase_bank(model)
        rows = [i for i, t in enumerate(owners) if t in (type_id, opposite)]
        labels = np.array([owners[i] == first for i in rows], dtype=int)
        if labels.min() == labels.max():
            raise ValueError(f"no phrases of both {type_id!r} and {opposite!r} to fit a direction on")
        fit = LogisticRegression(C=DIRECTION_C, max_iter=5000).fit(emb[rows], labels)
        probes[first] = (fit.coef_[0].astype(np.float64), float(fit.intercept_[0]))
    w, b = probes[first]
    z = float(np.asarray(text, dtype=np.float64) @ w + b)
    p_first = float(1.0 / (1.0 + np.exp(-z)))
    return p_first if type_id == first else 1.0 - p_first


def reading_from(nearest: TypeReading, opposite_similarity: float | None) -> TypeReading | None:
    """The rule of :func:`read_as_trained` applied to a wording's nearest difference and the
    similarity of that difference's opposite (None when it has none)."""
    if nearest.similarity < READ_AS_SIMILARITY or nearest.margin < READ_AS_MARGIN:
        return None
    if (opposite_similarity is not None
            and nearest.similarity - opposite_similarity < OPPOSITE_MARGIN):
        return None  # "a softer tonal range" sits as near to higher contrast as to lower
    return replace(nearest, similarity=round(nearest.similarity, 4), margin=round(nearest.margin, 4))


def two_way_property(model: Describer, phrase: str) -> tuple[str, str] | None:
    """(type, opposite) when ``phrase`` is about a property that changes two ways and is not
    read as a trained difference; else None.

    Such a wording is at least :data:`OPPOSITE_SIMILARITY` similar to a phrase of its nearest
    trained difference, and that difference has an ``opposite``. The image-text head scores a
    wording like it for the property in either direction (held-out sets that were *cooler*
    scored AUROC 0.76 for "lit by a golden sunset glow"), so a held-out test could confirm
    the opposite of what it says: the learned scorer refuses it, and the learned proposer
    does not propose it.
    """
    placed = _place(model, phrase)
    if placed is None:
        return None
    nearest = placed.nearest
    if placed.opposite_similarity is None or nearest.similarity < OPPOSITE_SIMILARITY:
        return None
    if _reading(model, placed) is not None:
        return None  # read as the trained difference: its type detector knows the direction
    return nearest.type_id, opposite_of(model, nearest.type_id)


def opposite_of(model: Describer, type_id: str) -> str:
    """The trained difference that is ``type_id``'s property changed the other way, or ""."""
    words = model.type_words.get(type_id)
    return words.opposite if words is not None else ""


def type_sentence(model: Describer, type_id: str) -> str:
    """The canonical sentence (about set A) of a trained difference."""
    return model.type_words[type_id].sentence


def nearest_and_opposite(model: Describer, owners: list[str], phrases: list[str],
                         sims: np.ndarray) -> tuple[TypeReading, float | None]:
    """:func:`nearest_type` and the similarity of the nearest phrase of its opposite, if any."""
    nearest = nearest_type(owners, phrases, sims)
    opposite = opposite_of(model, nearest.type_id)
    of_opposite = [float(v) for t, v in zip(owners, sims, strict=True) if t == opposite]
    return nearest, (max(of_opposite) if of_opposite else None)


def nearest_type(owners: list[str], phrases: list[str], sims: np.ndarray) -> TypeReading:
    """The difference owning the most similar phrase, and its margin over the next difference.

    ``sims`` (P,) are one wording's similarities to ``phrases`` (owned by ``owners``); the
    reading is returned whatever its similarity (the thresholds are the caller's).
    """
    if len(phrases) == 0:
        raise ValueError("no trained phrases to compare with")
    best: dict[str, int] = {}
    for i, tid in enumerate(owners):
        if tid not in best or sims[i] > sims[best[tid]]:
            best[tid] = i
    ranked = sorted(best.items(), key=lambda kv: -float(sims[kv[1]]))
    tid, i = ranked[0]
    runner_up = float(sims[ranked[1][1]]) if len(ranked) > 1 else -1.0
    similarity = float(sims[i])
    return TypeReading(tid, similarity, similarity - runner_up, phrases[i])


LOCATIONS: dict[str, tuple[int, ...]] = {
    "top-left": (1,), "top-right": (2,), "bottom-left": (3,), "bottom-right": (4,),
    "top": (1, 2), "bottom": (3, 4), "left": (1, 3), "right": (2, 4), "corner": (1, 2, 3, 4),
}
"""Where a located wording puts a mark, as the image corners that show it (1 top-left,
2 top-right, 3 bottom-left, 4 bottom-right): the claim is scored on crops of those corners
(:func:`tellapart.models.runtime.corner_views`)."""

_PLACE = r"(?:in|at|on|near|along|across)\s+(?:one\s+of\s+)?(?:the|a|an|one|each)?\s*"
_LOCATION_RES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(_PLACE + r"(top|upper|bottom|lower)[\s-]+(left|right)(?:[\s-]+(?:hand\s+)?corners?)?\b",
                re.IGNORECASE), "corner2"),
    (re.compile(_PLACE + r"corners?\b", re.IGNORECASE), "corner"),
    # a side needs "the": "letters stamped on top" is an overlay, not a place
    (re.compile(r"(?:in|at|on|near|along|across)\s+the\s+(top|upper|bottom|lower|left|right)"
                r"(?:[\s-]+(?:hand\s+)?(?:half|edge|side|part|border|margin))?\b", re.IGNORECASE),
     "side"),
)
_VERTICAL = {"top": "top", "upper": "top", "bottom": "bottom", "lower": "bottom"}


def split_location(phrase: str) -> tuple[str, str | None]:
    """(``phrase`` without its place, the place as a :data:`LOCATIONS` key) when the phrase
    says where a mark is ("have a watermark in the bottom-right corner" -> ("have a
    watermark", "bottom-right")); else (``phrase``, None)."""
    for pattern, kind in _LOCATION_RES:
        match = pattern.search(phrase)
        if match is None:
            continue
        if kind == "corner2":
            place = f"{_VERTICAL[match.group(1).lower()]}-{match.group(2).lower()}"
        elif kind == "corner":
            place = "corner"
        else:
            word = match.group(1).lower()
            place = _VERTICAL.get(word, word)
        rest = " ".join((phrase[:match.start()] + " " + phrase[match.end():]).split())
        return rest.strip(" ,;:"), place
    return phrase, None


def read_located(model: Describer, phrase: str) -> TypeReading | None:
    """A wording that places a mark, read as a trained difference of marks that can sit
    anywhere (:data:`tellapart.models.runtime.ANYWHERE_TYPES`) at that place; else None.

    "have a watermark in the bottom-right corner" is read as ``text_watermark`` at
    ``bottom-right``: the place is taken off and the rest read by :func:`read_as_trained`.
    Only marks are located: tone, colour or geometry types are judged on the whole image.
    """
    from .runtime import ANYWHERE_TYPES

    rest, place = split_location(phrase)
    if place is None or not rest:
        return None
    reading = read_as_trained(model, rest)
    if reading is None or reading.type_id not in ANYWHERE_TYPES:
        return None
    return replace(reading, location=place)


def concept_and_reading(model: Describer, sentence: str, more_in: str | None,
                        located: bool = False) -> tuple[str, TypeReading | None]:
    """:func:`learned_concept` and the reading it used (None for trained or unread sentences).

    With ``located`` (typed claims), a wording that places a mark may be read by
    :func:`read_located`; its concept is "diff:<id>@<place>[:<set>]", a different claim from
    the difference anywhere in the image. The learned proposer's sentences are not located:
    it scores what it proposes on the whole image and its quarters.
    """
    known = model.concept_of(sentence)
    reading = None
    if known is None:
        phrase = parse_claim(sentence).phrase
        reading = read_as_trained(model, phrase)
        if reading is None and located:
            reading = read_located(model, phrase)
        if reading is not None:
            known = f"diff:{reading.type_id}" + (f"@{reading.location}" if reading.location else "")
    if known is not None:
        return (f"{known}:{more_in}" if more_in else known), reading
    return "text:" + normalize_sentence(sentence).lower(), None


def learned_concept(model: Describer, sentence: str, more_in: str | None) -> str:
    """Stable key of a claim: "diff:<id>:<set>" for sentences the model was trained on or
    reads as a trained difference (:func:`read_as_trained`), else "text:<normalised sentence>"."""
    return concept_and_reading(model, sentence, more_in)[0]


TYPE_FLOOR_LOGIT = -2.944
"""logit(0.05): per-image type logits below it count as "does not show it" and tie. Without a
floor, a detector's faint response to an unrelated change (frame images nudge the "stars"
logit from -6 to -4) is a real but meaningless shift that a rank test finds significant.
A model with calibrated per-type floors (``Describer.type_floor``: the logit that 95 % of
images without the type stay under) uses the higher of the two."""

def type_floor_logits(model: Describer) -> np.ndarray:
    """(T,) the logit each per-image type logit is floored at: max(TYPE_FLOOR_LOGIT, calibrated floor)."""
    floors = np.full(len(model.type_ids), TYPE_FLOOR_LOGIT, dtype=np.float64)
    if model.type_floor:
        floors = np.maximum(floors, np.asarray(model.type_floor, dtype=np.float64))
    return floors


_SET_NAME_RE = re.compile(r"\bset ([AB])\b", re.IGNORECASE)


def names_one_set_twice(sentence: str) -> bool:
    """"Set A images are darker than set A images": a decoder slip no claim can be read from."""
    names = [m.upper() for m in _SET_NAME_RE.findall(sentence)]
    return len(names) >= 2 and len(set(names)) == 1


def claim_phrase(hypothesis: Hypothesis) -> str:
    """The per-image phrase the image-text head scores: the proposer's, else parsed from the text."""
    phrase = hypothesis.params.get("phrase")
    if isinstance(phrase, str) and phrase.strip():
        return phrase
    return parse_claim(hypothesis.description).phrase


def claim_scores(model: Describer, emb: np.ndarray, hypotheses: list[Hypothesis],
                 type_logits: np.ndarray | None = None) -> np.ndarray:
    """(N, D) embeddings x hypotheses -> (N, H) per-image scores, higher = shows it more.

    A claim about a difference the model was trained on (its concept is "diff:<id>...")
    is scored by the per-image type logit for that difference (``Describer.type_logits``), the densely supervised
    per-image detector, floored at :data:`TYPE_FLOOR_LOGIT`; any other wording by the
    image-text head on its per-image phrase. ``type_logits``: (N, T) per-image logits to
    use instead of ``model.type_logits(emb)`` (:func:`tellapart.models.runtime.pooled_type_logits`
    pools them over the views of large images).
    """
    out = np.zeros((len(emb), len(hypotheses)), dtype=np.float64)
    if not hypotheses or len(emb) == 0:
        return out
    text_cols: list[int] = []
    phrases: list[str] = []
    types = floors = None
    for j, hyp in enumerate(hypotheses):
        k = model.type_index(hyp.params.get("type_id") or hyp.concept)
        if k is None:
            text_cols.append(j)
            phrases.append(claim_phrase(hyp))
            continue
        if types is None or floors is None:
            types = model.type_logits(emb) if type_logits is None else type_logits  # (N, T)
            floors = type_floor_logits(model)
        out[:, j] = np.maximum(types[:, k], floors[k])
    if text_cols:
        out[:, text_cols] = model.score_texts(emb, phrases)  # (N, len(text_cols))
    return out
