"""Suites, the held-out split, training streams and the ``tellapart synth`` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tellapart.synth import (
    DIFFERENCES,
    SUITES,
    main,
    make_suite,
    stream_task_specs,
    stream_tasks,
    suite_specs,
)
from tellapart.synth.split import (
    HELDOUT_COMBOS,
    HELDOUT_S_BANDS,
    is_heldout_base,
    is_heldout_combo,
    is_heldout_s,
)
from tellapart.synth.suites import TaskSpec


def _concepts_ok(spec: TaskSpec) -> bool:
    cs = [DIFFERENCES.get(d.type_id).concept_key() for d in spec.differences + spec.distractors]
    return len(cs) == len(set(cs))


def _uses_heldout(spec: TaskSpec) -> list[str]:
    """Every way ``spec`` touches the held-out split (empty = clean training spec)."""
    why = []
    if spec.split != "train":
        why.append(f"split {spec.split}")
    for s in spec.all_s():
        if is_heldout_s(s):
            why.append(f"s={s}")
    for d in spec.differences + spec.distractors:
        for kind in spec.base_kinds():
            if is_heldout_combo(d.type_id, kind):
                why.append(f"combo {d.type_id} x {kind}")
    if "mosaic" in spec.base_kinds():
        why.append("mosaic base")
    return why


def test_suite_definitions() -> None:
    assert {"easy", "medium", "hard", "null", "heldout"} <= set(SUITES)
    for info in SUITES.values():
        assert info.n_tasks >= 100 and info.version
    assert SUITES["null"].n_tasks == 200
    with pytest.raises(ValueError, match="unknown suite"):
        list(suite_specs("impossible"))


@pytest.mark.parametrize("name", sorted(SUITES))
def test_suite_specs_follow_their_definition(name: str) -> None:
    specs = list(suite_specs(name))
    assert len(specs) == SUITES[name].n_tasks
    assert len({s.task_id for s in specs}) == len(specs)
    assert len({s.seed for s in specs}) == len(specs)
    for spec in specs:
        assert spec.n_per_side == 50 and spec.size == 128
        assert _concepts_ok(spec), spec
        assert all(DIFFERENCES.get(d.type_id).sampled for d in spec.differences + spec.distractors)
        if name == "easy":
            (d,) = spec.differences
            assert d.prevalence == 1.0 and d.s >= 0.85 and not spec.distractors
        elif name == "medium":
            (d,) = spec.differences
            assert 0.5 <= d.prevalence <= 1.0 and 0.45 <= d.s <= 0.8
        elif name == "hard":
            assert 1 <= len(spec.differences) <= 3 and 1 <= len(spec.distractors) <= 2
            for d in spec.differences:
                assert 0.25 <= d.prevalence <= 0.6
                assert d.s <= 0.45 or d.graded
        elif name == "null":
            assert spec.differences == [] and len(spec.distractors) <= 2
        if name == "heldout":
            assert _uses_heldout(spec) or spec.heldout_reason == "base", spec
            if spec.heldout_reason == "combination":
                (d,) = spec.differences
                assert (d.type_id, spec.base) in HELDOUT_COMBOS
            elif spec.heldout_reason == "magnitude":
                assert is_heldout_s(spec.differences[0].s)
            else:
                assert spec.split == "heldout"
        else:
            assert not _uses_heldout(spec), (spec.task_id, _uses_heldout(spec))
    if name == "hard":
        assert {len(s.differences) for s in specs} == {1, 2, 3}
        assert any(d.graded for s in specs for d in s.differences)
    if name == "heldout":
        assert {s.heldout_reason for s in specs} == {"base", "combination", "magnitude"}


@pytest.mark.parametrize("name", sorted(SUITES))
def test_make_suite_deterministic_and_prefix_stable(name: str) -> None:
    one = list(make_suite(name, n_tasks=2, n_per_side=3, size=32))
    two = list(make_suite(name, n_tasks=3, n_per_side=3, size=32))
    assert len(one) == 2 and len(two) == 3
    for a, b in zip(one, two[:2], strict=True):
        assert a.task_id == b.task_id and a.truth == b.truth
        assert all(np.array_equal(x, y) for x, y in zip(a.images_a, b.images_a, strict=True))
        assert all(np.array_equal(x, y) for x, y in zip(a.images_b, b.images_b, strict=True))
    t = one[0]
    assert t.truth["suite"] == name and t.truth["suite_version"] == SUITES[name].version
    assert t.truth["null"] == name.endswith("null")


def test_heldout_suite_renders_heldout_bases() -> None:
    specs = [s for s in suite_specs("heldout", n_tasks=12) if s.heldout_reason == "base"]
    task = specs[0].__class__(**{**specs[0].__dict__, "n_per_side": 6, "size": 32}).render()
    kinds = task.truth["bases"]["a"] + task.truth["bases"]["b"]
    for k in kinds:
        kind, _, source = k.partition(":")
        assert is_heldout_base(kind, source), k
    assert task.truth["heldout_reason"] == "base"


@pytest.mark.parametrize("level", ["curriculum", "easy", "medium", "hard", 0.7])
def test_training_streams_never_touch_the_heldout_split(level: str | float) -> None:
    for seed in (0, 1):
        specs = list(stream_task_specs(seed, level=level, n_tasks=200, curriculum_tasks=150))
        for spec in specs:
            assert not _uses_heldout(spec), (spec.task_id, _uses_heldout(spec))
            assert _concepts_ok(spec)
    # a single-kind base stream avoids that kind's held-out combinations by type choice
    for kind in ("faces", "smooth", "textures"):
        for spec in stream_task_specs(3, level="hard", n_tasks=150, base=kind):
            assert spec.base == kind and not _uses_heldout(spec)


def test_stream_draws_cover_the_band_edges_but_not_the_bands() -> None:
    s_values = [s for spec in stream_task_specs(5, level=0.5, n_tasks=400) for s in spec.all_s()]
    assert len(s_values) > 300
    assert not any(is_heldout_s(s) for s in s_values)
    lo, hi = HELDOUT_S_BANDS[0]
    assert any(lo - 0.1 < s < lo for s in s_values) and any(hi <= s < hi + 0.1 for s in s_values)


def test_stream_tasks_render_training_bases_only_and_are_deterministic() -> None:
    tasks = list(stream_tasks(11, level="hard", n_tasks=4, n_per_side=4, size=32))
    again = list(stream_tasks(11, level="hard", n_tasks=4, n_per_side=4, size=32))
    for t, u in zip(tasks, again, strict=True):
        assert t.truth == u.truth
        assert all(np.array_equal(x, y) for x, y in zip(t.images_a, u.images_a, strict=True))
        for k in t.truth["bases"]["a"] + t.truth["bases"]["b"]:
            kind, _, source = k.partition(":")
            assert not is_heldout_base(kind, source), k
        assert t.truth["suite"] == "stream"
    other = next(iter(stream_tasks(12, level="hard", n_tasks=1, n_per_side=4, size=32)))
    assert other.truth["seed"] != tasks[0].truth["seed"]
    # stream seeds never coincide with suite seeds
    suite_seeds = {s.seed for name in SUITES for s in suite_specs(name)}
    assert not suite_seeds & {s.seed for s in stream_task_specs(0, n_tasks=500)}


def test_stream_levels_and_types() -> None:
    easy = list(stream_task_specs(0, level="easy", n_tasks=100, p_null=0.0))
    hard = list(stream_task_specs(0, level="hard", n_tasks=100, p_null=0.0))
    mean_s = lambda specs: np.mean([d.s for s in specs for d in s.differences])  # noqa: E731
    assert mean_s(easy) > mean_s(hard) + 0.3
    assert all(len(s.differences) == 1 and not s.distractors for s in easy)
    only = list(stream_task_specs(0, level="medium", n_tasks=50, types=["blur", "darker"]))
    assert {d.type_id for s in only for d in s.differences} <= {"blur", "darker"}
    with pytest.raises(ValueError, match="level"):
        next(iter(stream_task_specs(0, level="impossible")))


# -- CLI ----------------------------------------------------------------------------------------


def test_cli_writes_a_browsable_suite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "hard"
    rc = main(
        [
            "--suite",
            "hard",
            "--out",
            str(out),
            "--n-tasks",
            "2",
            "--n-per-side",
            "3",
            "--size",
            "32",
        ]
    )
    assert rc == 0
    manifest = json.loads((out / "suite.json").read_text())
    assert manifest["suite"] == "hard" and manifest["tasks"] == ["hard-0000", "hard-0001"]
    index = (out / "index.html").read_text()
    for tid in manifest["tasks"]:
        assert (out / tid / "contact_sheet.png").is_file()
        assert f"{tid}/contact_sheet.png" in index
        truth = json.loads((out / tid / "truth.json").read_text())
        assert truth["suite"] == "hard" and len(list((out / tid / "a").glob("*.png"))) == 3
    assert "wrote 2 task(s)" in capsys.readouterr().out


def test_cli_single_task_and_folder_base(tmp_path: Path) -> None:
    out = tmp_path / "one"
    rc = main(
        [
            "--difference",
            "darker",
            "--s",
            "0.8",
            "--prevalence",
            "0.5",
            "--out",
            str(out),
            "--n-per-side",
            "4",
            "--size",
            "32",
            "--base",
            "photos",
        ]
    )
    assert rc == 0
    truth = json.loads((out / "truth.json").read_text())
    (d,) = truth["differences"]
    assert d["type_id"] == "darker" and d["s"] == 0.8 and len(d["affected"]) == 2
    assert truth["base"] == "photos"
    # --base DIR uses the folder's images
    src = tmp_path / "mine"
    src.mkdir()
    from PIL import Image

    Image.fromarray(np.full((40, 50, 3), 200, np.uint8)).save(src / "x.png")
    rc = main(
        [
            "--suite",
            "easy",
            "--out",
            str(tmp_path / "e"),
            "--n-tasks",
            "1",
            "--n-per-side",
            "2",
            "--size",
            "32",
            "--base",
            str(src),
            "--no-contact-sheet",
        ]
    )
    assert rc == 0
    truth = json.loads((tmp_path / "e" / "easy-0000" / "truth.json").read_text())
    assert truth["base"] == f"dir:{src}" and truth["bases"]["a"][0] == "dir:x.png"


def test_cli_errors_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    assert "tiny_rectangles" in capsys.readouterr().out
    assert main(["--difference", "sparkles", "--out", str(tmp_path / "x")]) == 2
    assert "unknown difference type" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--suite", "hard"])  # --out missing


def test_suite_specs_seed_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from tellapart.synth import suites

    for name in ("easy", "hard", "heldout"):
        default = list(suites.suite_specs(name, n_tasks=4))
        assert list(suites.suite_specs(name, n_tasks=4, seed_offset=0)) == default
        dev = list(suites.suite_specs(name, n_tasks=4, seed_offset=900_000))
        assert [s.task_id for s in dev] == [s.task_id for s in default]
        assert all(d.seed != s.seed for d, s in zip(dev, default, strict=True))
        assert [d.differences for d in dev] != [s.differences for s in default]
        # the same draws as the suite's recipe with its seed moved by the offset
        info = suites.SUITES[name]
        with monkeypatch.context() as m:
            m.setitem(suites.SUITES, name, dataclasses.replace(info, seed=info.seed + 900_000))
            assert list(suites.suite_specs(name, n_tasks=4)) == dev
