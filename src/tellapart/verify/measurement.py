"""The measurement scorer: a measurement's value, signed to the claim's wording.

It also reads typed claims ("set A images are darker", "B is blurrier", "A has more
noise", "darker") and maps them to one measurement and direction, or to nothing: a
claim that matches no measurement, matches two different ones ("darker and blurrier"),
or is negated ("not darker") is left to other scorers and, failing them, reported as
untestable rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from ..context import DataContext
from ..measure.base import MEASUREMENTS
from ..measure.words import (
    MeasurementWords,
    measurement_concept,
    measurement_hypothesis,
    measurement_sentence,
    measurement_words,
    synonym_classes,
)
from ..types import Hypothesis, other_set
from .base import Scorer, register_scorer

_AUXILIARIES = re.compile(
    r"^(?:(?:are|is|have|has|look|looks|appear|appears|seem|seems|tend to be|tend to have|"
    r"contain|contains|show|shows|were|was|more often|often)\s+)+"
)
_INCREASE = ("more", "higher", "greater", "larger", "bigger", "increased", "stronger", "heavier")
_DECREASE = ("less", "lower", "fewer", "smaller", "reduced", "weaker", "decreased")
_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|isn|aren|don|doesn|without\s+any)\b")
# Words a claim that only names a property may also use ("the brightness differs between
# the two sets", "set A and set B differ in contrast"): none of them says which way.
_NO_DIRECTION = frozenset((
    "the a an of in on and or between two both sets set b images image pictures photos "
    "differs differ different difference differences vary varies variation is are their "
    "overall level levels"
).split())
NEGATION_REASON = (
    "it is negated: tellapart tests that one set shows something more than the other, and a "
    "claim it cannot confirm is already reported as having no evidence; type the claim without "
    "'not' (e.g. 'Set A images are brighter than set B images')"
)


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "'").replace("n't", " not")
    text = re.sub(r"[^a-z0-9&\- ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _core(phrase: str) -> str:
    """A predicate phrase without its auxiliary verbs: "are darker" -> "darker"."""
    return _AUXILIARIES.sub("", _normalise(phrase)).strip()


def _phrase_variants(phrase: str) -> set[str]:
    """Ways a predicate phrase can be typed: whole, without its parenthesis, the parenthesis.

    "are noisier (grainier)" -> {"noisier grainier", "noisier", "grainier"}.
    """
    lowered = phrase.lower()
    variants = {_core(lowered), _core(re.sub(r"\([^)]*\)", " ", lowered))}
    variants.update(_core(inner) for inner in re.findall(r"\(([^)]*)\)", lowered))
    return {v for v in variants if v}


def _keyword_sign(keyword: str, words: MeasurementWords) -> int:
    """+1 if "more <keyword>" means a higher value of the measurement, -1 if lower.

    A keyword found only in the `less` phrase points down ("dark" in "are darker"),
    unless it follows "less"/"fewer" there ("noise" in "(less noise)").
    """
    more, less = _normalise(words.more), _normalise(words.less)
    in_more, in_less = keyword in more, keyword in less
    if in_less and not in_more:
        negated = re.search(rf"\b(?:less|fewer|lower|weaker)\s+\w*{re.escape(keyword)}", less)
        return 1 if negated else -1
    return 1


@dataclass(frozen=True)
class _Match:
    measurement: str
    sign: int  # +1: the text says "more" of the measurement (its `more` phrase)
    length: int  # characters of the matched phrase: longer is more specific
    keyword_hits: int


def _find_sets(original: str) -> tuple[str | None, str | None]:
    """(subject set, compared set) named in the text, or None where absent.

    "set a"/"set b" match in any case; a bare letter only as a capital "A" or "B" (a
    lowercase "a" is the article). The subject is the first set named outside a
    "than ..." clause.
    """
    subject: str | None = None
    compared: str | None = None
    pattern = re.compile(
        r"(?P<than>\bthan\s+(?:(?:those|the\s+ones|images|photos)\s+(?:in|of|from)\s+)?)?"
        r"(?:\b[Ss][Ee][Tt]\s*(?P<set>[AaBb])\b|(?<![\w'])(?P<bare>[AB])(?![\w']))"
    )
    for m in pattern.finditer(original):
        letter = (m.group("set") or m.group("bare") or "").upper()
        if m.group("bare") and m.start("bare") == 0:
            # A sentence-initial capital "A" is usually the article ("A dark image ...").
            following = original[m.end("bare") :].lstrip().lower()
            if letter == "A" and not re.match(
                r"(?:has|have|is|are|images?|photos?|pictures?|looks?|contains?|shows?|'s)\b",
                following,
            ):
                continue
        if m.group("than"):
            compared = compared or letter
        elif subject is None:
            subject = letter
    if subject is None and compared is not None:
        subject = other_set(compared)
    return subject, compared


@register_scorer
class MeasurementScorer(Scorer):
    """Scores a measurement hypothesis: ``sign * value`` of its measurement column.

    Parameters
    ----------
    words : mapping, optional
        Measurement name -> :class:`MeasurementWords` used to read typed claims,
        replacing the registry (tests, or tables whose columns are not registered).
    """

    name = "measurement"

    def __init__(self, words: Mapping[str, MeasurementWords] | None = None) -> None:
        self.words = words

    # -- scoring ----------------------------------------------------------------------

    def can_score(self, hypothesis: Hypothesis) -> bool:
        params = hypothesis.params
        return isinstance(params.get("measurement"), str) and params.get("sign") in (1, -1)

    def can_score_in(self, hypothesis: Hypothesis, ctx: DataContext) -> bool:
        if not self.can_score(hypothesis):
            return False
        name = hypothesis.params["measurement"]
        return name in ctx.table.names and bool(np.isfinite(ctx.table.column(name)).any())

    def score(self, hypothesis: Hypothesis, ctx: DataContext, rows: np.ndarray) -> np.ndarray:
        if not self.can_score(hypothesis):
            raise ValueError(
                f"not a measurement hypothesis (params {hypothesis.params!r}): {hypothesis.description!r}"
            )
        name = hypothesis.params["measurement"]
        if name not in ctx.table.names:
            raise ValueError(f"measurement {name!r} is not in the feature table")
        return ctx.table.column(name)[np.asarray(rows, dtype=np.int64)] * float(
            hypothesis.params["sign"]
        )

    def orient(self, hypothesis: Hypothesis, more_in: str) -> Hypothesis:
        name, sign = hypothesis.params["measurement"], int(hypothesis.params["sign"])
        words = self._words(name)
        typed = hypothesis.params.get("typed")
        sentence = measurement_sentence(words, more_in, sign)
        return replace(
            hypothesis,
            more_in=more_in,
            concept=measurement_concept(name, more_in, sign),
            description=f'{sentence} (typed: "{typed}")' if typed else sentence,
        )

    # -- reading typed claims ---------------------------------------------------------

    def _words(self, name: str) -> MeasurementWords:
        return measurement_words(name, self.words)

    def _vocabulary(self) -> list[MeasurementWords]:
        names = list(self.words) if self.words is not None else MEASUREMENTS.list()
        return [self._words(n) for n in sorted(names)]

    def _phrase_table(self) -> list[tuple[str, str, int]]:
        """(phrase, measurement, sign) for every way of naming each direction, longest first.

        Three sources, from most to least reliable: the measurement's own phrases
        ("are darker"), the synonym classes the measurement classes declare
        (``more_synonyms``/``less_synonyms``: "dimmer", "underexposed") and comparatives of
        its keywords ("more noise", "less contrast") for keywords no synonym class already
        covers. A synonym class names its declaring measurement, if in the vocabulary, and
        every measurement whose own phrase it contains; when none does, those with one of
        its words as a keyword.
        """
        vocabulary = self._vocabulary()
        names = {words.name for words in vocabulary}
        own: set[tuple[str, str, int]] = set()
        for words in vocabulary:
            for sign, phrase in ((1, words.more), (-1, words.less)):
                own.update((variant, words.name, sign) for variant in _phrase_variants(phrase))
        entries = set(own)
        classes = synonym_classes()
        class_words = {w for cls in classes for member in cls.phrases for w in member.split()}
        for cls in classes:
            direct = {(name, sign) for phrase, name, sign in own if phrase in cls.phrases}
            if not direct:
                # No measurement says it in these words: fall back to keywords
                # ("border", "frame" -> a border measurement, more of it).
                direct = {
                    (words.name, _keyword_sign(member, words))
                    for words in vocabulary
                    for member in cls.phrases
                    if " " not in member and member in {_normalise(k) for k in words.keywords}
                }
            if cls.name in names:
                direct.add((cls.name, cls.sign))
            entries.update((member, name, sign) for member in cls.phrases for name, sign in direct)
        for words in vocabulary:
            for keyword in words.keywords:
                kw = _normalise(keyword)
                if not kw or kw in class_words:
                    continue
                sign_of_more = _keyword_sign(kw, words)
                entries.update((f"{inc} {kw}", words.name, sign_of_more) for inc in _INCREASE)
                entries.update((f"{dec} {kw}", words.name, -sign_of_more) for dec in _DECREASE)
        return sorted(entries, key=lambda e: (-len(e[0]), e[0], e[1], e[2]))

    def refusal_reason(self, text: str) -> str | None:
        """Why a negated claim ("Set A images are not darker") is not tested."""
        return NEGATION_REASON if _NEGATION.search(_normalise(text)) else None

    def _property_only(self, norm: str) -> str | None:
        """The measurement a claim names by its property alone ("the brightness differs",
        "contrast"), when every other word says no direction; None otherwise."""
        hits: dict[str, int] = {}
        for words in self._vocabulary():
            for prop in words.property_names:
                needle = f" {_normalise(prop)} "
                if needle in f" {norm} " and len(needle) > hits.get(words.name, 0):
                    hits[words.name] = len(needle)
        if not hits:
            return None
        longest = max(hits.values())
        best = sorted(n for n, length in hits.items() if length == longest)
        if len(best) != 1:
            return None
        rest = f" {norm} "
        for prop in sorted(self._words(best[0]).property_names, key=len, reverse=True):
            rest = rest.replace(f" {_normalise(prop)} ", " ")
        return best[0] if set(rest.split()) <= _NO_DIRECTION else None

    def interpret(self, text: str) -> Hypothesis | None:
        """A measurement hypothesis for ``text``, or None if it names no single measurement.

        Examples: "Set A images are darker" -> brightness, set A lower; "images in B are
        blurrier" -> sharpness, set B lower; "A has more noise"; "darker" (no set: the
        test is two-sided and the data pick the set).
        """
        norm = _normalise(text)
        if not norm or _NEGATION.search(norm):
            return None
        two_way = self._property_only(norm)
        if two_way is not None:  # no direction named: a two-sided test, the data pick it
            return Hypothesis(
                description=text.strip(), concept=f"{two_way}:more", more_in=None,
                proposer="user", scorer=self.name,
                params={"measurement": two_way, "sign": 1, "typed": text.strip()}, user=True)
        vocabulary = {w.name: w for w in self._vocabulary()}
        remaining = f" {norm} "
        # Matched phrase -> the (measurement, sign) claims it can mean.
        meanings: dict[str, set[tuple[str, int]]] = {}
        for phrase, name, sign in self._phrase_table():
            needle = f" {phrase} "
            if phrase in meanings or needle in remaining:
                meanings.setdefault(phrase, set()).add((name, sign))
        for phrase in sorted(meanings, key=len, reverse=True):
            needle = f" {phrase} "
            if needle not in remaining:  # consumed by a longer phrase containing it
                del meanings[phrase]
                continue
            remaining = remaining.replace(needle, " | ")
        if not meanings:
            return None
        # Every matched phrase must be able to mean the same claim; "darker and blurrier"
        # is two claims and cannot be one test.
        common = set.intersection(*meanings.values())
        if not common or len({name for name, _ in common}) < len(common):
            return None
        longest = {
            claim: max(len(p) for p, claims in meanings.items() if claim in claims)
            for claim in common
        }

        def preference(claim: tuple[str, int]) -> tuple[int, int, str]:
            keywords = vocabulary[claim[0]].keywords
            hits = sum(1 for k in keywords if f" {_normalise(k)} " in f" {norm} ")
            return (longest[claim], hits, claim[0])

        # Most specific phrase, then most keywords named; names break ties (alphabetical first).
        ranked = sorted(common, key=lambda c: (-preference(c)[0], -preference(c)[1], c[0]))
        best = _Match(ranked[0][0], ranked[0][1], longest[ranked[0]], 0)
        subject, _ = _find_sets(text)
        words = vocabulary[best.measurement]
        if subject is None:
            return Hypothesis(
                description=text.strip(),
                concept=f"{best.measurement}:{'more' if best.sign > 0 else 'less'}",
                more_in=None,
                proposer="user",
                scorer=self.name,
                params={"measurement": best.measurement, "sign": best.sign, "typed": text.strip()},
                user=True,
            )
        hyp = measurement_hypothesis(words, subject, best.sign, proposer="user", user=True)
        hyp.params["typed"] = text.strip()
        hyp.description = f'{hyp.description} (typed: "{text.strip()}")'
        return hyp
