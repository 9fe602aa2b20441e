"""``tellapart train --config FILE``: a recipe file runs every stage, resumes exactly after a
sitting is cut short, records itself in the weights, and refuses what it cannot honour."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tellapart.models.weights import read_meta
from tellapart.train.cli import main
from tellapart.train.recipe import RecipeError, RecipeRun, load_recipe, run_recipe

TINY = """
[run]
model = "tiny"
seed = 3
init_from = ""

[sampler]
base = "mixed:shapes,chest"
domains = ["general", "medical"]
p_medical = 0.5
lookalikes = [["circles", "stars"]]

[[levels]]
name = "easy"
n_diffs = [1, 1]
strength = [0.8, 1.0]
prevalence = [1.0, 1.0]

[[levels]]
name = "graded"
n_diffs = [1, 2]
strength = [0.2, 0.4]
prevalence = [0.5, 0.8]
p_graded = 0.5
p_lookalike = 0.5

[joint]
steps = 3
start_level = 1
promote_at = [0.9]
n_tasks = 1
n_per_side = 2
pool_size = 8
val_every = 100
val_tasks = 1
val_per_side = 2
ckpt_every = 1
log_every = 1

[joint.type_weights]
stars = 3.0

[text]
n_images = 16
val_images = 8
steps = 2
batch = 8

[types]
images_per_level = 16
chunk = 16
pool_size = 8
epochs = 1
batch = 8
val_images = 8
floor_images = 8
"""


def _recipe(folder: Path, text: str = TINY, name: str = "tiny.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_recipe_cut_short_and_resumed_ends_as_one_run_in_a_sitting(tmp_path: Path) -> None:
    recipe = _recipe(tmp_path)
    whole = run_recipe(recipe, tmp_path / "whole", progress=False)
    assert whole is not None
    # the first sitting stops after one step; the second goes on from its checkpoint
    assert run_recipe(recipe, tmp_path / "cut", progress=False, sitting_minutes=0.0) is None
    state = json.loads((tmp_path / "cut" / "recipe_state.json").read_text(encoding="utf-8"))
    assert state["stages"]["joint"]["done"] is False
    with pytest.raises(RecipeError, match="--resume"):
        run_recipe(recipe, tmp_path / "cut", progress=False)
    resumed = run_recipe(recipe, tmp_path / "cut", resume=True, progress=False)
    assert resumed is not None
    meta_whole, meta_cut = read_meta(whole), read_meta(resumed)
    assert meta_cut["weights_sha256"] == meta_whole["weights_sha256"]
    record = meta_cut["extra"]["recipe"]
    assert record["text"] == recipe.read_text(encoding="utf-8")
    assert record["commit"]
    assert set(record["stages"]) == {"joint", "text", "types"}
    assert all(s["wall_s"] > 0 and s["cpu_s"] > 0 and s["commits"]
               for s in record["stages"].values())
    assert len(meta_cut["type_ids"]) > 46  # the medical types were trained too


def test_a_changed_earlier_stage_is_refused_but_a_later_one_may_change(tmp_path: Path) -> None:
    recipe = _recipe(tmp_path)
    assert run_recipe(recipe, tmp_path / "run", progress=False, sitting_minutes=0.0) is None
    _recipe(tmp_path, TINY.replace("steps = 3", "steps = 4"))
    with pytest.raises(RecipeError, match="stage joint .* other settings"):
        run_recipe(recipe, tmp_path / "run", resume=True, progress=False)
    _recipe(tmp_path, TINY.replace("epochs = 1", "epochs = 2"))
    assert run_recipe(recipe, tmp_path / "run", resume=True, progress=False) is not None


@pytest.mark.parametrize(("change", "message"), [
    ('[run]\n', '[run]\nmodle = "tiny"\n'),
    ("steps = 3\n", "\n"),
    ('name = "graded"', 'name = "graded"\nstrenght = [0.1, 0.2]'),
    ("promote_at = [0.9]", "promote_at = [0.9, 0.8]"),
    ('lookalikes = [["circles", "stars"]]', 'lookalikes = [["circles", "no_such_type"]]'),
    ("epochs = 1", "epoch = 1"),
])
def test_a_recipe_that_cannot_be_used_says_why(tmp_path: Path, change: str, message: str) -> None:
    path = _recipe(tmp_path, TINY.replace(change, message, 1))
    with pytest.raises(RecipeError):
        load_recipe(path)


def test_the_command_takes_the_recipe_and_refuses_other_settings(tmp_path: Path) -> None:
    recipe = _recipe(tmp_path)
    with pytest.raises(SystemExit, match="--model tiny"):
        main(["--config", "tiny", "--out", str(tmp_path / "x")])
    with pytest.raises(SystemExit, match="remove --lr"):
        main(["--config", str(recipe), "--lr", "0.1"])
    with pytest.raises(SystemExit, match="no checkpoint"):
        main(["--config", str(recipe), "--resume", "some/ckpt.pt"])
    with pytest.raises(SystemExit, match="goes with a recipe"):
        main(["--out", str(tmp_path / "y"), "--sitting-minutes", "1"])
    assert main(["--config", str(recipe), "--out", str(tmp_path / "z"), "--no-progress",
                 "--sitting-minutes", "0"]) == 0
    assert (tmp_path / "z" / "joint" / "ckpt.pt").is_file()


def test_sigterm_stops_the_joint_stage_at_a_step_with_its_time_recorded(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    recipe = _recipe(tmp_path, TINY.replace("steps = 3", "steps = 100000"))
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "tellapart.train", "--config", str(recipe),
                             "--out", str(out), "--no-progress"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "joint" / "ckpt.pt").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr[-2000:]
    assert json.loads(stdout.strip().splitlines()[-1]) == {"final": None}
    state = json.loads((out / "recipe_state.json").read_text(encoding="utf-8"))
    joint = state["stages"]["joint"]
    assert joint["done"] is False and joint["wall_s"] > 0 and joint["cpu_s"] > 0
    assert "stopped at step" in stderr


def test_a_stage_is_on_record_while_it_runs(tmp_path: Path) -> None:
    # a sitting killed outright leaves the stage's settings on record, so a changed recipe
    # is still refused when the run is resumed
    recipe = _recipe(tmp_path)
    seen = []
    run = RecipeRun(load_recipe(recipe), tmp_path / "run", progress=False)
    run.start(resume=False)

    def work() -> dict[str, object]:
        state = json.loads(run.state_path.read_text(encoding="utf-8"))
        seen.append(state["stages"]["joint"]["fingerprint"])
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run.run_stage("joint", work)
    assert seen == [load_recipe(recipe).fingerprints()["joint"]]
