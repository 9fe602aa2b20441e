"""RLOO fine-tuning of the decoder: the advantage, the rewards, steps, logging, resume, the cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tellapart.models.describer import Describer, DescriberConfig
from tellapart.models.tokenizer import WordTokenizer, normalize_sentence
from tellapart.train.rloo import (
    RlooConfig,
    RlooTrainer,
    TaskCache,
    cache_key,
    load_task_cache,
    loo_advantages,
    save_task_cache,
    sentence_rewards,
)

SENTENCES = [
    "Set A images contain tiny rectangles",
    "Set B images contain tiny rectangles",
    "Set A images are darker than set B images",
    "Set B images are darker than set A images",
    "Set A images have a frame around the border",
    "Set B images have a frame around the border",
]


def _model(seed: int = 0) -> Describer:
    torch.manual_seed(seed)
    tok = WordTokenizer.build(SENTENCES)
    known = {normalize_sentence(SENTENCES[0]): "diff:tiny_rectangles",
             normalize_sentence(SENTENCES[1]): "diff:tiny_rectangles"}
    return Describer(DescriberConfig.tiny(len(tok)), tok, known_sentences=known).eval()


def _cache(n_tasks: int = 6, n_per_side: int = 6, seed: int = 1) -> TaskCache:
    rng = np.random.default_rng(seed)
    emb = rng.normal(size=(n_tasks, 2 * n_per_side, 64)).astype(np.float32)
    emb[:, :n_per_side, 0] += 3.0  # set A differs along one direction, except in null tasks
    truths: list[list[tuple[str, str]]] = [[("tiny_rectangles", "A")] for _ in range(n_tasks)]
    truths[0] = []
    emb[0, :n_per_side, 0] -= 3.0
    return TaskCache(emb, truths, n_per_side)


def _cfg(**kw: object) -> RlooConfig:
    base = {"k": 4, "batch_tasks": 3, "lr": 1e-3, "log_every": 1, "ckpt_every": 2, "kl_coef": 0.1}
    base.update(kw)
    return RlooConfig(**base)  # type: ignore[arg-type]


def test_loo_advantages_match_hand_values() -> None:
    r = np.array([[1.0, 0.0, 0.5], [2.0, 2.0, 2.0], [0.0, 3.0, -3.0]])
    # A_i = R_i - mean of the other two
    expected = np.array([[1.0 - 0.25, 0.0 - 0.75, 0.5 - 0.5],
                         [0.0, 0.0, 0.0],
                         [0.0 - 0.0, 3.0 - (-1.5), -3.0 - 1.5]])
    np.testing.assert_allclose(loo_advantages(r), expected)
    np.testing.assert_allclose(loo_advantages(r).sum(axis=1), 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="k >= 2"):
        loo_advantages(np.array([[1.0], [2.0]]))


def test_sentence_rewards_penalise_duplicates_nulls_and_unreadable_sentences() -> None:
    model = _model()
    rng = np.random.default_rng(0)
    held_a, held_b = rng.normal(size=(8, 64)), rng.normal(size=(8, 64))
    cfg = RlooConfig(dup_penalty=0.3, invalid_reward=-0.7, null_penalty=2.0)
    said = [SENTENCES[0], SENTENCES[0], "tiny rectangles", SENTENCES[2]]
    out = sentence_rewards(model, said, held_a, held_b, [("tiny_rectangles", "A")], cfg)
    assert out[0].valid and not out[0].duplicate and out[0].true
    assert out[0].reward == pytest.approx(out[0].separation)
    assert -1.0 <= out[0].separation <= 1.0
    assert out[1].duplicate and out[1].reward == pytest.approx(out[0].reward - 0.3)
    assert not out[2].valid and out[2].reward == -0.7  # names no set: no claim to verify
    assert not out[3].true and not out[3].duplicate
    null = sentence_rewards(model, said, held_a, held_b, [], cfg)
    assert null[0].reward == pytest.approx(-2.0 * max(0.0, null[0].separation))
    assert all(o.reward <= 0.0 for o in null)


def test_rloo_steps_change_the_decoder_only_and_log_rewards(tmp_path: Path) -> None:
    model = _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainer = RlooTrainer(model, _cache(), _cfg(), tmp_path)
    last = trainer.run(steps=3)
    after = model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(k.startswith("decoder.") for k in changed)
    lines = [json.loads(s) for s in (tmp_path / "rloo_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [1, 2, 3]
    for r in lines:
        assert {"reward", "separation", "null_separation", "dup_rate", "invalid_rate", "kl",
                "true_rate", "loss"} <= set(r)
        assert np.isfinite(r["reward"]) and -2.0 <= r["reward"] <= 1.0
    assert last["step"] == 3.0 and (tmp_path / "rloo_ckpt.pt").is_file()


def test_resume_is_exact(tmp_path: Path) -> None:
    straight = _model()
    RlooTrainer(straight, _cache(), _cfg(), tmp_path / "a").run(steps=4)
    first = _model()
    RlooTrainer(first, _cache(), _cfg(), tmp_path / "b").run(steps=2)
    resumed = _model()
    trainer = RlooTrainer(resumed, _cache(), _cfg(), tmp_path / "b")
    trainer.load_checkpoint(tmp_path / "b" / "rloo_ckpt.pt")
    assert trainer.step == 2
    trainer.run(steps=4)
    for k, v in straight.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[k], v, rtol=0, atol=0)
    log_a = (tmp_path / "a" / "rloo_log.jsonl").read_text().splitlines()
    log_b = (tmp_path / "b" / "rloo_log.jsonl").read_text().splitlines()
    assert [json.loads(s)["reward"] for s in log_a] == [json.loads(s)["reward"] for s in log_b]
    with pytest.raises(RuntimeError, match="another RLOO config"):
        RlooTrainer(_model(), _cache(), _cfg(lr=0.5), tmp_path / "c").load_checkpoint(
            tmp_path / "b" / "rloo_ckpt.pt")


def test_task_cache_round_trip_and_key(tmp_path: Path) -> None:
    cache = _cache()
    save_task_cache(cache, tmp_path / "tasks-x", {"recipe": {}})
    assert not (tmp_path / "tasks-x.pkl").exists()
    back = load_task_cache(tmp_path / "tasks-x")
    assert back is not None
    np.testing.assert_array_equal(back.emb, cache.emb)
    assert back.truths == cache.truths and back.n_per_side == cache.n_per_side
    assert load_task_cache(tmp_path / "absent") is None
    cfg = RlooConfig()
    assert cache_key("abc", cfg) == cache_key("abc", RlooConfig(lr=0.5))  # not a recipe setting
    assert cache_key("abc", cfg) != cache_key("abd", cfg)
    assert cache_key("abc", cfg) != cache_key("abc", RlooConfig(n_tasks=7))


def test_rloo_needs_two_samples(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="k >= 2"):
        RlooTrainer(_model(), _cache(), _cfg(k=1), tmp_path)


def test_train_rloo_command_caches_tasks_and_exports_a_describer(tmp_path: Path) -> None:
    from tellapart.models.weights import load_describer, read_meta, save_describer
    from tellapart.train.trainer import main

    source = save_describer(_model(), tmp_path / "source")
    cfg = tmp_path / "rloo.json"
    cfg.write_text(json.dumps({"n_tasks": 3, "n_per_side": 4, "pool_size": 8, "k": 2,
                               "batch_tasks": 2, "log_every": 1}))
    argv = ["--rloo", str(source), "--rloo-config", str(cfg), "--rloo-cache", str(tmp_path / "cache"),
            "--out", str(tmp_path / "run"), "--steps", "2", "--no-progress"]
    assert main(argv) == 0
    cached = sorted(p.suffix for p in (tmp_path / "cache").iterdir())
    assert cached == [".json", ".safetensors"]  # embeddings and truths; nothing pickled
    tuned = load_describer(tmp_path / "run" / "final")
    meta = read_meta(tmp_path / "run" / "final")
    assert meta["extra"]["rloo"]["steps"] == 2 and meta["extra"]["rloo"]["config"]["k"] == 2
    before = load_describer(source)
    torch.testing.assert_close(tuned.encoder.head[0].weight, before.encoder.head[0].weight)
    assert len((tmp_path / "run" / "rloo_log.jsonl").read_text().splitlines()) == 2
    with pytest.raises(SystemExit, match="--steps"):
        main(["--rloo", str(source), "--out", str(tmp_path / "run2")])
