"""Fixed, versioned benchmark suites and the training-stream generator.

A suite is a deterministic function from (suite name, version, task index) to a
:class:`TaskSpec`; rendering the spec gives the task. Specs can be drawn without rendering any
pixel, which is how the held-out split is tested.

Suites (``SUITES``): ``easy``, ``medium``, ``hard``, ``null``, ``heldout`` on photographs and
procedural scenes, and ``medical`` and ``medical-null`` on medical bases with the medical
differences (:mod:`tellapart.edits.medical`). Training streams
(:func:`stream_tasks`) use a separate seed namespace and never produce a held-out base,
difference x base combination or magnitude (see :mod:`tellapart.synth.split`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..edits.differences import DIFFERENCES, create_difference
from .bases import MIXED_WEIGHTS, parse_base
from .levels import STREAM_LEVELS, Difficulty
from .split import (
    HELDOUT_COMBOS,
    HELDOUT_S_BANDS,
    TRAIN_BASE_KINDS,
    is_heldout_combo,
    is_heldout_s,
    train_s_intervals,
)
from .tasks import DiffSpec, Task, make_task

SUITE_VERSION = "1"


@dataclass(frozen=True)
class SuiteInfo:
    """A suite's fixed definition."""

    name: str
    seed: int
    n_tasks: int
    description: str
    version: str = SUITE_VERSION
    domain: str = "general"  # "medical": compare with the medical measurements too


SUITES: dict[str, SuiteInfo] = {
    "easy": SuiteInfo("easy", 11_001, 100, "one strong difference, prevalence 1.0"),
    "medium": SuiteInfo("medium", 22_002, 100, "one moderate difference, prevalence 0.5-1.0"),
    "hard": SuiteInfo(
        "hard", 33_003, 100, "1-3 subtle differences, prevalence 0.25-0.6, 1-2 shared distractors"
    ),
    "null": SuiteInfo("null", 44_004, 200, "no difference (0-2 shared distractors)"),
    "heldout": SuiteInfo(
        "heldout", 55_005, 120, "held-out bases, difference x base combinations and magnitudes"
    ),
    "medical": SuiteInfo(
        "medical", 66_006, 100,
        "one medical difference on one medical base kind, prevalence 0.5-1.0",
        domain="medical",
    ),
    "medical-null": SuiteInfo(
        "medical-null", 77_007, 100,
        "no difference on one medical base kind (0-1 shared medical distractors)",
        domain="medical",
    ),
}

STREAM_TAG = 7_777  # seed-namespace tag of training streams: disjoint from every suite


@dataclass
class TaskSpec:
    """Everything :func:`make_task` needs, drawn without rendering pixels."""

    task_id: str
    seed: int
    differences: list[DiffSpec]
    distractors: list[DiffSpec] = field(default_factory=list)
    base: str = "mixed"
    split: str = "all"
    n_per_side: int = 50
    size: int = 128
    suite: str | None = None
    suite_version: str | None = None
    heldout_reason: str | None = None

    def render(self) -> Task:
        task = make_task(
            self.differences,
            n_per_side=self.n_per_side,
            size=self.size,
            base=self.base,
            seed=self.seed,
            distractors=self.distractors,
            task_id=self.task_id,
            split=self.split,
            suite=self.suite,
            suite_version=self.suite_version,
        )
        if self.heldout_reason:
            task.truth["heldout_reason"] = self.heldout_reason
        return task

    def base_kinds(self) -> list[str]:
        """Base kinds this spec can draw images from ("dir" for a folder)."""
        spec = parse_base(self.base, self.split)
        return ["dir"] if spec.folder is not None else list(spec.kinds)

    def all_s(self) -> list[float]:
        """Every magnitude used: each difference's s (and graded s_other) and distractor s."""
        out = []
        for d in [*self.differences, *self.distractors]:
            out.append(float(d.s))
            if d.graded:
                out.append(d.other_s())
        return out


# -- drawing helpers -----------------------------------------------------------------------------


def sampled_types(domain: str = "general") -> list[str]:
    """Difference ids of ``domain`` that suites and streams draw at random (see
    ``Difference.sampled`` and ``Difference.domain``)."""
    return [
        t for t in DIFFERENCES.list()
        if DIFFERENCES.get(t).sampled and DIFFERENCES.get(t).domain == domain
    ]


def _seed(*parts: int) -> int:
    return int(np.random.SeedSequence(list(parts)).generate_state(1, np.uint32)[0])


def _uniform_avoiding(
    rng: np.random.Generator, lo: float, hi: float, avoid_bands: bool = True
) -> float:
    """Uniform in [lo, hi], minus the held-out s bands when ``avoid_bands``; rounded to 1e-3."""
    if not avoid_bands:
        return round(float(rng.uniform(lo, hi)), 3)
    pieces = [(max(lo, a), min(hi, b)) for a, b in train_s_intervals()]
    pieces = [(a, b) for a, b in pieces if b > a]
    if not pieces:
        raise ValueError(f"s range [{lo}, {hi}] lies inside the held-out bands {HELDOUT_S_BANDS}")
    lengths = np.asarray([b - a for a, b in pieces])
    for _ in range(100):
        i = int(rng.choice(len(pieces), p=lengths / lengths.sum()))
        s = round(float(rng.uniform(*pieces[i])), 3)
        if not is_heldout_s(s):  # rounding can land on a band edge
            return s
    raise RuntimeError("could not draw s outside the held-out bands")


def _pick_types(
    rng: np.random.Generator,
    k: int,
    exclude_concepts: set[str],
    base_kind: str | None = None,
    avoid_combos: bool = True,
    need_gradable: bool = False,
) -> list[str]:
    """``k`` difference ids with distinct concepts (no brighter + darker in one task)."""
    chosen: list[str] = []
    concepts = set(exclude_concepts)
    ids = sampled_types()
    for _ in range(200):
        if len(chosen) == k:
            break
        tid = str(ids[int(rng.integers(len(ids)))])
        cls = DIFFERENCES.get(tid)
        if cls.concept_key() in concepts:
            continue
        if need_gradable and (not cls.gradable or cls.binary):
            continue
        if avoid_combos and base_kind is not None and is_heldout_combo(tid, base_kind):
            continue
        chosen.append(tid)
        concepts.add(cls.concept_key())
    if len(chosen) < k:
        raise RuntimeError(f"could not pick {k} compatible difference types")
    return chosen


def _train_base(rng: np.random.Generator, type_ids: Sequence[str], base: str) -> str:
    """A base string for training-split tasks that avoids every held-out combination.

    For "mixed", the kinds forming a held-out combination with any of ``type_ids`` are left
    out of the mix; a single kind that forms one is an error the caller must avoid.
    """
    if base.startswith("dir:"):
        return base
    spec = parse_base(base, "train")
    kinds = [k for k in spec.kinds if not any(is_heldout_combo(t, k) for t in type_ids)]
    if not kinds:
        raise ValueError(f"base {base!r} only has kinds held out for {list(type_ids)}")
    if len(spec.kinds) == 1:
        return kinds[0]
    if sorted(kinds) == sorted(MIXED_WEIGHTS) or (
        base == "mixed" and sorted(kinds) == sorted(TRAIN_BASE_KINDS)
    ):
        return "mixed"
    return "mixed:" + ",".join(kinds)


def _distractors(
    rng: np.random.Generator,
    k: int,
    exclude: set[str],
    base_kind: str | None,
    avoid_bands: bool = True,
) -> list[DiffSpec]:
    ids = _pick_types(rng, k, exclude, base_kind)
    return [
        DiffSpec(
            t,
            s=_uniform_avoiding(rng, 0.3, 1.0, avoid_bands),
            prevalence=round(float(rng.uniform(0.3, 1.0)), 3),
            target="A",
        )
        for t in ids
    ]


def _concepts(type_ids: Sequence[str]) -> set[str]:
    return {DIFFERENCES.get(t).concept_key() for t in type_ids}


# -- suites ------------------------------------------------------------------------------------


def suite_spec(
    name: str, index: int, *, n_per_side: int = 50, size: int = 128, seed_offset: int = 0
) -> TaskSpec:
    """The spec of task ``index`` of suite ``name`` (deterministic, versioned).

    ``seed_offset`` (default 0: the suite itself) draws from the suite's recipe with its
    seed plus the offset: development tasks the benchmark never uses.
    """
    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; known: {', '.join(SUITES)}")
    info = SUITES[name]
    suite_seed = info.seed + int(seed_offset)
    rng = np.random.default_rng([suite_seed, int(info.version), index])
    seed = _seed(suite_seed, int(info.version), index, 1)
    common: dict[str, Any] = {
        "task_id": f"{name}-{index:04d}",
        "seed": seed,
        "n_per_side": n_per_side,
        "size": size,
        "suite": name,
        "suite_version": info.version,
    }
    target = "A" if rng.random() < 0.5 else "B"
    if name == "heldout":
        return _heldout_spec(rng, target, index, common)
    return _SUITE_RECIPES[name](rng, target, common)


def _easy_spec(rng: np.random.Generator, target: str, common: dict[str, Any]) -> TaskSpec:
    """One strong difference in every image of its set."""
    (tid,) = _pick_types(rng, 1, set())
    d = DiffSpec(tid, s=_uniform_avoiding(rng, 0.85, 1.0), prevalence=1.0, target=target)
    return TaskSpec(
        differences=[d], base=_train_base(rng, [tid], "mixed"), split="train", **common
    )


def _medium_spec(rng: np.random.Generator, target: str, common: dict[str, Any]) -> TaskSpec:
    """One moderate difference in half or more of its set."""
    (tid,) = _pick_types(rng, 1, set())
    d = DiffSpec(
        tid,
        s=_uniform_avoiding(rng, 0.45, 0.8),
        prevalence=round(float(rng.uniform(0.5, 1.0)), 3),
        target=target,
    )
    return TaskSpec(
        differences=[d], base=_train_base(rng, [tid], "mixed"), split="train", **common
    )


def _hard_spec(rng: np.random.Generator, target: str, common: dict[str, Any]) -> TaskSpec:
    """One to three subtle differences in a quarter to 60 % of the set, 1-2 distractors."""
    k = int(rng.integers(1, 4))
    ids = _pick_types(rng, k, set())
    diffs = [_hard_diff(rng, t, target) for t in ids]
    dists = _distractors(rng, int(rng.integers(1, 3)), _concepts(ids), None)
    base = _train_base(rng, ids + [d.type_id for d in dists], "mixed")
    return TaskSpec(differences=diffs, distractors=dists, base=base, split="train", **common)


def _hard_diff(rng: np.random.Generator, type_id: str, target: str) -> DiffSpec:
    """A subtle difference of the hard suite: a quarter of gradable ones graded."""
    cls = DIFFERENCES.get(type_id)
    if cls.gradable and not cls.binary and rng.random() < 0.25:
        s = _uniform_avoiding(rng, 0.5, 0.9)
        return DiffSpec(
            type_id,
            s=s,
            prevalence=round(float(rng.uniform(0.25, 0.6)), 3),
            target=target,
            graded=True,
            s_other=_uniform_avoiding(rng, 0.1, 0.5 * s),
        )
    return DiffSpec(
        type_id,
        s=_uniform_avoiding(rng, 0.15, 0.45),
        prevalence=round(float(rng.uniform(0.25, 0.6)), 3),
        target=target,
    )


def _null_spec(rng: np.random.Generator, target: str, common: dict[str, Any]) -> TaskSpec:
    """No difference; zero to two distractors shared by both sets (``target`` unused)."""
    dists = _distractors(rng, int(rng.integers(0, 3)), set(), None)
    base = _train_base(rng, [d.type_id for d in dists], "mixed")
    return TaskSpec(differences=[], distractors=dists, base=base, split="train", **common)


def _heldout_spec(
    rng: np.random.Generator, target: str, index: int, common: dict[str, Any]
) -> TaskSpec:
    """A task new in one named way (by ``index``): its bases, its combination or its magnitude."""
    reason = ("base", "combination", "magnitude")[index % 3]
    prevalence = round(float(rng.uniform(0.6, 1.0)), 3)
    if reason == "base":
        (tid,) = _pick_types(rng, 1, set(), avoid_combos=False)
        d = DiffSpec(tid, s=_uniform_avoiding(rng, 0.55, 1.0), prevalence=prevalence, target=target)
        return TaskSpec(
            differences=[d], base="mixed", split="heldout", heldout_reason=reason, **common
        )
    if reason == "combination":
        combos = sorted(HELDOUT_COMBOS)
        tid, kind = combos[int(rng.integers(len(combos)))]
        d = DiffSpec(tid, s=_uniform_avoiding(rng, 0.55, 1.0), prevalence=prevalence, target=target)
        return TaskSpec(differences=[d], base=kind, split="train", heldout_reason=reason, **common)
    (tid,) = _pick_types(rng, 1, set())
    lo, hi = HELDOUT_S_BANDS[int(rng.integers(len(HELDOUT_S_BANDS)))]
    s = round(float(rng.uniform(lo, hi - 1e-3)), 3)
    d = DiffSpec(tid, s=s, prevalence=prevalence, target=target)
    return TaskSpec(
        differences=[d],
        base=_train_base(rng, [tid], "mixed"),
        split="train",
        heldout_reason=reason,
        **common,
    )


def _medical_pick(rng: np.random.Generator, kind: str | None = None) -> tuple[str, str]:
    """A medical difference type and a base kind it applies to (one of ``kind``'s, if given)."""
    ids = sampled_types("medical")
    if kind is not None:
        ids = [t for t in ids if kind in DIFFERENCES.get(t).base_kinds]
    tid = str(ids[int(rng.integers(len(ids)))])
    kinds = DIFFERENCES.get(tid).base_kinds
    return tid, kind or str(kinds[int(rng.integers(len(kinds)))])


def _medical_spec(rng: np.random.Generator, target: str, common: dict[str, Any]) -> TaskSpec:
    """One medical difference in half or more of its set, on one medical base kind."""
    tid, kind = _medical_pick(rng)
    d = DiffSpec(
        tid,
        s=_uniform_avoiding(rng, 0.5, 1.0),
        prevalence=round(float(rng.uniform(0.5, 1.0)), 3),
        target=target,
    )
    return TaskSpec(differences=[d], base=kind, split="train", **common)


def _medical_null_spec(
    rng: np.random.Generator, target: str, common: dict[str, Any]
) -> TaskSpec:
    """No difference on one medical base kind; half the tasks share one medical distractor."""
    kinds = sorted({k for t in sampled_types("medical") for k in DIFFERENCES.get(t).base_kinds})
    kind = kinds[int(rng.integers(len(kinds)))]
    dists = []
    if rng.random() < 0.5:
        tid, _ = _medical_pick(rng, kind)
        dists.append(DiffSpec(tid, s=_uniform_avoiding(rng, 0.3, 1.0),
                              prevalence=round(float(rng.uniform(0.3, 1.0)), 3), target="A"))
    return TaskSpec(differences=[], distractors=dists, base=kind, split="train", **common)


# The recipe of each suite but "heldout" (whose recipe also needs the task index).
_SUITE_RECIPES: dict[str, Callable[[np.random.Generator, str, dict[str, Any]], TaskSpec]] = {
    "easy": _easy_spec,
    "medium": _medium_spec,
    "hard": _hard_spec,
    "null": _null_spec,
    "medical": _medical_spec,
    "medical-null": _medical_null_spec,
}


def suite_specs(
    name: str,
    *,
    n_tasks: int | None = None,
    n_per_side: int = 50,
    size: int = 128,
    seed_offset: int = 0,
) -> Iterator[TaskSpec]:
    """Specs of the first ``n_tasks`` tasks (default: all) of suite ``name``.

    ``seed_offset`` (default 0: the suite's own tasks) draws the tasks from the suite's
    recipe with its seed plus the offset: *development* draws, disjoint from the benchmark
    in practice, for tuning without looking at the benchmark's tasks. Their task ids are
    the suite's (``easy-0000``...), so write them to a folder of their own.
    """
    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; known: {', '.join(SUITES)}")
    total = SUITES[name].n_tasks if n_tasks is None else int(n_tasks)
    if total < 0:
        raise ValueError(f"n_tasks must be >= 0, got {n_tasks}")
    for i in range(total):
        yield suite_spec(name, i, n_per_side=n_per_side, size=size, seed_offset=seed_offset)


def make_suite(
    name: str, *, n_tasks: int | None = None, n_per_side: int = 50, size: int = 128
) -> Iterator[Task]:
    """Render the tasks of suite ``name`` one at a time (deterministic, versioned).

    Parameters
    ----------
    name : str
        One of :data:`SUITES`: "easy", "medium", "hard", "null", "heldout", "medical",
        "medical-null".
    n_tasks : int, optional
        First ``n_tasks`` tasks only (a prefix of the full suite: task i is the same task
        whatever ``n_tasks`` is).
    n_per_side, size : int
        Images per set and image side.
    """
    for spec in suite_specs(name, n_tasks=n_tasks, n_per_side=n_per_side, size=size):
        yield spec.render()


# -- training streams ------------------------------------------------------------------------------


def training_spec(
    rng: np.random.Generator,
    difficulty: float,
    *,
    task_id: str,
    seed: int,
    n_per_side: int = 16,
    size: int = 64,
    base: str = "mixed",
    p_null: float = 0.1,
    max_differences: int = 3,
    max_distractors: int = 2,
    types: Sequence[str] | None = None,
) -> TaskSpec:
    """One training task spec at ``difficulty`` in [0, 1] (0 = one strong, obvious difference).

    Difficulty lowers s and prevalence and raises the number of differences and distractors
    (:class:`~tellapart.synth.levels.Difficulty`). The spec never uses a held-out base,
    combination or magnitude.
    """
    level = Difficulty(difficulty)
    pool = list(types) if types is not None else sampled_types()
    for t in pool:
        create_difference(t)  # unknown ids fail here, with the list of known ones
    kinds = parse_base(base, "train")
    single_kind = (
        None if kinds.folder is not None or len(kinds.kinds) > 1 else next(iter(kinds.kinds))
    )
    n_diff = (
        0
        if rng.random() < p_null
        else 1 + int(rng.binomial(max(0, max_differences - 1), level.p_extra_difference))
    )
    ids, concepts = _stream_type_ids(rng, pool, n_diff, single_kind)
    diffs = [_stream_diff(rng, t, level) for t in ids]
    n_dist = int(rng.binomial(max_distractors, level.p_distractor)) if max_distractors else 0
    dists = _distractors(rng, n_dist, concepts, single_kind) if n_dist else []
    all_ids = ids + [d.type_id for d in dists]
    return TaskSpec(
        task_id=task_id,
        seed=seed,
        differences=diffs,
        distractors=dists,
        base=_train_base(rng, all_ids, base),
        split="train",
        n_per_side=n_per_side,
        size=size,
        suite="stream",
    )


def _stream_type_ids(
    rng: np.random.Generator, pool: Sequence[str], n_diff: int, single_kind: str | None
) -> tuple[list[str], set[str]]:
    """Up to ``n_diff`` random types of ``pool``, one per concept, none held out on the base
    kind (200 draws at most); and their concepts."""
    ids: list[str] = []
    concepts: set[str] = set()
    for _ in range(200):
        if len(ids) == n_diff:
            break
        t = pool[int(rng.integers(len(pool)))]
        c = DIFFERENCES.get(t).concept_key()
        if c in concepts or (single_kind and is_heldout_combo(t, single_kind)):
            continue
        ids.append(t)
        concepts.add(c)
    return ids, concepts


def _stream_diff(rng: np.random.Generator, type_id: str, level: Difficulty) -> DiffSpec:
    """Difference ``type_id`` of a stream task: its target set, prevalence and strength."""
    cls = DIFFERENCES.get(type_id)
    target = "A" if rng.random() < 0.5 else "B"
    prevalence = round(float(rng.uniform(level.prevalence_low, 1.0)), 3)
    if cls.gradable and not cls.binary and rng.random() < level.p_graded:
        s = _uniform_avoiding(rng, 0.5, 1.0)
        return DiffSpec(
            type_id,
            s=s,
            prevalence=prevalence,
            target=target,
            graded=True,
            s_other=_uniform_avoiding(rng, 0.05, 0.6 * s),
        )
    s_lo, s_hi = level.strength
    return DiffSpec(
        type_id, s=_uniform_avoiding(rng, s_lo, s_hi), prevalence=prevalence, target=target
    )


def stream_task_specs(
    seed: int = 0,
    *,
    level: str | float = "curriculum",
    n_tasks: int | None = None,
    curriculum_tasks: int = 20_000,
    n_per_side: int = 16,
    size: int = 64,
    base: str = "mixed",
    p_null: float = 0.1,
    max_differences: int = 3,
    max_distractors: int = 2,
    types: Sequence[str] | None = None,
) -> Iterator[TaskSpec]:
    """Training task specs, endless unless ``n_tasks`` is given; see :func:`stream_tasks`."""
    if isinstance(level, str) and level not in STREAM_LEVELS and level != "curriculum":
        raise ValueError(
            f"level must be 'curriculum', {', '.join(STREAM_LEVELS)} or a number in [0, 1], "
            f"got {level!r}"
        )
    i = 0
    while n_tasks is None or i < n_tasks:
        if level == "curriculum":
            difficulty = min(1.0, i / max(1, curriculum_tasks))
        elif isinstance(level, str):
            difficulty = STREAM_LEVELS[level]
        else:
            difficulty = float(level)
        rng = np.random.default_rng([STREAM_TAG, int(seed), i])
        yield training_spec(
            rng,
            difficulty,
            task_id=f"stream-{seed}-{i:07d}",
            seed=_seed(STREAM_TAG, int(seed), i, 1),
            n_per_side=n_per_side,
            size=size,
            base=base,
            p_null=p_null,
            max_differences=max_differences,
            max_distractors=max_distractors,
            types=types,
        )
        i += 1


def stream_tasks(
    seed: int = 0,
    *,
    level: str | float = "curriculum",
    n_tasks: int | None = None,
    curriculum_tasks: int = 20_000,
    n_per_side: int = 16,
    size: int = 64,
    base: str = "mixed",
    p_null: float = 0.1,
    max_differences: int = 3,
    max_distractors: int = 2,
    types: Sequence[str] | None = None,
) -> Iterator[Task]:
    """Training tasks generated on the fly (no disk), deterministic from ``seed``.

    Parameters
    ----------
    seed : int
        Stream seed; different seeds give independent streams. Streams never share seeds with
        the suites.
    level : "curriculum", "easy", "medium", "hard" or float in [0, 1]
        Difficulty. "curriculum" ramps from 0 to 1 over ``curriculum_tasks`` tasks.
    n_tasks : int, optional
        Stop after this many tasks (endless by default).
    n_per_side, size : int
        Images per set and image side.
    base : str
        Base kinds to draw from (held-out photos, faces and kinds are always excluded).
    p_null : float
        Probability of a task with no difference.
    max_differences, max_distractors : int
        Upper bounds on differences and shared distractors per task.
    types : sequence of str, optional
        Restrict the difference types used.

    Yields
    ------
    Task
        With ``truth["suite"] == "stream"``.
    """
    for spec in stream_task_specs(
        seed,
        level=level,
        n_tasks=n_tasks,
        curriculum_tasks=curriculum_tasks,
        n_per_side=n_per_side,
        size=size,
        base=base,
        p_null=p_null,
        max_differences=max_differences,
        max_distractors=max_distractors,
        types=types,
    ):
        yield spec.render()
