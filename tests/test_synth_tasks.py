"""Task composer, base images and task writing of the synthetic generator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tellapart.edits.differences import luma
from tellapart.synth import (
    DiffSpec,
    Task,
    create_difference,
    make_base_images,
    make_task,
    write_task,
)
from tellapart.synth.bases import BASE_KINDS, BaseSampler, photo_names
from tellapart.synth.split import HELDOUT_PHOTOS, is_heldout_base

N = 10
SIZE = 48


def _idx(names: list[str], side: str) -> list[int]:
    return [int(Path(n).stem) for n in names if n.startswith(side.lower() + "/")]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


# -- bases --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [*BASE_KINDS, "mixed"])
def test_base_kinds(kind: str) -> None:
    imgs = make_base_images(4, size=40, base=kind, seed=1)
    assert len(imgs) == 4
    for im in imgs:
        assert im.dtype == np.uint8 and im.shape == (40, 40, 3)
    assert not all(np.array_equal(imgs[0], im) for im in imgs[1:])
    assert _same(imgs, make_base_images(4, size=40, base=kind, seed=1))
    assert not _same(imgs, make_base_images(4, size=40, base=kind, seed=2))


def test_photos_are_bundled_and_split() -> None:
    names = photo_names()
    assert {"astronaut", "coffee", "chelsea", "china", "flower", "camera"} <= set(names)
    assert not set(photo_names("train")) & HELDOUT_PHOTOS
    assert set(photo_names("heldout")) == HELDOUT_PHOTOS
    s = BaseSampler("photos", 32, split="train")
    rng = np.random.default_rng(0)
    for _ in range(60):
        _, info = s.sample(rng)
        assert not is_heldout_base(info["kind"], info["source"])
    s = BaseSampler("mixed", 32, split="heldout")
    for _ in range(30):
        _, info = s.sample(rng)
        assert is_heldout_base(info["kind"], info["source"]), info


def test_dir_base(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (90, 70, 3), dtype=np.uint8)).save(
            tmp_path / f"{i}.png"
        )
    (tmp_path / "notes.txt").write_text("not an image")
    imgs = make_base_images(5, size=32, base=f"dir:{tmp_path}", seed=0)
    assert all(im.shape == (32, 32, 3) for im in imgs)
    task = make_task([DiffSpec("blur")], n_per_side=3, size=32, base=f"dir:{tmp_path}", seed=1)
    assert task.truth["bases"]["a"][0].startswith("dir:")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no readable images"):
        make_base_images(1, base=f"dir:{empty}")
    with pytest.raises(FileNotFoundError):
        make_base_images(1, base=f"dir:{tmp_path / 'missing'}")


def test_bad_base_and_size() -> None:
    with pytest.raises(ValueError, match="unknown base"):
        make_base_images(1, base="clouds")
    with pytest.raises(ValueError, match="image size"):
        make_base_images(1, size=3)
    with pytest.raises(ValueError, match="not part of split"):
        BaseSampler("mosaic", 32, split="train")


# -- make_task ------------------------------------------------------------------------------------


def test_make_task_deterministic() -> None:
    specs = [DiffSpec("tiny_rectangles", s=0.8, prevalence=0.5), DiffSpec("darker", s=0.6)]
    dist = [DiffSpec("blur", s=0.5, prevalence=0.5)]
    t1 = make_task(specs, n_per_side=N, size=SIZE, seed=5, distractors=dist)
    t2 = make_task(specs, n_per_side=N, size=SIZE, seed=5, distractors=dist)
    t3 = make_task(specs, n_per_side=N, size=SIZE, seed=6, distractors=dist)
    assert _same(t1.images_a, t2.images_a) and _same(t1.images_b, t2.images_b)
    assert t1.truth == t2.truth
    assert not _same(t1.images_a, t3.images_a)


@pytest.mark.parametrize("prevalence", [0.2, 0.5, 1.0])
def test_prevalence_and_affected(prevalence: float) -> None:
    n = 20
    spec = DiffSpec("frame", s=1.0, prevalence=prevalence)
    task = make_task([spec], n_per_side=n, size=SIZE, seed=3, base="smooth")
    ref = make_task([], n_per_side=n, size=SIZE, seed=3, base="smooth")
    (d,) = task.truth["differences"]
    idx = _idx(d["affected"], "A")
    assert len(idx) == round(prevalence * n) and not _idx(d["affected"], "B")
    # exactly the listed images changed, set B untouched (same seed -> same bases)
    for i in range(n):
        changed = not np.array_equal(task.images_a[i], ref.images_a[i])
        assert changed == (i in idx), i
    assert _same(task.images_b, ref.images_b)


def test_target_b_and_sentences() -> None:
    task = make_task(
        [DiffSpec("brighter", s=1.0, target="B")], n_per_side=6, size=SIZE, seed=1, base="photos"
    )
    (d,) = task.truth["differences"]
    assert d["target"] == "B" and d["sentence"].startswith("Set B images are brighter")
    assert all(p.lower().count("set b") >= 1 for p in d["paraphrases"][:2])
    assert _idx(d["affected"], "B") and not _idx(d["affected"], "A")
    mean_a = np.mean([luma(im).mean() for im in task.images_a])
    mean_b = np.mean([luma(im).mean() for im in task.images_b])
    assert mean_b > mean_a
    assert task.sentences == [d["sentence"]]


def test_distractors_apply_to_both_sets_equally() -> None:
    task = make_task(
        [],
        n_per_side=20,
        size=SIZE,
        seed=2,
        base="shapes",
        distractors=[DiffSpec("grayscale", s=1.0, prevalence=0.5)],
    )
    gray_a = sum(int(np.ptp(im.astype(int), axis=2).max() <= 1) for im in task.images_a)
    gray_b = sum(int(np.ptp(im.astype(int), axis=2).max() <= 1) for im in task.images_b)
    assert gray_a == gray_b == 10
    assert task.truth["null"] is True and task.truth["differences"] == []
    (dist,) = task.truth["distractors"]
    assert dist["type_id"] == "grayscale" and "affected" not in dist and dist["target"] == "both"


def test_null_task() -> None:
    task = make_task(n_per_side=5, size=SIZE, seed=0)
    assert task.truth["null"] is True and task.truth["differences"] == []
    assert task.sentences == []


def test_graded_difference() -> None:
    spec = DiffSpec("blur", s=1.0, graded=True, s_other=0.3)
    task = make_task([spec], n_per_side=8, size=64, seed=4, base="photos")
    ref = make_task([], n_per_side=8, size=64, seed=4, base="photos")
    (d,) = task.truth["differences"]
    assert d["graded"] and d["s_other"] == 0.3
    assert len(_idx(d["affected"], "A")) == 8 and len(_idx(d["affected"], "B")) == 8
    assert "blurrier than set B" in d["sentence"]
    from tellapart.edits.degradations import laplacian_variance as lv

    # both sets lost sharpness (an already smooth crop may not change), A more
    for ia, ib, ra, rb in zip(
        task.images_a, task.images_b, ref.images_a, ref.images_b, strict=True
    ):
        assert lv(ia) <= lv(ra) and lv(ib) <= lv(rb)
    ratio_a = np.median([lv(a) / lv(r) for a, r in zip(task.images_a, ref.images_a, strict=True)])
    ratio_b = np.median([lv(b) / lv(r) for b, r in zip(task.images_b, ref.images_b, strict=True)])
    assert ratio_a < ratio_b < 0.95
    with pytest.raises(ValueError, match="cannot be graded"):
        make_task([DiffSpec("mirrored", graded=True)], n_per_side=2, size=SIZE)


def test_explicit_params_in_task() -> None:
    spec = DiffSpec("darker", s=0.5, params={"factor": 0.6})
    task = make_task([spec], n_per_side=4, size=SIZE, seed=9, base="photos")
    ref = make_task([], n_per_side=4, size=SIZE, seed=9, base="photos")
    assert task.truth["differences"][0]["params"]["factor"] == 0.6
    for a, r in zip(task.images_a, ref.images_a, strict=True):
        assert np.abs(a.astype(float) - np.rint(r * 0.6)).max() <= 1


def test_mirrored_task_has_unmirrored_bases() -> None:
    # random mirroring of bases would make a mirror difference invisible
    task = make_task([DiffSpec("mirrored")], n_per_side=4, size=SIZE, seed=0, base="faces")
    ref = make_task([], n_per_side=4, size=SIZE, seed=0, base="faces")
    assert task.truth["differences"][0]["type_id"] == "mirrored"
    assert len(ref.images_a) == 4


def test_bad_specs() -> None:
    with pytest.raises(ValueError, match="unknown difference type"):
        make_task([DiffSpec("sparkles")], n_per_side=2)
    with pytest.raises(ValueError, match="prevalence"):
        make_task([DiffSpec("blur", prevalence=1.5)], n_per_side=2)
    with pytest.raises(ValueError, match="target"):
        make_task([DiffSpec("blur", target="C")], n_per_side=2)
    with pytest.raises(ValueError, match="n_per_side"):
        make_task([], n_per_side=0)


@pytest.mark.parametrize("size", [64, 128, 256])
def test_sizes(size: int) -> None:
    task = make_task([DiffSpec("vignette")], n_per_side=2, size=size, seed=1)
    assert all(im.shape == (size, size, 3) for im in task.images_a + task.images_b)


# -- write_task ------------------------------------------------------------------------------------

TRUTH_KEYS = {
    "task_id",
    "suite",
    "suite_version",
    "seed",
    "base",
    "size",
    "n_per_side",
    "differences",
    "distractors",
    "null",
}
DIFF_KEYS = {
    "type_id",
    "family",
    "s",
    "params",
    "prevalence",
    "target",
    "graded",
    "sentence",
    "paraphrases",
    "phrase",
    "affected",
}


def test_write_task_layout_and_schema(tmp_path: Path) -> None:
    task = make_task(
        [DiffSpec("tiny_rectangles", s=0.9, prevalence=0.5)],
        n_per_side=6,
        size=SIZE,
        seed=2,
        distractors=[DiffSpec("noise", s=0.4, prevalence=0.5)],
        task_id="demo",
    )
    out = write_task(task, tmp_path / "demo")
    assert sorted(p.name for p in (out / "a").iterdir()) == [f"{i:04d}.png" for i in range(6)]
    assert len(list((out / "b").glob("*.png"))) == 6
    truth = json.loads((out / "truth.json").read_text())
    assert TRUTH_KEYS <= set(truth)
    assert truth["task_id"] == "demo" and truth["n_per_side"] == 6 and truth["size"] == SIZE
    (d,) = truth["differences"]
    assert DIFF_KEYS <= set(d)
    assert len(d["paraphrases"]) >= 4
    for f in d["affected"]:
        assert (out / f).is_file()
    (dist,) = truth["distractors"]
    assert DIFF_KEYS - {"affected"} <= set(dist)
    # images round-trip exactly (PNG is lossless)
    assert np.array_equal(np.asarray(Image.open(out / "a" / "0003.png")), task.images_a[3])
    sheet = Image.open(out / "contact_sheet.png")
    assert sheet.width > 3 * SIZE and sheet.height > 2 * SIZE
    small = make_task([], n_per_side=2, size=SIZE, seed=3, task_id="demo")
    write_task(small, out)  # rewriting a folder drops the earlier task's extra images
    assert sorted(p.name for p in (out / "a").iterdir()) == ["0000.png", "0001.png"]
    out2 = write_task(task, tmp_path / "nosheet", contact_sheet=False)
    assert not (out2 / "contact_sheet.png").exists()


def test_task_dataclass() -> None:
    t = Task("x", [], [], {})
    assert t.sentences == []
    assert create_difference("blur").sentence_for("A", graded=True).startswith("Set A")
