"""Training: loss goes down, checkpoints resume exactly, curriculum promotes, CLI works."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tellapart.models.weights import load_describer
from tellapart.train.curriculum import LEVELS, Curriculum, Level
from tellapart.train.data import TaskSampler
from tellapart.train.trainer import TrainConfig, Trainer, _auroc, main


def _cfg(**kw: object) -> TrainConfig:
    base = dict(model="tiny", seed=3, n_tasks=2, n_per_side=4, pool_size=24, val_tasks=3,
                val_per_side=4, lr=3e-3, warmup_steps=5, log_every=5, val_every=1000,
                ckpt_every=1000)
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


def test_task_sampler_labels_and_truths() -> None:
    sampler = TaskSampler(image_size=32, seed=0, pool_size=16)
    rng = np.random.default_rng(0)
    images, labels, truths = sampler.task(LEVELS[0], 5, rng)
    assert images.shape == (10, 32, 32, 3) and images.dtype == np.uint8
    assert labels.shape == (10, len(sampler.type_ids))
    assert len(truths) == 1
    type_id, target = truths[0]
    k = sampler.type_ids.index(type_id)
    side = slice(0, 5) if target == "A" else slice(5, 10)
    other = slice(5, 10) if target == "A" else slice(0, 5)
    assert labels[side, k].sum() == 5 and labels[other, k].sum() == 0  # full prevalence, one side
    # the decoder's sentences all tokenise without unknown words, both directions
    table = sampler.sentence_truths()
    assert all(len(v) >= 1 for v in table.values())
    for info in sampler.types:
        assert info.image_phrases and all("set a" not in p.lower() for p in info.image_phrases)


def test_labelled_images_carry_one_true_label_each() -> None:
    sampler = TaskSampler(image_size=32, seed=0, pool_size=16)
    rng = np.random.default_rng(0)
    full = Level("full", n_diffs=(1, 1), strength=(1.0, 1.0), prevalence=(1.0, 1.0))
    images, labels = sampler.labelled_images(40, full, rng)  # s = 1: grayscale is all grey
    assert images.shape == (40, 32, 32, 3) and images.dtype == np.uint8
    assert labels.shape == (40, len(sampler.type_ids)) and set(labels.sum(axis=1)) <= {0.0, 1.0}
    assert labels.sum() >= 30  # p_none = 0.1: most images carry a difference
    gray = sampler.type_ids.index("grayscale")
    for img, lab in zip(images, labels, strict=True):
        if lab[gray]:
            assert np.ptp(img.astype(int), axis=2).max() <= 2  # grayscale really applied


def test_training_reduces_loss(tmp_path) -> None:
    trainer = Trainer(_cfg(aux_images=8), tmp_path, progress=False)
    steps = [trainer.train_step(progress=0.0) for _ in range(30)]
    losses = [s["loss_txt"] for s in steps]
    assert np.mean(losses[-5:]) < np.mean(losses[:5]) - 0.5, losses
    assert trainer.model.type_head is not None
    type_losses = [s["loss_type"] for s in steps]
    assert np.mean(type_losses[-5:]) < np.mean(type_losses[:5]), type_losses


def test_resume_gives_identical_continuation(tmp_path) -> None:
    straight = Trainer(_cfg(), tmp_path / "a", progress=False)
    straight.run(steps=4)
    first = Trainer(_cfg(), tmp_path / "b", progress=False)
    first.run(steps=2)
    ckpt = first.save_checkpoint()
    resumed = Trainer(_cfg(), tmp_path / "b", progress=False)
    resumed.load_checkpoint(ckpt)
    assert resumed.step == 2
    resumed.run(steps=4)
    for (name, p), q in zip(straight.model.state_dict().items(), resumed.model.state_dict().values(),
                            strict=True):
        assert torch.equal(p, q), name


def test_init_from_copies_every_matching_tensor(tmp_path) -> None:
    old = Trainer(_cfg(type_stats=False), tmp_path / "old", progress=False)
    old.run(steps=2)
    ckpt = old.save_checkpoint()
    new = Trainer(_cfg(), tmp_path / "new", progress=False)  # type_stats on: a wider stats MLP
    fresh = new.init_from(ckpt)
    assert fresh and all(name.startswith("comparator.stats_mlp") for name in fresh)
    old_state = old.model.state_dict()
    for name, tensor in new.model.state_dict().items():
        if name not in fresh:
            assert torch.equal(tensor, old_state[name]), name
    assert new.step == 0  # a warm start, not a resume
    val = new.validate(0)
    assert 0.0 <= val["type_recall"] <= 1.0 and 0.0 <= val["type_top1"] <= 1.0


def test_curriculum_promotes_on_threshold() -> None:
    cur = Curriculum()
    rng = np.random.default_rng(0)
    assert all(lv.name == "easy" for lv in cur.levels_for_batch(8, rng))
    assert not cur.update(0.1, step=10)
    assert cur.update(0.99, step=20) and cur.current.name == "medium"
    assert cur.history[0]["step"] == 20
    levels = cur.levels_for_batch(200, rng)
    assert {lv.name for lv in levels} == {"easy", "medium"}  # reviews earlier levels
    for _ in range(10):
        cur.update(1.0, step=30)
    assert cur.is_last and cur.current.name == "hard"
    state = cur.state_dict()
    again = Curriculum()
    again.load_state_dict(state)
    assert again.level == cur.level
    with pytest.raises(ValueError):
        again.load_state_dict({"level": 99})


def test_type_floor_is_the_quantile_over_images_without_the_type(tmp_path) -> None:
    from tellapart.train.floors import calibrate_type_floor

    trainer = Trainer(_cfg(), tmp_path, progress=False)
    floors = calibrate_type_floor(trainer.model, trainer.sampler, n_images=120, quantile=0.9, seed=1)
    rng = np.random.default_rng([1, 5151])
    images, labels = trainer.sampler.labelled_images(120, LEVELS[-1], rng)
    logits = trainer.model.type_logits(trainer.model.embed(images))
    k = int(np.argmax(labels.sum(axis=0)))
    assert floors[k] == pytest.approx(float(np.quantile(logits[labels[:, k] < 0.5, k], 0.9)), rel=1e-5)
    assert len(floors) == len(trainer.sampler.type_ids)


def test_auroc() -> None:
    assert _auroc(np.array([3.0, 4.0, 1.0, 2.0]), np.array([1, 1, 0, 0])) == 1.0
    assert _auroc(np.array([1.0, 1.0]), np.array([1, 0])) == 0.5
    assert np.isnan(_auroc(np.array([1.0]), np.array([1])))


def test_cli_writes_checkpoint_metrics_and_weights(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    code = main(["--out", str(out), "--model", "tiny", "--steps", "3", "--n-tasks", "1",
                 "--n-per-side", "3", "--pool-size", "12", "--val-tasks", "2", "--no-progress"])
    assert code == 0
    assert (out / "ckpt.pt").is_file()
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert any("val" in r for r in records)
    model = load_describer(out / "final")
    assert model.config.image_size == 64
    # the export names the type head's outputs and calibrates one floor per type
    assert model.type_ids == TaskSampler(64, seed=0).type_ids
    assert len(model.type_floor) == len(model.type_ids) and np.isfinite(model.type_floor).all()
    assert len(model.type_sentences) == len(model.type_ids)
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["step"] == 3
    code = main(["--out", str(out), "--resume", str(out / "ckpt.pt"), "--steps", "4", "--no-progress"])
    assert code == 0
    code = main(["--out", str(tmp_path / "exported"), "--export-from", str(out / "ckpt.pt"),
                 "--export-dtype", "float16", "--no-progress"])
    assert code == 0
    exported = load_describer(tmp_path / "exported" / "final")
    assert exported.type_floor and json.loads(capsys.readouterr().out.strip().splitlines()[-1])["step"] == 4


def _tiny_export(tmp_path: Path) -> Path:
    """A 2-step tiny training run's folder; its exported weights are in ``final``."""
    out = tmp_path / "run"
    assert main(["--out", str(out), "--model", "tiny", "--steps", "2", "--n-tasks", "1",
                 "--n-per-side", "3", "--pool-size", "12", "--val-tasks", "2", "--no-progress"]) == 0
    return out


def test_text_stage_trains_only_the_text_adapter(tmp_path, capsys) -> None:
    from tellapart.edits.differences import DIFFERENCES
    from tellapart.train.text_stage import TextStageConfig, stage_phrases, tune_text_adapter

    out = _tiny_export(tmp_path)
    model = load_describer(out / "final")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    floors = list(model.type_floor)
    cfg = TextStageConfig(n_images=96, val_images=64, steps=60, batch=48, lr=1e-2)
    summary = tune_text_adapter(model, cfg)
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == {"scorer.txt_adapter.weight", "scorer.txt_adapter.bias"}
    assert all(p.requires_grad for p in model.parameters())  # nothing left frozen
    assert model.type_floor == floors
    assert summary["loss_after"] < summary["loss_before"]
    assert 0.0 <= summary["heldout_phrase_auroc_after"] <= 1.0
    phrases, owners = stage_phrases(TaskSampler(64, seed=0))
    assert summary["n_phrases"] == len(phrases) == len(owners)
    # each type's wordings are in, its held-out scorer phrase is not
    sampler = TaskSampler(64, seed=0)
    k = sampler.type_ids.index("darker")
    mine = {p for p, o in zip(phrases, owners, strict=True) if o == k}
    assert set(DIFFERENCES.create("darker").wordings) <= mine
    assert not mine & set(sampler.types[k].heldout_phrases)
    # the command writes the tuned weights with the stage's summary in their metadata
    capsys.readouterr()
    assert main(["--out", str(tmp_path / "tuned"), "--tune-text", str(out / "final"), "--steps", "3",
                 "--no-progress"]) == 0
    tuned = load_describer(tmp_path / "tuned" / "final")
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["text_stage"]["config"]["steps"] == 3
    from tellapart.models.weights import read_meta

    assert read_meta(tmp_path / "tuned" / "final")["extra"]["text_stage"] == printed["text_stage"]
    assert tuned.type_floor == load_describer(out / "final").type_floor
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path / "x"), "--tune-text", str(out / "final"),
              "--export-from", str(out / "ckpt.pt")])


def test_type_stage_fits_a_classifier_and_leaves_the_rest_as_trained(tmp_path, capsys) -> None:
    from tellapart.models.weights import read_meta
    from tellapart.train.type_stage import TypeStageConfig, fit_type_classifier

    out = _tiny_export(tmp_path)
    model = load_describer(out / "final")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rng = np.random.default_rng(0)
    emb_a = model.embed(rng.integers(0, 256, (5, 64, 64, 3), dtype=np.uint8))
    emb_b = model.embed(rng.integers(0, 256, (5, 64, 64, 3), dtype=np.uint8))
    sentences = model.describe(emb_a, emb_b, n=3)
    head = model.type_logits(emb_a)
    cfg = TypeStageConfig(images_per_level=48, chunk=24, val_images=24, floor_images=48,
                          pool_size=16, hidden=16, epochs=2, batch=32)
    summary = fit_type_classifier(model, cfg)
    after = model.state_dict()
    assert all(torch.equal(after[k], v) for k, v in before.items())  # nothing trained changed
    assert {k for k in after if k not in before} == {
        f"type_classifier.{name}" for name in
        ("norm.weight", "norm.bias", "hidden.weight", "hidden.bias", "out.weight", "out.bias")}
    assert model.config.type_classifier_hidden == 16
    # per-image type logits now come from the classifier; the comparator still reads the head
    assert not np.allclose(model.type_logits(emb_a), head)
    with torch.no_grad():
        expected = model.type_classifier(torch.from_numpy(emb_a)).numpy()  # type: ignore[misc]
    np.testing.assert_allclose(model.type_logits(emb_a), expected, rtol=1e-6)
    assert model.describe(emb_a, emb_b, n=3) == sentences
    assert len(model.type_floor) == len(model.type_ids) and np.isfinite(model.type_floor).all()
    assert summary["n_images"] == 4 * 48
    for entry in summary["val_mean_type_auroc"].values():
        assert 0.0 <= entry["classifier"] <= 1.0 and 0.0 <= entry["type_head"] <= 1.0
    # deterministic: the same seed fits the same classifier and floors
    again = load_describer(out / "final")
    fit_type_classifier(again, cfg)
    assert all(torch.equal(again.state_dict()[k], v) for k, v in after.items())
    assert again.type_floor == model.type_floor
    # the command writes weights that load with the classifier, the summary in their metadata
    capsys.readouterr()
    assert main(["--out", str(tmp_path / "typed"), "--tune-types", str(out / "final"),
                 "--type-images", "40", "--pool-size", "16", "--no-progress"]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["type_stage"]["n_images"] == 4 * 40
    typed = load_describer(tmp_path / "typed" / "final")
    assert typed.type_classifier is not None and typed.config.type_classifier_hidden == 512
    assert read_meta(tmp_path / "typed" / "final")["extra"]["type_stage"] == printed["type_stage"]
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path / "x"), "--tune-types", str(out / "final"),
              "--resume", str(out / "ckpt.pt")])


def test_stacked_images_carry_the_drawn_number_of_distinct_differences() -> None:
    sampler = TaskSampler(64, seed=2, pool_size=12)
    rng = np.random.default_rng(5)
    images, labels = sampler.stacked_images(60, LEVELS[-1], rng, count_p=(0.2, 0.3, 0.3, 0.2))
    assert images.shape == (60, 64, 64, 3) and images.dtype == np.uint8
    counts = labels.sum(axis=1)
    assert set(counts.tolist()) <= {0.0, 1.0, 2.0, 3.0} and {0.0, 3.0} <= set(counts.tolist())
    for row in labels:  # never two differences of one concept on an image
        concepts = [sampler.diffs[sampler.type_ids[k]].concept_key() for k in np.flatnonzero(row)]
        assert len(concepts) == len(set(concepts))
    again = sampler.stacked_images(60, LEVELS[-1], np.random.default_rng(5), (0.2, 0.3, 0.3, 0.2))
    np.testing.assert_array_equal(again[0], images)
    with pytest.raises(ValueError):
        sampler.stacked_images(2, LEVELS[-1], rng, count_p=(0.5, 0.6))
