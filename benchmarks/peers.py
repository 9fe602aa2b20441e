"""tellapart side by side with Deepchecks Vision, alibi-detect and CleanVision, same tasks, one run.

Needs the optional ``peers`` extra in its own virtual environment (docs/peers.md gives the
install recipe); the tellapart package never imports these tools, only this script does::

    PY=~/.venvs/peers/bin/python
    $PY benchmarks/peers.py run --seeds report --n 20 50 200 --tasks 4 --out peers_out
    $PY benchmarks/peers.py throughput --n 1000 --out peers_out
    $PY benchmarks/peers.py report --out peers_out --docs docs

Tasks (``--seeds dev`` draws development tasks, ``--seeds report`` the reporting ones):

* ``easy``, ``medium``, ``heldout``, ``null``: tellapart's synthetic suites
  (:func:`tellapart.synth.suite_specs`; reporting tasks are the suites' own, development tasks
  use ``seed_offset=DEV_OFFSET``), rendered at 128 px;
* ``edits``: held-out bundled photographs, set A changed by one of the 16 edits of
  ``independent_edits_third.py`` (written blind to the repository), as in
  ``describer_edits.py independent --edits third``; the types that count as naming an edit are
  those listed there.

Every tool sees the same two folders of PNG files. The array-taking peers (Deepchecks,
alibi-detect on pixels) get the images decoded by :func:`tellapart.io.decode_image` (as
uint8 RGB), and that decoding time is added to their wall time; CleanVision reads the files
itself; alibi-detect on the measurement table gets tellapart's table
(:func:`tellapart.measure.compute_features`) and its time includes measuring.

Per tool and task: *detected* (the tool says the sets differ, at its own default: a p-value
below 0.05 where it gives one, Deepchecks' default conditions where it does not), *named*
(detected, and the top-blamed property, as a measurement concept through
``peers_mapping.py``, matches a true difference under the benchmark judge; for tellapart
its first significant finding), and the wall time of the call (no feature cache, models
already loaded in the process: warm imports, cold data).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers_mapping import CLEANVISION_ISSUES, DEEPCHECKS_PROPERTIES, PeerMapping  # noqa: E402

SIZE = 128
DEV_OFFSET = 5_000
"""Seed offset of the development draws of the synthetic suites (reporting: 0, the suites)."""
EDIT_SEEDS = {"dev": 1_021, "report": 21}
"""First seed part of the edited-photograph tasks (development vs reporting)."""
SUITES = ("easy", "medium", "heldout", "edits", "null")
ALPHA = 0.05
PIXEL_SIDE = 16
"""alibi-detect's raw-pixel input: images box-downsampled to 16 x 16 x 3 = 768 features."""


# -- tasks -------------------------------------------------------------------------------------


@dataclass
class Task:
    """One comparison: two folders of PNG files and the truths that count as naming it."""

    suite: str
    n: int
    task_id: str
    dir_a: Path
    dir_b: Path
    truths: list[Any]  # tellapart.bench.Truth
    label: str


def synth_task(suite: str, n: int, index: int, seeds: str, root: Path) -> Task:
    """Render task ``index`` of a synthetic suite with ``n`` images per side."""
    from tellapart.bench import Truth
    from tellapart.synth import suite_specs, write_task

    offset = DEV_OFFSET if seeds == "dev" else 0
    spec = list(suite_specs(suite, n_tasks=index + 1, n_per_side=n, size=SIZE,
                            seed_offset=offset))[index]
    task_dir = root / f"{suite}-{n}-{index:03d}"
    rendered = spec.render()
    write_task(rendered, task_dir, contact_sheet=False)
    diffs = rendered.truth.get("differences", [])
    truths = [Truth.from_dict(d) for d in diffs]
    label = ", ".join(f"{d['type_id']}({d.get('target', 'A')})" for d in diffs) or "null"
    return Task(suite, n, spec.task_id, task_dir / "a", task_dir / "b", truths, label)


def edit_task(n: int, index: int, seeds: str, root: Path) -> Task:
    """Held-out photographs, set A changed by blind edit ``5 * index % 16``."""
    from describer_edits import accepted_truths, third_edits, write_sets

    from tellapart.synth.bases import BaseSampler

    edits = third_edits()
    # 5 is prime to 16: the first tasks spread over the list, 16 tasks use every edit once
    name, edit, accepted = edits[(5 * index) % len(edits)]
    task_dir = root / f"edits-{n}-{index:03d}"
    folders = write_sets(task_dir, BaseSampler("photos", SIZE, "heldout"), edit, n,
                         [EDIT_SEEDS[seeds], index])
    return Task("edits", n, f"edits-{index:03d}", folders["a"], folders["b"],
                accepted_truths(accepted), name)


def make_task(suite: str, n: int, index: int, seeds: str, root: Path) -> Task:
    if suite == "edits":
        return edit_task(n, index, seeds, root)
    return synth_task(suite, n, index, seeds, root)


def decode_folder(folder: Path) -> list[np.ndarray]:
    """The folder's images as tellapart decodes them, as uint8 RGB arrays."""
    from tellapart.io import decode_image, read_file

    out = []
    for path in sorted(folder.iterdir()):
        rgb = decode_image(read_file(str(path)), str(path), "A").rgb
        out.append(np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8))
    return out


# -- results ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One tool on one task."""

    tool: str
    detected: bool
    named: bool
    seconds: float
    top: str = ""  # the top-blamed property or finding
    concept: str = ""  # the measurement concept handed to the judge
    why: str = ""  # the judge's reason, or why nothing was judged
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Inputs:
    """What the tools get for one task (decoded once)."""

    task: Task
    images_a: list[np.ndarray]
    images_b: list[np.ndarray]
    decode_s: float


def judge_concept(judge: Any, task: Task, concept: str, more_in: str) -> tuple[bool, str]:
    """Does the measurement concept ``concept`` name one of the task's truths (judge step 2)?"""
    from tellapart.bench.lexicon import MEASUREMENT_TYPES

    if concept.partition(":")[0] not in MEASUREMENT_TYPES:
        return False, f"{concept} is not in the judge's measurement table"
    reasons = []
    for truth in task.truths:
        decision = judge.judge("", more_in, truth, concept)
        if decision.match:
            return True, decision.reason
        reasons.append(decision.reason)
    return False, "; ".join(reasons) or "null task"


def mapped_concept(mapping: PeerMapping, prop: str, a_has_more: bool) -> tuple[str, str] | None:
    """The measurement concept (direction as set A compares) and more_in for a peer property."""
    entry = mapping.get(prop)
    if entry is None:
        return None
    measurement, sign = entry
    a_higher = a_has_more if sign > 0 else not a_has_more
    return f"{measurement}:{'higher' if a_higher else 'lower'}", "A" if a_has_more else "B"


def name_outcome(out: Outcome, judge: Any, task: Task, mapping: PeerMapping | None,
                 a_has_more: bool) -> Outcome:
    """Fill ``named`` from the top property (``out.top``) through ``mapping`` and the judge
    (``mapping=None``: the property is a tellapart measurement itself)."""
    if not out.detected or not out.top:
        out.why = out.why or "not detected"
        return out
    if mapping is None:
        mapped: tuple[str, str] | None = (
            f"{out.top}:{'higher' if a_has_more else 'lower'}", "A" if a_has_more else "B")
    else:
        mapped = mapped_concept(mapping, out.top, a_has_more)
    if mapped is None:
        out.why = f"{out.top} names no visual property"
        return out
    out.concept = mapped[0]
    if task.truths:
        out.named, out.why = judge_concept(judge, task, mapped[0], mapped[1])
    return out


# -- tools ----------------------------------------------------------------------------------------


def run_tellapart(inputs: Inputs, judge: Any) -> Outcome:
    """``tellapart.compare`` with its defaults (no feature cache, one process)."""
    from tellapart import compare

    task = inputs.task
    t = time.perf_counter()
    report = compare(str(task.dir_a), str(task.dir_b), progress=False, cache="", jobs=1)
    seconds = time.perf_counter() - t
    sig = [f for f in report.findings if f.significant]
    out = Outcome("tellapart", bool(sig), False, seconds)
    if sig:
        top = sig[0]
        out.top, out.concept = top.description, top.concept
        reasons = []
        for truth in task.truths:
            d = judge.judge(top.description, top.more_in, truth, top.concept)
            reasons.append(d.reason)
            if d.match:
                out.named = True
                break
        out.why = "; ".join(reasons)
    out.extra["n_significant"] = len(sig)
    return out


def _vision_data(images: list[np.ndarray], name: str) -> Any:
    from deepchecks.vision import VisionData

    batches = [{"images": images[i:i + 64]} for i in range(0, len(images), 64)]
    return VisionData(batches, task_type="other", dataset_name=name, reshuffle_data=False)


def _deepchecks_direction(images_a: list[np.ndarray], images_b: list[np.ndarray],
                          prop: str) -> bool:
    """Whether set A has the larger mean of Deepchecks property ``prop`` (its own function)."""
    from deepchecks.vision.utils.image_properties import default_image_properties

    method = next(p["method"] for p in default_image_properties if p["name"] == prop)
    return float(np.nanmean(method(images_a))) > float(np.nanmean(method(images_b)))


def run_deepchecks_property(inputs: Inputs, judge: Any) -> Outcome:
    """``ImagePropertyDrift`` with its default condition (KS statistic < 0.2 per property)."""
    from deepchecks.vision.checks import ImagePropertyDrift

    t = time.perf_counter()
    check = ImagePropertyDrift().add_condition_drift_score_less_than()
    result = check.run(_vision_data(inputs.images_a, "A"), _vision_data(inputs.images_b, "B"))
    seconds = time.perf_counter() - t + inputs.decode_s
    scores = {k: v["Drift score"] for k, v in result.value.items() if v["Drift score"] is not None}
    out = Outcome("deepchecks-property-drift", not result.passed_conditions(), False, seconds)
    if scores:
        out.top = max(scores, key=lambda k: scores[k])
        out.extra["scores"] = scores
        a_more = _deepchecks_direction(inputs.images_a, inputs.images_b, out.top)
        name_outcome(out, judge, inputs.task, DEEPCHECKS_PROPERTIES, a_more)
    return out


def run_deepchecks_dataset(inputs: Inputs, judge: Any) -> Outcome:
    """``ImageDatasetDrift`` (domain classifier on the 7 properties) with its default condition
    (drift score 2*AUC-1 < 0.1); the top property is the classifier's most important one."""
    from deepchecks.vision.checks import ImageDatasetDrift

    t = time.perf_counter()
    check = ImageDatasetDrift().add_condition_drift_score_less_than()
    result = check.run(_vision_data(inputs.images_a, "A"), _vision_data(inputs.images_b, "B"))
    seconds = time.perf_counter() - t + inputs.decode_s
    value = result.value
    out = Outcome("deepchecks-dataset-drift", not result.passed_conditions(), False, seconds)
    importance = dict(value.get("domain_classifier_feature_importance") or {})
    out.extra["drift_score"] = float(value.get("domain_classifier_drift_score", float("nan")))
    if importance:
        out.top = max(importance, key=lambda k: importance[k])
        a_more = _deepchecks_direction(inputs.images_a, inputs.images_b, out.top)
        name_outcome(out, judge, inputs.task, DEEPCHECKS_PROPERTIES, a_more)
    return out


def pixels(images: list[np.ndarray]) -> np.ndarray:
    """Box-downsampled 16 x 16 RGB pixels in [0, 1], flattened (alibi-detect's raw input)."""
    from PIL import Image

    rows = [np.asarray(Image.fromarray(im).resize((PIXEL_SIDE, PIXEL_SIDE), Image.BOX),
                       dtype=np.float32).ravel() / 255.0 for im in images]
    return np.stack(rows)


@dataclass
class Features:
    """One feature input of alibi-detect: the two matrices, names, and the time to make them."""

    kind: str  # "pixels" or "measurements"
    x_a: np.ndarray
    x_b: np.ndarray
    names: list[str] | None
    seconds: float


def pixel_features(inputs: Inputs) -> Features:
    t = time.perf_counter()
    x_a, x_b = pixels(inputs.images_a), pixels(inputs.images_b)
    return Features("pixels", x_a, x_b, None, time.perf_counter() - t + inputs.decode_s)


def measurement_features(task: Task) -> Features:
    """tellapart's measurement table of both folders (no cache, one process); NaN cells get
    the column's median, columns constant over both sets are dropped."""
    from tellapart.config import Settings
    from tellapart.io import discover
    from tellapart.measure import compute_features

    t = time.perf_counter()
    sources = []
    for name, folder in (("A", task.dir_a), ("B", task.dir_b)):
        paths, skipped = discover(str(folder), name)
        sources.append((name, str(folder), paths, skipped))
    _, table, _ = compute_features(sources, settings=Settings(cache="", jobs=1, progress=False),
                                   progress=False)
    values = table.values.astype(np.float64)
    medians = np.nanmedian(np.where(np.isfinite(values), values, np.nan), axis=0)
    values = np.where(np.isfinite(values), values, np.nan_to_num(medians)[None, :])
    keep = np.ptp(values, axis=0) > 0
    is_a = table.is_a
    names = [n for n, k in zip(table.names, keep, strict=True) if k]
    x = values[:, keep].astype(np.float32)
    return Features("measurements", x[is_a], x[~is_a], names, time.perf_counter() - t)


def _standardised(feat: Features) -> tuple[np.ndarray, np.ndarray]:
    """Both matrices z-scored with the reference set's (A's) mean and spread."""
    mu, sd = feat.x_a.mean(axis=0), feat.x_a.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return ((feat.x_a - mu) / sd).astype(np.float32), ((feat.x_b - mu) / sd).astype(np.float32)


def run_alibi_ks(inputs: Inputs, feat: Features, judge: Any) -> Outcome:
    """``KSDrift`` (per-feature KS, Bonferroni, p_val 0.05); top feature: smallest p-value."""
    from alibi_detect.cd import KSDrift

    t = time.perf_counter()
    pred = KSDrift(feat.x_a, p_val=ALPHA).predict(feat.x_b)["data"]
    seconds = time.perf_counter() - t + feat.seconds
    out = Outcome(f"alibi-ks-{feat.kind}", bool(pred["is_drift"]), False, seconds)
    p = np.asarray(pred["p_val"], dtype=float)
    k = int(np.argmin(p))
    if feat.names is None:
        out.top, out.why = f"pixel {k}", "a pixel names no visual property"
        return out
    out.top = feat.names[k]
    out.extra["min_p"] = float(p[k])
    a_more = float(np.mean(feat.x_a[:, k])) > float(np.mean(feat.x_b[:, k]))
    return name_outcome(out, judge, inputs.task, None, a_more)


def run_alibi_mmd(inputs: Inputs, feat: Features, judge: Any) -> Outcome:
    """``MMDDrift`` (PyTorch backend, Gaussian RBF kernel, permutation test, p_val 0.05) on
    z-scored features; it blames no feature, so it never names a difference."""
    from alibi_detect.cd import MMDDrift

    x_a, x_b = _standardised(feat)
    t = time.perf_counter()
    pred = MMDDrift(x_a, backend="pytorch", p_val=ALPHA, device="cpu").predict(x_b)["data"]
    seconds = time.perf_counter() - t + feat.seconds
    out = Outcome(f"alibi-mmd-{feat.kind}", bool(pred["is_drift"]), False, seconds,
                  why="MMD blames no feature")
    out.extra["p_val"] = float(pred["p_val"])
    return out


def run_alibi_classifier(inputs: Inputs, feat: Features, judge: Any) -> Outcome:
    """``ClassifierDrift`` (scikit-learn backend, a random forest, default 75/25 split,
    p_val 0.05); alibi-detect reports no feature importance, so it never names."""
    from alibi_detect.cd import ClassifierDrift
    from sklearn.ensemble import RandomForestClassifier

    t = time.perf_counter()
    model = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1)
    detector = ClassifierDrift(feat.x_a, model=model, backend="sklearn", p_val=ALPHA)
    pred = detector.predict(feat.x_b)["data"]
    seconds = time.perf_counter() - t + feat.seconds
    out = Outcome(f"alibi-classifier-{feat.kind}", bool(pred["is_drift"]), False, seconds,
                  why="the classifier blames no feature")
    out.extra["p_val"] = float(pred["p_val"])
    return out


def _cleanvision_flags(folder: Path) -> dict[str, np.ndarray]:
    from cleanvision import Imagelab

    lab = Imagelab(data_path=str(folder), verbose=False)
    lab.find_issues(n_jobs=1, verbose=False)
    cols = [c for c in lab.issues.columns if c.startswith("is_") and c.endswith("_issue")]
    return {c[3:-6]: lab.issues[c].to_numpy(dtype=bool) for c in cols}


def run_cleanvision(inputs: Inputs, judge: Any) -> Outcome:
    """CleanVision's ``Imagelab`` on each set (default issue types). The sets differ when, for
    some issue type, the share of flagged images differs by Fisher's exact test at 0.05 after
    Bonferroni over the issue types; the top issue is the one with the smallest p-value, in
    the direction of the set with the larger share."""
    from scipy.stats import fisher_exact

    task = inputs.task
    t = time.perf_counter()
    flags_a, flags_b = _cleanvision_flags(task.dir_a), _cleanvision_flags(task.dir_b)
    seconds = time.perf_counter() - t
    tests = {}
    for issue in sorted(set(flags_a) & set(flags_b)):
        ka, kb = int(flags_a[issue].sum()), int(flags_b[issue].sum())
        na, nb = len(flags_a[issue]), len(flags_b[issue])
        p = float(fisher_exact([[ka, na - ka], [kb, nb - kb]])[1])
        tests[issue] = (p, ka / max(na, 1) > kb / max(nb, 1), ka, kb)
    out = Outcome("cleanvision", False, False, seconds)
    out.extra["counts"] = {k: [v[2], v[3]] for k, v in tests.items()}
    if not tests:
        return out
    top = min(tests, key=lambda k: tests[k][0])
    out.detected = tests[top][0] * len(tests) < ALPHA
    out.top = top
    return name_outcome(out, judge, task, CLEANVISION_ISSUES, tests[top][1])


TOOLS = (
    "tellapart", "deepchecks-property-drift", "deepchecks-dataset-drift",
    "alibi-ks-pixels", "alibi-ks-measurements", "alibi-mmd-pixels", "alibi-mmd-measurements",
    "alibi-classifier-pixels", "alibi-classifier-measurements", "cleanvision",
)


def run_tools(inputs: Inputs, judge: Any, tools: tuple[str, ...]) -> Iterator[Outcome]:
    """Every tool on one task; a tool that fails is recorded with its error, the run goes on."""
    feats: dict[str, Callable[[], Features]] = {
        "pixels": lambda: pixel_features(inputs),
        "measurements": lambda: measurement_features(inputs.task),
    }
    made: dict[str, Features] = {}

    def feature(kind: str) -> Features:
        if kind not in made:
            made[kind] = feats[kind]()
        return made[kind]

    runners: dict[str, Callable[[], Outcome]] = {
        "tellapart": lambda: run_tellapart(inputs, judge),
        "deepchecks-property-drift": lambda: run_deepchecks_property(inputs, judge),
        "deepchecks-dataset-drift": lambda: run_deepchecks_dataset(inputs, judge),
        "cleanvision": lambda: run_cleanvision(inputs, judge),
    }
    for kind in ("pixels", "measurements"):
        runners[f"alibi-ks-{kind}"] = lambda k=kind: run_alibi_ks(inputs, feature(k), judge)
        runners[f"alibi-mmd-{kind}"] = lambda k=kind: run_alibi_mmd(inputs, feature(k), judge)
        runners[f"alibi-classifier-{kind}"] = (
            lambda k=kind: run_alibi_classifier(inputs, feature(k), judge))
    for tool in tools:
        try:
            with open(os.devnull, "w") as sink, redirect_stdout(sink), redirect_stderr(sink):
                outcome = runners[tool]()
            yield outcome
        except Exception as exc:  # one failing tool costs one row, recorded, never hidden
            yield Outcome(tool, False, False, float("nan"), error=f"{type(exc).__name__}: {exc}")


# -- the run ---------------------------------------------------------------------------------------


def quiet_peers() -> None:
    """The peers print progress bars and warnings per call; the run's log keeps its own lines."""
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    os.environ.setdefault("TQDM_DISABLE", "1")


def cmd_run(args: argparse.Namespace) -> int:
    """Every tool on ``--tasks`` tasks of every suite at every ``--n``; appends to results.jsonl."""
    from tellapart.bench import Judge

    quiet_peers()
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = out_dir / "results.jsonl"
    done = _done_keys(results)
    judge = Judge()
    tools = tuple(args.tools)
    for n in args.n:
        for suite in args.suites:
            for index in range(args.tasks):
                if (args.seeds, suite, n, index) in done:
                    continue
                with tempfile.TemporaryDirectory(prefix="tellapart-peers-") as tmp:
                    rows = _one_task(suite, n, index, args.seeds, Path(tmp), judge, tools)
                with open(results, "a", encoding="utf-8") as fh:
                    for row in rows:
                        fh.write(json.dumps(row) + "\n")
    return 0


def _done_keys(results: Path) -> set[tuple[str, str, int, int]]:
    if not results.is_file():
        return set()
    keys = set()
    for line in results.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        keys.add((r["seeds"], r["suite"], int(r["n"]), int(r["index"])))
    return keys


def _one_task(suite: str, n: int, index: int, seeds: str, root: Path, judge: Any,
              tools: tuple[str, ...]) -> list[dict[str, Any]]:
    task = make_task(suite, n, index, seeds, root)
    t = time.perf_counter()
    images_a, images_b = decode_folder(task.dir_a), decode_folder(task.dir_b)
    inputs = Inputs(task, images_a, images_b, time.perf_counter() - t)
    rows = []
    for out in run_tools(inputs, judge, tools):
        row = {"seeds": seeds, "suite": suite, "n": n, "index": index, "task_id": task.task_id,
               "truth": task.label, **asdict(out)}
        rows.append(row)
        flag = "error: " + out.error if out.error else (
            f"detected={out.detected} named={out.named} top={out.top!r} {out.seconds:.1f}s")
        print(f"{suite} n={n} #{index} [{task.label}] {out.tool}: {flag}", file=sys.stderr,
              flush=True)
    return rows


# -- throughput -----------------------------------------------------------------------------------

_THROUGHPUT_CHILD = {
    "tellapart": """
import sys, time, json
t = time.perf_counter()
from tellapart import compare
r = compare(sys.argv[1], sys.argv[2], progress=False, cache="", jobs=int(sys.argv[3]))
s = time.perf_counter() - t
from tellapart.measure import bank_names
print(json.dumps({"seconds": s, "properties": len(bank_names("auto", False)),
                  "features_s": r.timing_s.get("features"), "jobs": int(sys.argv[3])}))
""",
    "deepchecks": """
import sys, time, json, os
t = time.perf_counter()
import numpy as np
from tellapart.io import decode_image, read_file
from deepchecks.vision import VisionData
from deepchecks.vision.checks import ImagePropertyDrift
from deepchecks.vision.utils.image_properties import default_image_properties
def load(folder):
    out = []
    for name in sorted(os.listdir(folder)):
        p = os.path.join(folder, name)
        rgb = decode_image(read_file(p), p, "A").rgb
        out.append(np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8))
    return out
def vd(images, name):
    batches = [{"images": images[i:i + 64]} for i in range(0, len(images), 64)]
    return VisionData(batches, task_type="other", dataset_name=name, reshuffle_data=False)
a, b = load(sys.argv[1]), load(sys.argv[2])
ImagePropertyDrift().add_condition_drift_score_less_than().run(vd(a, "A"), vd(b, "B"))
s = time.perf_counter() - t
print(json.dumps({"seconds": s, "properties": len(default_image_properties)}))
""",
}


def cmd_throughput(args: argparse.Namespace) -> int:
    """tellapart and Deepchecks' ImagePropertyDrift, each in a fresh process (imports, model
    loading, decoding included: cold), on the same 2 x ``--n`` images, one after the other.
    Deepchecks computes its properties in one process; tellapart with ``--tellapart-jobs``."""
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tellapart-peers-tp-") as tmp:
        task = synth_task("null", args.n, 0, "report", Path(tmp))
        rows = {"n_per_side": args.n, "images": 2 * args.n, "task": task.task_id,
                "load_average_before": os.getloadavg()[0]}
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        for tool in ("tellapart", "deepchecks"):
            proc = subprocess.run(
                [sys.executable, "-c", _THROUGHPUT_CHILD[tool], str(task.dir_a), str(task.dir_b),
                 str(args.tellapart_jobs)],
                capture_output=True, text=True, env=env, check=True)
            got = json.loads(proc.stdout.strip().splitlines()[-1])
            got["images_per_s"] = 2 * args.n / got["seconds"]
            rows[tool] = got
            print(f"{tool}: {got}", file=sys.stderr, flush=True)
    rows["speed_ratio"] = rows["tellapart"]["images_per_s"] / rows["deepchecks"]["images_per_s"]
    rows["property_ratio"] = rows["tellapart"]["properties"] / rows["deepchecks"]["properties"]
    (out_dir / "throughput.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(rows, indent=2))
    return 0


# -- the table and the figure -----------------------------------------------------------------------


def load_rows(out_dirs: list[Path], seeds: str) -> list[dict[str, Any]]:
    """The rows of ``seeds`` from every out dir's results.jsonl (runs split over processes)."""
    lines = [line for d in out_dirs
             for line in (d / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    return [r for r in map(json.loads, lines) if r["seeds"] == seeds]


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (tool, suite, n): tasks, detected share (the FPR on null), named share
    (Acc@1; not on null), median seconds, images per second (2n / median seconds), errors."""
    cells: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in rows:
        cells.setdefault((r["tool"], r["suite"], int(r["n"])), []).append(r)
    out = []
    for (tool, suite, n), rs in sorted(cells.items(), key=lambda kv: (
            TOOLS.index(kv[0][0]), SUITES.index(kv[0][1]), kv[0][2])):
        secs = [r["seconds"] for r in rs if r["error"] is None]
        median_s = float(np.median(secs)) if secs else float("nan")
        out.append({
            "tool": tool, "suite": suite, "n": n, "tasks": len(rs),
            "detected": float(np.mean([r["detected"] for r in rs])),
            "named": float("nan") if suite == "null" else float(np.mean([r["named"] for r in rs])),
            "median_s": median_s, "images_per_s": 2 * n / median_s if secs else float("nan"),
            "errors": sum(r["error"] is not None for r in rs),
        })
    return out


def markdown(summary: list[dict[str, Any]]) -> str:
    """The table: one row per tool and n, per suite "detected / named" (null: the FPR)."""
    ns = sorted({s["n"] for s in summary})
    by = {(s["tool"], s["suite"], s["n"]): s for s in summary}
    head = ["tool", "n/side", *[f"{s} det / Acc@1" for s in SUITES if s != "null"],
            "null FPR", "median s", "images/s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for tool in TOOLS:
        for n in ns:
            cells = [by.get((tool, s, n)) for s in SUITES]
            if not any(cells):
                continue
            row = [tool, str(n)]
            for s, c in zip(SUITES, cells, strict=True):
                if c is None:
                    row.append("")
                elif s == "null":
                    row.append(f"{c['detected']:.2f}")
                else:
                    row.append(f"{c['detected']:.2f} / {c['named']:.2f}")
            done = [c for c in cells if c is not None]
            secs = float(np.nanmedian([c["median_s"] for c in done]))
            row += [f"{secs:.1f}", f"{2 * n / secs:.1f}"]
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def pooled(rows: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, float]]:
    """Per (tool, n): detected and named shares over all non-null tasks, detected share over
    null tasks (the false-positive rate), and the task counts."""
    out: dict[tuple[str, int], dict[str, float]] = {}
    for tool in TOOLS:
        for n in sorted({int(r["n"]) for r in rows}):
            mine = [r for r in rows if r["tool"] == tool and int(r["n"]) == n]
            real = [r for r in mine if r["suite"] != "null"]
            null = [r for r in mine if r["suite"] == "null"]
            if not mine:
                continue
            out[(tool, n)] = {
                "detected": float(np.mean([r["detected"] for r in real])) if real else float("nan"),
                "named": float(np.mean([r["named"] for r in real])) if real else float("nan"),
                "fpr": float(np.mean([r["detected"] for r in null])) if null else float("nan"),
                "tasks": float(len(real)), "null_tasks": float(len(null)),
            }
    return out


_STYLES = {"tellapart": ("-", "o"), "deepchecks": ("--", "s"), "alibi": (":", "^"),
           "cleanvision": ("-.", "D")}


def figure(rows: list[dict[str, Any]], path: Path) -> None:
    """Detection and naming (Acc@1) over all non-null tasks, and the false-positive rate on
    null tasks, against images per side: one line per tool, dodged sideways so that tools
    with equal rates stay visible."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = pooled(rows)
    ns = sorted({n for _, n in data})
    fig, axes = plt.subplots(1, 3, figsize=(15, 5.4), sharey=True)
    cmap = plt.get_cmap("tab10")
    panels = (("detected", "detected: says the sets differ"), ("named", "named: Acc@1 under the judge"),
              ("fpr", "null pairs: false-positive rate"))
    for k, tool in enumerate(TOOLS):
        line, marker = _STYLES[tool.split("-")[0]]
        dx = (k - (len(TOOLS) - 1) / 2) * 0.035
        xs = [i + dx for i, n in enumerate(ns) if (tool, n) in data]
        for ax, (key, _) in zip(axes, panels, strict=True):
            ys = [data[(tool, n)][key] for n in ns if (tool, n) in data]
            ax.plot(xs, ys, ls=line, marker=marker, color=cmap(k), ms=5,
                    lw=3.0 if tool == "tellapart" else 1.3, label=tool)
    for ax, (_, title) in zip(axes, panels, strict=True):
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(len(ns)), [str(n) for n in ns])
        ax.set_xlabel("images per side")
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.3)
    axes[2].axhline(ALPHA, color="grey", lw=1)
    axes[0].set_ylabel("share of tasks")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=5, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    fig.savefig(path, dpi=80)
    plt.close(fig)


def cmd_report(args: argparse.Namespace) -> int:
    """The table (markdown + CSV) and the figure from results.jsonl (and throughput.json)."""
    docs = Path(args.docs)
    rows = load_rows([Path(d) for d in args.out], args.seeds)
    summary = summarise(rows)
    table = markdown(summary)
    docs.mkdir(parents=True, exist_ok=True)
    figure(rows, docs / "peers_detection_naming.png")
    keys = list(summary[0])
    csv = [",".join(keys)] + [",".join(str(s[k]) for k in keys) for s in summary]
    (docs / "peers_summary.csv").write_text("\n".join(csv) + "\n", encoding="utf-8")
    print(table)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="every tool on the same tasks; appends to OUT/results.jsonl")
    r.add_argument("--seeds", choices=["dev", "report"], required=True)
    r.add_argument("--n", type=int, nargs="+", default=[20, 50, 200])
    r.add_argument("--tasks", type=int, default=4, help="tasks per suite and n")
    r.add_argument("--suites", nargs="+", choices=SUITES, default=list(SUITES))
    r.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    r.add_argument("--out", required=True)
    t = sub.add_parser("throughput", help="cold images/s, tellapart vs Deepchecks, 2 x N images")
    t.add_argument("--n", type=int, default=1000)
    t.add_argument("--tellapart-jobs", type=int, default=1,
                   help="tellapart's worker processes (1: one process, as Deepchecks; 0: all cores, "
                        "tellapart's default)")
    t.add_argument("--out", required=True)
    s = sub.add_parser("report", help="table, CSV and figure from OUT/results.jsonl")
    s.add_argument("--out", nargs="+", required=True, help="out dir(s) of the run(s)")
    s.add_argument("--seeds", choices=["dev", "report"], default="report")
    s.add_argument("--docs", default="docs")
    args = p.parse_args(argv)
    return {"run": cmd_run, "throughput": cmd_throughput, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
