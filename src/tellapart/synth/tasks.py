"""Task composer: two image sets that differ by known differences, and their ground truth.

A task draws ``n_per_side`` base images per set, applies each requested difference to a
``prevalence`` fraction of the target set (graded differences to both sets, the target more),
applies distractors to both sets at the same rate, and records everything in ``truth``.
Everything is deterministic from ``seed``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..edits.differences import DIFFERENCES, FAMILIES, Difference, create_difference
from .bases import BaseSampler

TRUTH_VERSION = 1


@dataclass
class DiffSpec:
    """One requested difference (or distractor).

    Attributes
    ----------
    type_id : str
        Registered difference id.
    s : float
        Strength knob in [0, 1] for the target set.
    prevalence : float
        Fraction of the target set's images changed (of both sets for distractors/graded).
    target : str
        "A" or "B": the set that has the difference (graded: the set that has more of it).
    params : dict or None
        Explicit parameters overriding the ``s`` mapping and the random draws.
    graded : bool
        Both sets are changed, the target with ``s`` and the other with ``s_other``.
    s_other : float or None
        Strength in the other set for graded differences; default ``0.4 * s``.
    """

    type_id: str
    s: float = 1.0
    prevalence: float = 1.0
    target: str = "A"
    params: dict[str, Any] | None = None
    graded: bool = False
    s_other: float | None = None

    def validate(self, role: str = "difference") -> Difference:
        if self.type_id not in DIFFERENCES:
            raise ValueError(
                f"unknown {role} type {self.type_id!r}; known: {', '.join(DIFFERENCES.list())}"
            )
        for name, v in (("s", self.s), ("prevalence", self.prevalence)):
            if not (isinstance(v, int | float) and 0.0 <= float(v) <= 1.0):
                raise ValueError(f"{role} {self.type_id}: {name} must be in [0, 1], got {v!r}")
        if self.target not in ("A", "B"):
            raise ValueError(
                f"{role} {self.type_id}: target must be 'A' or 'B', got {self.target!r}"
            )
        diff = create_difference(self.type_id)
        if self.graded:
            if not diff.gradable or diff.binary:
                raise ValueError(f"difference {self.type_id!r} cannot be graded")
            so = self.other_s()
            if not 0.0 <= so <= float(self.s):
                raise ValueError(f"graded {self.type_id}: s_other must be in [0, s], got {so}")
        return diff

    def other_s(self) -> float:
        return float(self.s_other) if self.s_other is not None else round(0.4 * float(self.s), 4)


@dataclass
class Task:
    """Two image sets and the truth about how they differ.

    Attributes
    ----------
    task_id : str
    images_a, images_b : list of np.ndarray
        uint8 (H, W, 3) images of set A and set B.
    truth : dict
        The ``truth.json`` content (see :func:`make_task`).
    """

    task_id: str
    images_a: list[np.ndarray]
    images_b: list[np.ndarray]
    truth: dict[str, Any] = field(default_factory=dict)

    @property
    def sentences(self) -> list[str]:
        """Canonical sentences of the true differences (empty for a null task)."""
        return [d["sentence"] for d in self.truth.get("differences", [])]


def filename(side: str, index: int) -> str:
    """Relative path of image ``index`` of set ``side`` inside a written task: "a/0007.png"."""
    return f"{side.lower()}/{index:04d}.png"


def _affected(rng: np.random.Generator, n: int, prevalence: float) -> list[int]:
    k = n_affected(prevalence, n)
    return sorted(int(i) for i in rng.choice(n, size=k, replace=False))


def _json_params(p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in p.items():
        if isinstance(v, np.generic):
            v = v.item()
        out[k] = round(v, 6) if isinstance(v, float) else v
    return out


def make_task(
    differences: Sequence[DiffSpec] = (),
    *,
    n_per_side: int = 50,
    size: int = 128,
    base: str = "mixed",
    seed: int = 0,
    distractors: Sequence[DiffSpec] = (),
    task_id: str | None = None,
    split: str = "all",
    suite: str | None = None,
    suite_version: str | None = None,
) -> Task:
    """Compose one task: two sets of base images, changed by known differences.

    Parameters
    ----------
    differences : sequence of DiffSpec
        The true differences (0-3 typical; empty = null task).
    n_per_side : int
        Images per set.
    size : int
        Image side in pixels.
    base : str
        Base kind: "shapes", "textures", "smooth", "deadleaves", "mosaic", "photos", "faces",
        "mixed", "mixed:KIND,KIND" or "dir:PATH".
    seed : int
        Seed of every random choice; equal arguments give equal pixels.
    distractors : sequence of DiffSpec
        Changes applied to both sets at the same rate (``prevalence``); never differences.
    task_id : str, optional
        Defaults to ``"task-<seed>"``.
    split : str
        Which base images may be used: one of :data:`~tellapart.synth.bases.SPLITS`.
    suite, suite_version : str, optional
        Recorded in the truth.

    Returns
    -------
    Task
        ``truth`` holds task_id, suite, suite_version, seed, base, size, n_per_side,
        differences (type_id, family, s, params, prevalence, target, graded, sentence,
        paraphrases, phrase, affected), distractors (the same without affected), null,
        and the base image of every file (``bases``).
    """
    if not isinstance(n_per_side, int | np.integer) or n_per_side < 1:
        raise ValueError(f"n_per_side must be a positive integer, got {n_per_side!r}")
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    diffs = [d.validate("difference") for d in differences]
    dists = [d.validate("distractor") for d in distractors]
    n = int(n_per_side)
    seed = int(seed)
    # A mirror difference would be invisible if bases were randomly mirrored too.
    allow_flip = not any(d.type_id == "mirrored" for d in differences)
    images, base_desc = _draw_bases(BaseSampler(base, size, split), n, seed, allow_flip)
    ops: _Ops = {"A": [[] for _ in range(n)], "B": [[] for _ in range(n)]}
    task_rng = np.random.default_rng([seed, 0])
    truth_diffs, op_no = _plan_differences(ops, differences, diffs, n, task_rng)
    truth_dists = _plan_distractors(ops, distractors, dists, n, task_rng, op_no)
    _apply_ops(images, ops, seed)

    tid = task_id or f"task-{seed}"
    truth: dict[str, Any] = {
        "truth_version": TRUTH_VERSION,
        "task_id": tid,
        "suite": suite,
        "suite_version": suite_version,
        "seed": seed,
        "base": base,
        "split": split,
        "size": int(size),
        "n_per_side": n,
        "differences": truth_diffs,
        "distractors": truth_dists,
        "null": not truth_diffs,
        "bases": {"a": base_desc["A"], "b": base_desc["B"]},
    }
    return Task(tid, images["A"], images["B"], truth)


# ops[side][i]: the changes of image i of a set, as (family order, op order, difference, s,
# params); they are applied sorted by family, then op order.
_Op = tuple[int, int, Difference, float, dict[str, Any] | None]
_Ops = dict[str, list[list[_Op]]]


def _draw_bases(
    sampler: BaseSampler, n: int, seed: int, allow_flip: bool
) -> tuple[dict[str, list[np.ndarray]], dict[str, list[str]]]:
    """``n`` base images per set, each from its own seeded generator, and "kind:source" of each."""
    images: dict[str, list[np.ndarray]] = {"A": [], "B": []}
    base_desc: dict[str, list[str]] = {"A": [], "B": []}
    for side_no, side in enumerate("AB"):
        for i in range(n):
            rng = np.random.default_rng([seed, 1, side_no, i])
            img, info = sampler.sample(rng, allow_flip=allow_flip)
            images[side].append(img)
            base_desc[side].append(f"{info['kind']}:{info['source']}")
    return images, base_desc


def _plan_differences(
    ops: _Ops,
    specs: Sequence[DiffSpec],
    diffs: Sequence[Difference],
    n: int,
    task_rng: np.random.Generator,
) -> tuple[list[dict[str, Any]], int]:
    """Add each difference's changes to ``ops`` (the target set's affected images; graded:
    the other set's too); returns their truth entries and the next op number."""
    truth_diffs: list[dict[str, Any]] = []
    op_no = 0
    for spec, diff in zip(specs, diffs, strict=True):
        other = "B" if spec.target == "A" else "A"
        plan = [(spec.target, float(spec.s))]
        if spec.graded:
            plan.append((other, spec.other_s()))
        affected: list[str] = []
        for side, s in plan:
            idx = _affected(task_rng, n, float(spec.prevalence))
            for i in idx:
                ops[side][i].append((FAMILIES.index(diff.family), op_no, diff, s, spec.params))
                affected.append(filename(side, i))
            op_no += 1
        entry = _describe(spec, diff)
        entry["affected"] = affected
        truth_diffs.append(entry)
    return truth_diffs, op_no


def _plan_distractors(
    ops: _Ops,
    specs: Sequence[DiffSpec],
    dists: Sequence[Difference],
    n: int,
    task_rng: np.random.Generator,
    op_no: int,
) -> list[dict[str, Any]]:
    """Add each distractor's changes to ``ops``, at the same rate in both sets; their truth."""
    truth_dists: list[dict[str, Any]] = []
    for spec, diff in zip(specs, dists, strict=True):
        for side in "AB":
            for i in _affected(task_rng, n, float(spec.prevalence)):
                ops[side][i].append(
                    (FAMILIES.index(diff.family), op_no, diff, float(spec.s), spec.params)
                )
            op_no += 1
        entry = _describe(spec, diff)
        entry["target"] = "both"
        truth_dists.append(entry)
    return truth_dists


def _apply_ops(images: dict[str, list[np.ndarray]], ops: _Ops, seed: int) -> None:
    """Apply every planned change in place, each with its own seeded generator."""
    for side_no, side in enumerate("AB"):
        for i in range(len(images[side])):
            for _, k, diff, s, params in sorted(ops[side][i], key=lambda o: (o[0], o[1])):
                rng = np.random.default_rng([seed, 2, side_no, i, k])
                images[side][i] = diff.apply(images[side][i], s, rng, params)


def _describe(spec: DiffSpec, diff: Difference) -> dict[str, Any]:
    params = dict(diff.magnitude(float(spec.s)))
    if spec.params:
        params.update(spec.params)
    entry: dict[str, Any] = {
        "type_id": diff.name,
        "family": diff.family,
        "s": round(float(spec.s), 6),
        "params": _json_params(params),
        "prevalence": round(float(spec.prevalence), 6),
        "target": spec.target,
        "graded": bool(spec.graded),
        "sentence": diff.sentence_for(spec.target, graded=spec.graded),
        "paraphrases": diff.paraphrases_for(spec.target),
        "phrase": diff.phrase,
    }
    if spec.graded:
        entry["s_other"] = round(spec.other_s(), 6)
        entry["params_other"] = _json_params(diff.magnitude(spec.other_s()))
    return entry


# -- writing -------------------------------------------------------------------------------------


def write_task(task: Task, out_dir: str | Path, *, contact_sheet: bool = True) -> Path:
    """Write ``task`` as ``out_dir/a/*.png``, ``out_dir/b/*.png``, ``truth.json`` (+ contact sheet).

    Returns
    -------
    Path
        ``out_dir``.
    """
    out = Path(out_dir)
    for side, imgs in (("a", task.images_a), ("b", task.images_b)):
        d = out / side
        d.mkdir(parents=True, exist_ok=True)
        # images left by an earlier, larger task in the same folder would join this set
        keep = {Path(filename(side, i)).name for i in range(len(imgs))}
        for old in d.glob("[0-9][0-9][0-9][0-9]*.png"):
            if old.name not in keep and old.stem.isdigit():
                old.unlink()
        for i, img in enumerate(imgs):
            Image.fromarray(img).save(out / filename(side, i), compress_level=1)
    with open(out / "truth.json", "w", encoding="utf-8") as fh:
        json.dump(task.truth, fh, indent=2)
        fh.write("\n")
    if contact_sheet:
        render_contact_sheet(task).save(out / "contact_sheet.png", compress_level=1)
    return out


def caption_lines(truth: dict[str, Any]) -> list[str]:
    """Human-readable lines describing a task's truth (for contact sheets and listings)."""
    lines = [
        f"{truth.get('task_id')}  suite={truth.get('suite')}  base={truth.get('base')}  "
        f"size={truth.get('size')}  n={truth.get('n_per_side')}/side"
    ]
    if truth.get("heldout_reason"):
        lines.append(f"held out by: {truth['heldout_reason']}")
    if truth.get("null"):
        lines.append("NULL TASK: no difference between A and B")
    for d in truth.get("differences", []):
        extra = f", B s={d['s_other']}" if d.get("graded") else ""
        lines.append(
            f"TRUE: {d['sentence']}  [{d['type_id']}, s={d['s']}{extra}, "
            f"prevalence={d['prevalence']}, {len(d['affected'])} images]"
        )
    for d in truth.get("distractors", []):
        lines.append(
            f"distractor (both sets, not a difference): {d['type_id']} s={d['s']} "
            f"prevalence={d['prevalence']}"
        )
    return lines


def render_contact_sheet(task: Task, k: int = 6, thumb: int = 128) -> Image.Image:
    """A few images of A above a few of B, with the truth as caption (PIL default font)."""
    k = max(1, min(k, len(task.images_a), len(task.images_b)))
    affected = {f for d in task.truth.get("differences", []) for f in d.get("affected", [])}
    fnt = ImageFont.load_default()
    pad, label_h, line_h = 6, 14, 13
    width = pad + k * (thumb + pad)
    raw = caption_lines(task.truth)
    max_chars = max(30, (width - 2 * pad) // 6)
    lines = [piece for ln in raw for piece in _wrap(ln, max_chars)]
    cap_h = pad + line_h * len(lines) + pad
    height = cap_h + 2 * (label_h + thumb + pad) + pad
    sheet = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for j, ln in enumerate(lines):
        draw.text((pad, pad + j * line_h), ln, fill=(0, 0, 0), font=fnt)
    for row, (side, imgs) in enumerate((("A", task.images_a), ("B", task.images_b))):
        y = cap_h + row * (label_h + thumb + pad)
        for i in range(k):
            x = pad + i * (thumb + pad)
            name = filename(side, i)
            mark = " *" if name in affected else ""
            draw.text(
                (x, y), f"{side}: {name}{mark}", fill=(160, 0, 0) if mark else (0, 0, 0), font=fnt
            )
            im = Image.fromarray(imgs[i])
            if im.size != (thumb, thumb):
                im = im.resize(
                    (thumb, thumb),
                    Image.Resampling.NEAREST if im.width < thumb else Image.Resampling.BOX,
                )
            sheet.paste(im, (x, y + label_h))
    return sheet


def _wrap(text: str, width: int) -> list[str]:
    words = text.split(" ")
    lines: list[str] = []
    cur = ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    lines.append(cur)
    return lines if lines else [""]


def n_affected(prevalence: float, n: int) -> int:
    """How many of ``n`` images a difference with ``prevalence`` changes."""
    k = int(round(prevalence * n))
    # a requested difference touches at least one image, however low its prevalence
    return min(n, max(k, 1)) if prevalence > 0 and n > 0 else k
