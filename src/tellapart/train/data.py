"""Synthetic training tasks for the describer, built from :mod:`tellapart.synth` parts.

Usage::

    sampler = TaskSampler(image_size=128, seed=0)
    batch = sampler.batch(level, n_tasks=2, n_per_side=16, rng=np.random.default_rng(1))
    batch.images     # (n_tasks, 2 * n_per_side, S, S, 3) uint8: set A rows first, then set B
    batch.labels     # (n_tasks, 2 * n_per_side, n_types) float32: which difference each image got
    batch.truths     # per task: [(type_id, "A" or "B"), ...] the true set differences

Only the "training" split is used: held-out base images and their near-duplicates,
(difference, base) combinations and magnitude bands of :mod:`tellapart.synth.split` never
appear. Each task draws one base kind (a data set looks like itself), 1..k true differences
(each applied to a fraction of one set, or graded: to both, one more strongly; a level may
also give the other set a look-alike of one), and optional *distractors*: differences
applied to the same number of images in both sets, which teach the comparator that what both
sets share is no difference.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..models.text import parse_claim
from ..models.tokenizer import normalize_sentence
from ..models.vocabulary import TypeWords
from ..synth.levels import Level  # re-exported: the trainer imports it from here
from ..types import swap_sets

_FAMILY_MODULES = ("content", "geometric", "photometric", "spatial", "overlays", "degradations")


def load_synth() -> tuple[object, object, object]:
    """The synth registry, base sampler class and split module, with every type registered."""
    synth = importlib.import_module("tellapart.synth")
    differences = importlib.import_module("tellapart.edits.differences")
    if len(differences.DIFFERENCES) == 0:
        for name in _FAMILY_MODULES:  # the package may register lazily; make sure all are in
            try:
                importlib.import_module(f"tellapart.edits.{name}")
            except ModuleNotFoundError:
                continue
    if len(differences.DIFFERENCES) == 0:
        raise RuntimeError("tellapart.synth registers no difference types; cannot make tasks")
    bases = importlib.import_module("tellapart.synth.bases")
    split = importlib.import_module("tellapart.synth.split")
    del synth
    return differences, bases, split


@dataclass
class TypeInfo:
    """What the trainer needs to know about one difference type."""

    type_id: str
    concept: str
    family: str
    sentences: list[str]  # canonical first, then paraphrases; all about set A
    image_phrases: list[str]  # per-image property phrases for the scorer (training pool)
    heldout_phrases: list[str]  # phrases kept out of scorer training (generalisation check)
    wordings: list[str] = field(default_factory=list)  # the type's `wordings` (not in full training)

    @property
    def reading_phrases(self) -> list[str]:
        """The image phrases, then the wordings: what a free wording is read against and the
        text stage trains on (held-out phrases excluded, duplicates once)."""
        held_out = set(self.heldout_phrases)
        return [p for p in dict.fromkeys([*self.image_phrases, *self.wordings]) if p not in held_out]


def type_info(diff: object, holdout_paraphrase: bool = True) -> TypeInfo:
    """The sentences and per-image phrases of one difference type (an instance from synth).

    The scorer's phrases are the type's ``phrase`` plus the per-image phrase of each of its
    sentences about set A; with ``holdout_paraphrase`` the last of them (when there are more
    than three) is kept apart to check that unseen wordings score well.
    """
    sentences = [diff.sentence, *diff.paraphrases]  # type: ignore[attr-defined]
    phrases = [diff.phrase]  # type: ignore[attr-defined]
    for s in sentences:
        claim = parse_claim(s)
        if claim.subject == "A" and claim.phrase not in phrases:
            phrases.append(claim.phrase)
    heldout: list[str] = []
    if holdout_paraphrase and len(phrases) > 3:
        heldout = [phrases.pop()]
    return TypeInfo(diff.type_id, diff.concept_key(), diff.family,  # type: ignore[attr-defined]
                    sentences, phrases, heldout,
                    list(getattr(diff, "wordings", ())))


def type_words(diff: object) -> TypeWords:
    """The words of one difference type (an instance from synth) that the trained weights
    carry for inference (:class:`tellapart.models.vocabulary.TypeWords`): its canonical
    sentence, its opposite, every per-image phrase (none held out) and its reading phrases."""
    info = type_info(diff, holdout_paraphrase=False)
    return TypeWords(sentence=str(diff.sentence),  # type: ignore[attr-defined]
                     opposite=str(getattr(diff, "opposite", "") or ""),
                     trained_phrases=tuple(info.image_phrases),
                     reading_phrases=tuple(info.reading_phrases))


def type_words_of(type_ids: Sequence[str]) -> dict[str, TypeWords]:
    """:func:`type_words` of each registered difference type in ``type_ids``."""
    differences, _, _ = load_synth()
    registry = differences.DIFFERENCES  # type: ignore[attr-defined]
    return {tid: type_words(registry.create(tid)) for tid in type_ids}


def pool_rng(seed: int, epoch: int) -> np.random.Generator:
    """The generator that draws the base-image pool of ``epoch`` (epoch 0: the initial pool)."""
    return np.random.default_rng([seed, 7919] if epoch == 0 else [seed, 7919, epoch])


def draw_pool(base_sampler: object, pool_size: int,
              rng: np.random.Generator) -> tuple[list[np.ndarray], list[str]]:
    """``pool_size`` base images and their kinds, drawn in order from ``rng``."""
    pool: list[np.ndarray] = []
    kinds: list[str] = []
    for _ in range(pool_size):
        img, meta = base_sampler.sample(rng)  # type: ignore[attr-defined]
        pool.append(img)
        kinds.append(str(meta["kind"]))
    return pool, kinds


@dataclass(frozen=True)
class SamplerOptions:
    """How training tasks are drawn besides their level: :class:`TaskSampler`'s ``base``,
    ``domains``, ``p_medical``, ``type_weights`` and ``lookalikes`` (a recipe's ``[sampler]``
    table, and ``[joint.type_weights]`` for the joint stage). The defaults are the general
    types on the mixed bases."""

    base: str = "mixed"
    domains: tuple[str, ...] = ("general",)
    p_medical: float = 0.0
    type_weights: tuple[tuple[str, float], ...] = ()
    lookalikes: tuple[tuple[str, ...], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base, "domains": list(self.domains), "p_medical": self.p_medical,
                "type_weights": dict(self.type_weights),
                "lookalikes": [list(g) for g in self.lookalikes]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SamplerOptions:
        """Options from :meth:`to_dict`'s values; an unknown key is an error."""
        known = {"base", "domains", "p_medical", "type_weights", "lookalikes"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown sampler setting(s) {', '.join(unknown)}; known: "
                             f"{', '.join(sorted(known))}")
        return cls(base=str(data.get("base", "mixed")),
                   domains=tuple(str(d) for d in data.get("domains", ("general",))),
                   p_medical=float(data.get("p_medical", 0.0)),
                   type_weights=tuple(sorted((str(t), float(w)) for t, w in
                                             dict(data.get("type_weights", {})).items())),
                   lookalikes=tuple(tuple(str(t) for t in g) for g in data.get("lookalikes", ())))

    def sampler(self, image_size: int, seed: int, pool_size: int,
                holdout_paraphrase: bool = True) -> TaskSampler:
        """A :class:`TaskSampler` drawing tasks this way."""
        return TaskSampler(image_size, seed=seed, pool_size=pool_size,
                           holdout_paraphrase=holdout_paraphrase, base=self.base,
                           domains=self.domains, p_medical=self.p_medical,
                           type_weights=dict(self.type_weights), lookalikes=self.lookalikes)


@dataclass
class TaskBatch:
    images: np.ndarray  # (T, 2n, S, S, 3) uint8
    labels: np.ndarray  # (T, 2n, n_types) float32
    n_per_side: int
    truths: list[list[tuple[str, str]]] = field(default_factory=list)


class TaskSampler:
    """Draws training tasks and per-image labels from the synth "training" split.

    Parameters
    ----------
    image_size : int
        Side of generated images (the encoder's input size).
    seed : int
        Seeds the pool of base images.
    pool_size : int
        Base images kept in memory (drawing photos is the slow part); the trainer redraws
        the whole pool every so many steps with :meth:`reset_pool`. The first pool (drawn
        from ``pool_rng(seed, 0)``) is drawn on first use, so a sampler that only supplies
        sentences, or whose pool is handed in with :meth:`set_pool`, never draws one.
    holdout_paraphrase : bool
        Keep each type's last paraphrase out of the scorer's training phrases.
    domains : tuple of str
        Difference domains to train (``Difference.domain``). A medical type is applied only
        to the medical base kinds it names (``Difference.base_kinds``), so it needs medical
        kinds in ``base`` (e.g. ``"mixed:photos,faces,chest,brain"``); general types apply
        to every kind.
    p_medical : float
        Share of tasks (and of single labelled images) drawn on a medical base kind when the
        pool holds both medical and other kinds; 0 draws every kind of the pool equally often.
    type_weights : mapping of str to float, optional
        Relative chance of each difference type being drawn (1 for a type not named): a
        recipe gives more weight to the types its development draws miss.
    lookalikes : sequence of sequences of str
        Groups of types that are easily mistaken for each other (small marks, fine
        strokes, ...). A level's ``p_lookalike`` gives a true difference's other set a
        look-alike of it, so telling them apart is what separates the sets.
    """

    def __init__(
        self,
        image_size: int = 128,
        seed: int = 0,
        pool_size: int = 1024,
        holdout_paraphrase: bool = True,
        base: str = "mixed",
        domains: tuple[str, ...] = ("general",),
        p_medical: float = 0.0,
        type_weights: Mapping[str, float] | None = None,
        lookalikes: Sequence[Sequence[str]] = (),
    ) -> None:
        self.differences, bases, self.split = load_synth()
        reg = self.differences.DIFFERENCES  # type: ignore[attr-defined]
        self.type_ids: list[str] = [t for t in reg.list() if reg.get(t).domain in domains]
        self.diffs = {t: reg.create(t) for t in self.type_ids}
        self.medical_kinds = frozenset(bases.MEDICAL_KINDS)  # type: ignore[attr-defined]
        if not 0.0 <= p_medical <= 1.0:
            raise ValueError(f"p_medical must be in [0, 1], got {p_medical}")
        self.p_medical = float(p_medical)
        self.type_weights = self._checked_weights(type_weights or {})
        self.lookalike_of = self._lookalike_index(lookalikes)
        self.types: list[TypeInfo] = [self._type_info(t, holdout_paraphrase) for t in self.type_ids]
        families = list(self.differences.FAMILIES)  # type: ignore[attr-defined]
        self.family_rank = {t: families.index(d.family) for t, d in self.diffs.items()}
        self.image_size = image_size
        self.base_sampler = bases.BaseSampler(base, image_size, "training")  # type: ignore[attr-defined]
        self.seed = seed
        self.pool_size = pool_size
        self._pool: list[np.ndarray] = []
        self._pool_kind: list[str] = []
        self._s_intervals = self.split.train_s_intervals()  # type: ignore[attr-defined]

    # -- vocabulary of sentences ------------------------------------------------------------------
    def _type_info(self, type_id: str, holdout_paraphrase: bool) -> TypeInfo:
        return type_info(self.diffs[type_id], holdout_paraphrase)

    def _checked_weights(self, weights: Mapping[str, float]) -> dict[str, float]:
        unknown = sorted(set(weights) - set(self.type_ids))
        if unknown:
            raise ValueError(f"type_weights names unknown or untrained types: {', '.join(unknown)}")
        bad = {t: w for t, w in weights.items() if not (np.isfinite(w) and w > 0)}
        if bad:
            raise ValueError(f"type weights must be positive numbers, got {bad}")
        return {t: float(w) for t, w in weights.items()}

    def _lookalike_index(self, groups: Sequence[Sequence[str]]) -> dict[str, tuple[str, ...]]:
        """Type id -> the other members of its look-alike group."""
        index: dict[str, tuple[str, ...]] = {}
        for group in groups:
            members = tuple(str(t) for t in group)
            unknown = sorted(set(members) - set(self.type_ids))
            if unknown:
                raise ValueError(f"look-alike group {list(members)} names unknown or untrained "
                                 f"types: {', '.join(unknown)}")
            for t in members:
                if t in index:
                    raise ValueError(f"type {t!r} is in more than one look-alike group")
                index[t] = tuple(m for m in members if m != t)
        return index

    def all_sentences(self) -> list[str]:
        """Every sentence the decoder may be trained to write (both directions)."""
        out: list[str] = []
        for info in self.types:
            for s in info.sentences:
                out.extend([s, swap_sets(s)])
        return out

    def known_sentences(self) -> dict[str, str]:
        """Normalised sentence -> "diff:<id>".

        A sentence shared by several types goes to the type whose canonical sentence it is
        ("Set A images are darker than set B images" is darker's, though it also paraphrases
        brighter applied to set B), else to the first type in id order.
        """
        known: dict[str, str] = {}
        for canonical_only in (True, False):
            for info in self.types:
                for s in info.sentences[:1] if canonical_only else info.sentences:
                    for variant in (s, swap_sets(s)):
                        known.setdefault(normalize_sentence(variant), f"diff:{info.type_id}")
        return known

    def sentence_truths(self) -> dict[str, set[tuple[str, str]]]:
        """Normalised sentence -> every (type id, set) it correctly describes."""
        table: dict[str, set[tuple[str, str]]] = {}
        for info in self.types:
            for s in info.sentences:
                table.setdefault(normalize_sentence(s), set()).add((info.type_id, "A"))
                table.setdefault(normalize_sentence(swap_sets(s)), set()).add((info.type_id, "B"))
        return table

    def target_sentence(self, type_id: str, target: str, rng: np.random.Generator,
                        p_canonical: float = 0.5) -> str:
        """A training sentence for difference ``type_id`` applied to set ``target``."""
        info = self.types[self.type_ids.index(type_id)]
        text = info.sentences[0] if rng.random() < p_canonical else str(rng.choice(info.sentences))
        return swap_sets(text) if target == "B" else text

    # -- images -----------------------------------------------------------------------------------
    @property
    def pool(self) -> list[np.ndarray]:
        """The base images tasks are made from (drawn on first use)."""
        if not self._pool:
            self.reset_pool(pool_rng(self.seed, 0))
        return self._pool

    @property
    def pool_kind(self) -> list[str]:
        """The base kind of each pool image."""
        if not self._pool:
            self.reset_pool(pool_rng(self.seed, 0))
        return self._pool_kind

    def reset_pool(self, rng: np.random.Generator) -> None:
        """Draw a fresh pool of base images (a pure function of ``rng``'s state)."""
        self.set_pool(*draw_pool(self.base_sampler, self.pool_size, rng))

    def set_pool(self, images: Sequence[np.ndarray], kinds: Sequence[str]) -> None:
        """Use ``images`` (drawn elsewhere, e.g. in shared memory) as the pool."""
        if len(images) != len(kinds) or not len(images):
            raise ValueError(f"a pool needs as many kinds as images (>= 1), got "
                             f"{len(images)} images and {len(kinds)} kinds")
        self._pool, self._pool_kind = list(images), [str(k) for k in kinds]

    def _allowed_types(self, kind: str) -> list[str]:
        """The difference types that may be applied to a base image of ``kind`` in training:
        not a held-out combination, and a medical type only on the kinds it names."""
        return [t for t in self.type_ids
                if not self.split.is_heldout_combo(t, kind)  # type: ignore[attr-defined]
                and (self.diffs[t].domain != "medical" or kind in self.diffs[t].base_kinds)]

    def _random_order(self, allowed: list[str], rng: np.random.Generator) -> list[str]:
        """``allowed`` in random order; with type weights, heavier types tend to come first
        (drawn one after another without replacement)."""
        if not self.type_weights:
            return [str(t) for t in rng.permutation(allowed)]
        w = np.asarray([self.type_weights.get(t, 1.0) for t in allowed], dtype=np.float64)
        order = rng.choice(len(allowed), size=len(allowed), replace=False, p=w / w.sum())
        return [allowed[int(i)] for i in order]

    def _one_type(self, allowed: list[str], rng: np.random.Generator) -> str:
        """One of ``allowed`` at random (by type weight, when given)."""
        if not self.type_weights:
            return str(allowed[int(rng.integers(len(allowed)))])
        return self._random_order(allowed, rng)[0]

    def _distinct_types(self, allowed: list[str], k: int, rng: np.random.Generator) -> list[str]:
        """Up to ``k`` of ``allowed`` in random order, at most one per concept (one permutation)."""
        chosen: list[str] = []
        concepts: set[str] = set()
        for t in self._random_order(allowed, rng):
            if len(chosen) == k:
                break
            c = self.diffs[str(t)].concept_key()
            if c not in concepts:
                chosen.append(str(t))
                concepts.add(c)
        return chosen

    def _random_base(self, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        """A random pool image and its base kind (a medical one with chance ``p_medical``)."""
        if self.p_medical > 0:
            kind = self.random_kind(rng)
            slots = [i for i, k in enumerate(self.pool_kind) if k == kind]
            j = slots[int(rng.integers(len(slots)))]
        else:
            j = int(rng.integers(len(self.pool)))
        return self.pool[j], self.pool_kind[j]

    def random_kind(self, rng: np.random.Generator) -> str:
        """The base kind of a task: each kind of the pool equally often, or, with
        ``p_medical``, a medical kind with that chance and another kind otherwise."""
        kinds = sorted(set(self.pool_kind))
        medical = [k for k in kinds if k in self.medical_kinds]
        if self.p_medical > 0 and medical and len(medical) < len(kinds):
            kinds = medical if rng.random() < self.p_medical else [k for k in kinds
                                                                   if k not in medical]
        return str(rng.choice(kinds))

    def _empty_batch(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(n, S, S, 3) uint8 images and (n, n_types) zero labels to fill."""
        return (np.empty((n, self.image_size, self.image_size, 3), dtype=np.uint8),
                np.zeros((n, len(self.type_ids)), dtype=np.float32))

    def _draw_s(self, rng: np.random.Generator, lo: float, hi: float) -> float:
        for _ in range(100):
            s = float(rng.uniform(lo, hi))
            if not self.split.is_heldout_s(s):  # type: ignore[attr-defined]
                return s
        return float(hi)

    def task(
        self, level: Level, n_per_side: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str]]]:
        """One task: (2n, S, S, 3) images (A then B), (2n, n_types) labels, true differences."""
        kind = self.random_kind(rng)
        slots = [i for i, k in enumerate(self.pool_kind) if k == kind]
        allowed = self._allowed_types(kind)
        n_true = int(rng.integers(level.n_diffs[0], level.n_diffs[1] + 1))
        n_distract = int(rng.integers(level.n_distractors[0], level.n_distractors[1] + 1))
        chosen = self._distinct_types(allowed, n_true + n_distract, rng)
        true_types, distractors = chosen[:n_true], chosen[n_true:]
        n = n_per_side
        # plan[i] = list of (type, s) for image i; images 0..n-1 are set A, n..2n-1 set B
        plan: list[list[tuple[str, float]]] = [[] for _ in range(2 * n)]
        truths: list[tuple[str, str]] = []
        taken = {self.diffs[t].concept_key() for t in chosen}
        for t in true_types:
            target = "A" if rng.random() < 0.5 else "B"
            self._plan_true(plan, t, target, level, n, rng)
            truths.append((t, target))
            if level.p_lookalike > 0 and t in self.lookalike_of and rng.random() < level.p_lookalike:
                twin = self._lookalike(t, allowed, taken, rng)
                if twin is not None:
                    other = "B" if target == "A" else "A"
                    self._plan_true(plan, twin, other, level, n, rng)
                    truths.append((twin, other))
        for t in distractors:
            s = self._draw_s(rng, *level.strength)
            k = int(rng.integers(1, n + 1))
            for offset in (0, n):  # the same count on both sides: no difference between sets
                for i in rng.choice(n, size=k, replace=False):
                    plan[offset + int(i)].append((t, self._draw_s(rng, *level.strength)))
        images, labels = self._empty_batch(2 * n)
        for i in range(2 * n):
            img = self.pool[int(rng.choice(slots))]
            for t, s in sorted(plan[i], key=lambda ts: self.family_rank[ts[0]]):
                img = self.diffs[t].apply(img, s, rng)
                labels[i, self.type_ids.index(t)] = 1.0
            images[i] = img
        return images, labels, truths

    def _plan_true(self, plan: list[list[tuple[str, float]]], t: str, target: str, level: Level,
                   n: int, rng: np.random.Generator) -> None:
        """Add true difference ``t`` of set ``target`` to ``plan``: a share of the target
        set's images at the level's strength, or, when graded (chance ``level.p_graded`` for
        a gradable type), as many images of each set, the target's at a greater strength."""
        diff = self.diffs[t]
        graded = (level.p_graded > 0 and diff.gradable and not diff.binary
                  and rng.random() < level.p_graded)
        s = self._draw_s(rng, *(level.graded_strength if graded else level.strength))
        prevalence = float(rng.uniform(*level.prevalence))
        k = max(1, int(round(prevalence * n)))
        target_offset = 0 if target == "A" else n
        for i in rng.choice(n, size=k, replace=False):
            plan[target_offset + int(i)].append((t, s))
        if graded:
            lo, hi = level.graded_other
            s_other = self._draw_s(rng, lo, max(lo, hi * s))
            for i in rng.choice(n, size=k, replace=False):
                plan[n - target_offset + int(i)].append((t, s_other))

    def _lookalike(self, t: str, allowed: list[str], taken: set[str],
                   rng: np.random.Generator) -> str | None:
        """A member of ``t``'s look-alike group allowed here whose concept is not yet in the
        task (and then is), or None."""
        options = [m for m in self.lookalike_of[t]
                   if m in allowed and self.diffs[m].concept_key() not in taken]
        if not options:
            return None
        twin = str(options[int(rng.integers(len(options)))])
        taken.add(self.diffs[twin].concept_key())
        return twin

    def labelled_images(
        self, n: int, level: Level, rng: np.random.Generator, p_none: float = 0.1
    ) -> tuple[np.ndarray, np.ndarray]:
        """``n`` single images for dense per-image supervision: (n, S, S, 3) uint8, (n, n_types).

        Each image is a random pool image with one random difference type (allowed for its
        base kind) at the level's strength, or none with probability ``p_none``. Unlike a
        task, where at most a few types appear per batch, every image carries a label, so
        the encoder sees every type often from the first steps.
        """
        images, labels = self._empty_batch(n)
        for i in range(n):
            img, kind = self._random_base(rng)
            if rng.random() >= p_none:
                t = self._one_type(self._allowed_types(kind), rng)
                img = self.diffs[t].apply(img, self._draw_s(rng, *level.strength), rng)
                labels[i, self.type_ids.index(t)] = 1.0
            images[i] = img
        return images, labels

    def stacked_images(
        self, n: int, level: Level, rng: np.random.Generator,
        count_p: Sequence[float] = (0.1, 0.5, 0.25, 0.15),
    ) -> tuple[np.ndarray, np.ndarray]:
        """``n`` single images with several differences each: (n, S, S, 3) uint8, (n, n_types).

        Image ``i`` is a random pool image with ``k`` distinct differences (allowed for its
        base kind, at most one per concept, applied in family order as in a task) at the
        level's strengths, where ``P(k) = count_p[k]``. Images in tasks carry up to three
        true differences plus distractors, so a per-image classifier must see stacks too.
        """
        p = np.asarray(count_p, dtype=np.float64)
        if p.ndim != 1 or (p < 0).any() or not np.isclose(p.sum(), 1.0):
            raise ValueError(f"count_p must be probabilities of 0, 1, 2, ... differences, got {count_p}")
        images, labels = self._empty_batch(n)
        for i in range(n):
            img, kind = self._random_base(rng)
            k = int(rng.choice(len(p), p=p))
            chosen = self._distinct_types(self._allowed_types(kind), k, rng)
            for t in sorted(chosen, key=lambda t: self.family_rank[t]):
                img = self.diffs[t].apply(img, self._draw_s(rng, *level.strength), rng)
                labels[i, self.type_ids.index(t)] = 1.0
            images[i] = img
        return images, labels

    def batch(
        self, levels: Sequence[Level], n_per_side: int, rng: np.random.Generator
    ) -> TaskBatch:
        """One task per entry of ``levels``."""
        parts = [self.task(level, n_per_side, rng) for level in levels]
        return TaskBatch(
            images=np.stack([p[0] for p in parts]),
            labels=np.stack([p[1] for p in parts]),
            n_per_side=n_per_side,
            truths=[p[2] for p in parts],
        )
