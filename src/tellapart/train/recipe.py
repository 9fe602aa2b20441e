"""``tellapart train --config FILE``: the describer's whole training recipe from one file.

Usage::

    tellapart train --config configs/describer.toml              # start (or fail if begun)
    tellapart train --config configs/describer.toml --resume     # go on where it stopped

Every stage and hyper-parameter is in the recipe file (TOML, committed; ``configs/``):

- ``[run]``: ``model`` (size), ``seed``, ``init_from`` (``"shipped"``, a weights folder, a
  checkpoint, or ``""`` for a fresh start), ``export_dtype``, ``threads``;
- ``[sampler]``: :class:`~tellapart.train.data.SamplerOptions` shared by the stages (bases,
  domains, medical share, look-alike groups);
- ``[[levels]]``: the curriculum (:class:`~tellapart.synth.levels.Level` values; default
  :data:`~tellapart.synth.levels.LEVELS`);
- ``[joint]``: ``steps`` and :class:`~tellapart.train.trainer.TrainConfig` fields, with
  ``[joint.type_weights]`` (type id -> relative chance of being drawn, joint stage only);
- ``[text]``: :class:`~tellapart.train.text_stage.TextStageConfig` fields;
- ``[types]``: :class:`~tellapart.train.type_stage.TypeStageConfig` fields.

Stages, in order, each in its own folder under OUT (default
``$XDG_CACHE_HOME/tellapart/train/<recipe name>``: checkpoints never go into the repo):

1. ``joint``: everything trained at once on synthetic tasks (:class:`Trainer`) up to
   ``steps`` steps in all; ``OUT/joint/ckpt.pt`` every ``ckpt_every`` steps; exported with
   calibrated floors to ``OUT/joint/final``.
2. ``text``: the image-text scorer's text adapter (``OUT/text/final``).
3. ``types``: the type classifier and floors (``OUT/types/final``).

``OUT/final`` then holds the weights with the recipe's record under ``extra["recipe"]``:
the file's text and SHA-256, the commit of the code at the end, and per stage its wall and
CPU seconds (summed over the sittings it took) and the commits its sittings ran at.
``OUT/recipe_state.json`` says which stages are done. ``--sitting-minutes`` stops the joint
stage with a checkpoint; ``--resume`` skips the stages done, continues the joint stage from
its checkpoint (exact: a step's data and randomness are a function of the seed and the
step), and runs an unfinished later stage again from its start (minutes, deterministic). A
stage begun or done with other settings than the file's now (those of the stage and every
stage before it, :meth:`Recipe.fingerprints`) is refused; a later stage's may change.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch

from ..synth.levels import LEVELS, Level
from .data import SamplerOptions
from .text_stage import TextStageConfig
from .trainer import TrainConfig, Trainer
from .type_stage import TypeStageConfig

STATE_FILE = "recipe_state.json"
_RUN_KEYS = {"model", "seed", "init_from", "export_dtype", "threads"}
_TRAIN_OWN = {"model", "seed", "device", "levels", "sampler"}  # set by [run], [[levels]], [sampler]


class RecipeError(ValueError):
    """A recipe file that cannot be used as written."""


@dataclass(frozen=True)
class Recipe:
    """A parsed recipe file (module docstring)."""

    path: Path
    text: str
    model: str
    seed: int
    init_from: str
    export_dtype: str
    threads: int | None
    steps: int
    train: TrainConfig
    text_stage: TextStageConfig
    type_stage: TypeStageConfig

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def fingerprints(self) -> dict[str, str]:
        """Per stage, the SHA-256 of the settings it and every stage before it use: a later
        stage's settings may change while an earlier one's results are kept."""
        parts: dict[str, Any] = {"model": self.model, "seed": self.seed,
                                 "init_from": self.init_from, "steps": self.steps,
                                 "train": self.train.to_json()}
        out = {}
        for stage, settings in (("joint", {}), ("text", asdict(self.text_stage)),
                                ("types", asdict(self.type_stage))):
            parts[stage] = settings
            blob = json.dumps(parts, sort_keys=True, default=str).encode("utf-8")
            out[stage] = hashlib.sha256(blob).hexdigest()
        return out

    @property
    def name(self) -> str:
        return self.path.stem


def _check_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise RecipeError(f"{where}: unknown setting(s) {', '.join(unknown)}; known: "
                          f"{', '.join(sorted(allowed))}")


def _stage_values(table: dict[str, Any], cls: type, where: str, skip: set[str]) -> dict[str, Any]:
    """``table``'s values for dataclass ``cls`` (lists as tuples), refusing unknown keys."""
    _check_keys(table, {f.name for f in fields(cls)} - skip, where)
    return {k: tuple(v) if isinstance(v, list) else v for k, v in table.items()}


def load_recipe(path: str | Path) -> Recipe:
    """Parse and check a recipe file; :class:`RecipeError` says what is wrong with it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise RecipeError(f"no recipe file at {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(f"{path} is not valid TOML: {exc}") from None
    _check_keys(data, {"run", "sampler", "levels", "joint", "text", "types"}, str(path))
    run = dict(data.get("run", {}))
    _check_keys(run, _RUN_KEYS, f"{path} [run]")
    try:
        sampler = SamplerOptions.from_dict(data.get("sampler", {}))
        levels = tuple(Level.from_dict(d) for d in data.get("levels", [])) or LEVELS
    except (ValueError, TypeError) as exc:
        raise RecipeError(f"{path}: {exc}") from None
    joint = dict(data.get("joint", {}))
    steps = joint.pop("steps", None)
    if not isinstance(steps, int) or steps < 1:
        raise RecipeError(f"{path} [joint]: steps (a positive whole number) is required")
    weights = joint.pop("type_weights", {})
    train_values = _stage_values(joint, TrainConfig, f"{path} [joint]", _TRAIN_OWN)
    train_values = {k: list(v) if isinstance(v, tuple) else v for k, v in train_values.items()}
    model, seed = str(run.get("model", "small")), int(run.get("seed", 0))
    train = TrainConfig(model=model, seed=seed, levels=[lv.to_dict() for lv in levels],
                        sampler={**sampler.to_dict(), "type_weights": dict(weights)},
                        **train_values)
    text_values = _stage_values(dict(data.get("text", {})), TextStageConfig, f"{path} [text]",
                                {"curriculum", "sampler"})
    type_values = _stage_values(dict(data.get("types", {})), TypeStageConfig, f"{path} [types]",
                                {"levels", "sampler"})
    try:
        train.new_curriculum()  # thresholds and start level fit the levels
        train.sampler_options().sampler(16, seed, pool_size=1)  # types, groups, weights known
    except ValueError as exc:
        raise RecipeError(f"{path}: {exc}") from None
    threads = run.get("threads")
    return Recipe(path, text, model, seed, str(run.get("init_from", "")),
                  str(run.get("export_dtype", "float32")), None if threads is None else int(threads),
                  steps, train,
                  TextStageConfig(**{"seed": TextStageConfig.seed + seed, **text_values},
                                  curriculum=levels, sampler=sampler),
                  TypeStageConfig(**{"seed": seed, **type_values}, levels=levels, sampler=sampler))


def default_out(recipe: Recipe) -> Path:
    """``$XDG_CACHE_HOME/tellapart/train/<recipe name>`` (``~/.cache/...``)."""
    home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(home) / "tellapart" / "train" / recipe.name


def code_commit() -> str:
    """The git commit of this checkout ("+dirty" when files differ from it), else "unknown"."""
    root = Path(__file__).resolve().parents[3]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "src",
                                "configs"], check=True, capture_output=True, text=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


class RecipeRun:
    """One recipe's stages in one output folder, with the state that lets it resume."""

    def __init__(self, recipe: Recipe, out: Path, progress: bool = True) -> None:
        self.recipe = recipe
        self.out = out
        self.progress = progress
        self.state_path = out / STATE_FILE
        self.state: dict[str, Any] = {"stages": {}}

    def start(self, resume: bool) -> None:
        """Check the output folder: a new run needs it unused; a resumed one, a stage begun
        or done with the settings it now has (a later stage's settings may have changed)."""
        if self.state_path.is_file():
            if not resume:
                raise RecipeError(f"{self.out} already holds a recipe run; add --resume to go "
                                  "on with it, or use another --out")
            self.state = json.loads(self.state_path.read_text(encoding="utf-8"))
            now = self.recipe.fingerprints()
            for name, record in self.state["stages"].items():
                if record.get("fingerprint") != now.get(name):
                    raise RecipeError(f"stage {name} in {self.out} was run with other settings "
                                      "than the recipe's now; use another --out")
        elif (self.out / "joint" / "ckpt.pt").exists():
            raise RecipeError(f"{self.out} has a checkpoint but no {STATE_FILE}: not a recipe run")
        self.out.mkdir(parents=True, exist_ok=True)
        self._save()

    def _save(self) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.state_path)

    def _log(self, line: str) -> None:
        if self.progress:
            print(line, file=sys.stderr, flush=True)

    def run_stage(self, name: str, work: Callable[[], dict[str, Any]]) -> None:
        """Run stage ``name`` unless done; its wall and CPU seconds add to earlier sittings'."""
        record = self.state["stages"].setdefault(
            name, {"fingerprint": self.recipe.fingerprints()[name], "done": False,
                   "wall_s": 0.0, "cpu_s": 0.0})
        if record["done"]:
            self._log(f"recipe {self.recipe.name}: stage {name} already done")
            return
        commits = record.setdefault("commits", [])
        commit = code_commit()
        if commit not in commits:  # a run that spans sittings may span commits
            commits.append(commit)
        self._save()  # the stage's settings are on record before its first checkpoint
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            summary = work()
        finally:
            record["wall_s"] = round(record["wall_s"] + time.perf_counter() - wall, 1)
            record["cpu_s"] = round(record["cpu_s"] + time.process_time() - cpu, 1)
            self._save()
        record.update(done=True, summary=summary)
        self._save()
        self._log(f"recipe {self.recipe.name}: stage {name} done "
                  f"({record['wall_s']:.0f} s wall, {record['cpu_s']:.0f} s CPU in all)")

    def record(self) -> dict[str, Any]:
        """What the final weights carry about how they were made."""
        return {"file": str(self.recipe.path), "name": self.recipe.name,
                "sha256": self.recipe.sha256, "text": self.recipe.text,
                "commit": code_commit(),
                "stages": {k: {"wall_s": v["wall_s"], "cpu_s": v["cpu_s"],
                               "commits": v.get("commits", [])}
                           for k, v in self.state["stages"].items()}}


class SittingOver(Exception):
    """The sitting's time ran out before a stage finished (its checkpoint is saved)."""


def _joint(run: RecipeRun, workers: int, sitting_minutes: float | None) -> dict[str, Any]:
    recipe = run.recipe
    trainer = Trainer(recipe.train, run.out / "joint", progress=run.progress, workers=workers)
    ckpt = run.out / "joint" / "ckpt.pt"
    if ckpt.exists():
        trainer.load_checkpoint(ckpt)
        run._log(f"joint stage: resumed at step {trainer.step} of {recipe.steps}")
    elif recipe.init_from:
        fresh = trainer.init_from(recipe.init_from)
        run._log(f"joint stage: warm start from {recipe.init_from}; {len(fresh)} tensors "
                 f"start fresh in whole or part: {', '.join(fresh[:8])}")
    # SIGTERM (a machine taken back) or Ctrl-C stops at the next step boundary with a
    # checkpoint, so the sitting's time is recorded and --resume goes on exactly
    handlers = {sig: signal.signal(sig, lambda *_: trainer.request_stop())
                for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        val = trainer.run(steps=recipe.steps, sitting_minutes=sitting_minutes)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    if trainer.step < recipe.steps:
        raise SittingOver(f"the joint stage stopped at step {trainer.step} of {recipe.steps} "
                          f"(checkpoint {ckpt}); run again with --resume to go on")
    trainer.export(run.out / "joint" / "final", extra={"validation": val})
    return {"steps": trainer.step, "validation": val,
            "curriculum": trainer.curriculum.state_dict()}


def _weights_stage(run: RecipeRun, name: str, source: str,
                   fit: Callable[[Any, Any], dict[str, Any]]) -> dict[str, Any]:
    from ..models.weights import load_describer, read_meta, save_describer

    model = load_describer(run.out / source / "final")
    log = run._log if run.progress else None
    summary = fit(model, log)
    extra = dict(read_meta(run.out / source / "final").get("extra", {}))
    extra[f"{name}_stage"] = summary
    save_describer(model, run.out / name / "final", extra=extra)
    return summary


def run_recipe(path: str | Path, out: str | Path | None = None, resume: bool = False,
               progress: bool = True, workers: int = 0,
               sitting_minutes: float | None = None) -> Path | None:
    """Run (or resume) every stage of the recipe at ``path``; returns ``OUT/final``, or None
    when ``sitting_minutes`` ran out first (the joint stage then keeps a checkpoint that
    ``resume`` continues exactly; a later stage is run again from its start)."""
    from ..models.weights import load_describer, read_meta, save_describer
    from .text_stage import tune_text_adapter
    from .type_stage import fit_type_classifier

    recipe = load_recipe(path)
    run = RecipeRun(recipe, Path(out) if out else default_out(recipe), progress)
    run.start(resume)
    if recipe.threads is not None:
        torch.set_num_threads(max(1, recipe.threads))
    try:
        run.run_stage("joint", lambda: _joint(run, workers, sitting_minutes))
    except SittingOver as stop:  # the outcome, said even without progress lines
        print(f"tellapart train: recipe {recipe.name}: {stop}", file=sys.stderr, flush=True)
        return None
    run.run_stage("text", lambda: _weights_stage(
        run, "text", "joint", lambda m, log: tune_text_adapter(m, recipe.text_stage, log=log)))
    run.run_stage("types", lambda: _weights_stage(
        run, "types", "text", lambda m, log: fit_type_classifier(m, recipe.type_stage, log=log)))
    model = load_describer(run.out / "types" / "final")
    extra = dict(read_meta(run.out / "types" / "final").get("extra", {}))
    extra["recipe"] = run.record()
    return save_describer(model, run.out / "final", extra=extra, dtype=recipe.export_dtype)

