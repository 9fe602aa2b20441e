"""``tellapart train --from-concepts``: a tiny describer learns to write a tiny library's
concepts; checkpoints resume exactly; the export keeps the library usable."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tellapart.models.concept_library import load_library, save_concept, usable_concepts
from tellapart.models.concepts import EMBEDDING_BLOCK, MEASUREMENTS_BLOCK, ConceptData, fit_concept
from tellapart.models.describer import Describer, DescriberConfig
from tellapart.models.tokenizer import WordTokenizer
from tellapart.models.weights import embedding_sha256, load_describer, read_meta, save_describer
from tellapart.train import concept_stage
from tellapart.train.concept_stage import (
    ConceptStage,
    ConceptStageConfig,
    ConceptStageError,
    grow_vocabulary,
)
from tellapart.train.data import TaskSampler
from tellapart.train.trainer import main

NAMES = ("have zorblat stickers", "look quuxified")


def _cfg(**kw: object) -> ConceptStageConfig:
    base = dict(seed=2, steps=6, lr=3e-3, warmup_steps=2, concept_pairs=4, min_per_side=5,
                max_per_side=8, replay_tasks=2, replay_cache=4, replay_per_side=3, replay_pool=6,
                ckpt_every=3, log_every=2)
    base.update(kw)
    return ConceptStageConfig(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny untrained describer whose vocabulary holds the synthetic sentences."""
    torch.manual_seed(0)
    tok = WordTokenizer.build(TaskSampler(image_size=64, seed=0, pool_size=4).all_sentences())
    model = Describer(DescriberConfig.tiny(len(tok)), tok).eval()
    return save_describer(model, tmp_path_factory.mktemp("base") / "describer")


def _library(folder: Path, sha256: str, dim: int = 64, n: int = 20) -> Path:
    """Two concepts whose positives' embeddings are shifted along their own column."""
    for k, name in enumerate(NAMES):
        rng = np.random.default_rng(k)
        emb = rng.normal(size=(2 * n, dim))
        emb[:n, k] += 3.0
        raw = {EMBEDDING_BLOCK: emb, MEASUREMENTS_BLOCK: rng.normal(size=(2 * n, 2))}
        data = ConceptData(raw, ["m0", "m1"], np.arange(n), np.arange(n, 2 * n),
                           [f"{name}{i}" for i in range(2 * n)])
        save_concept(fit_concept(data, name, describer_sha256=sha256, provenance={},
                                 examples=np.zeros((0, 64, 64, 3), np.uint8)), folder)
    return folder


@pytest.fixture(scope="module")
def library(base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _library(tmp_path_factory.mktemp("lib"), embedding_sha256(read_meta(base)))


def test_grow_vocabulary_keeps_old_ids_and_outputs(base: Path) -> None:
    model = load_describer(base)
    grown = grow_vocabulary(model, ["zorblat", "set", "images"])
    assert grown.tokenizer.vocab[:len(model.tokenizer)] == model.tokenizer.vocab
    assert grown.tokenizer.vocab[len(model.tokenizer):] == ["zorblat"]  # "set" and "images" exist
    emb = np.random.default_rng(0).normal(size=(2, 5, 64)).astype(np.float32)
    ids = torch.tensor([model.tokenizer.encode("Set A images are darker than set B images")])
    with torch.no_grad():
        old = model.decoder(model.compare(torch.from_numpy(emb[:1]), torch.from_numpy(emb[1:])), ids)
        new = grown.decoder(grown.compare(torch.from_numpy(emb[:1]), torch.from_numpy(emb[1:])), ids)
    assert torch.allclose(new[..., :len(model.tokenizer)], old, atol=1e-5)
    assert grow_vocabulary(model, ["set"]) is model


def test_a_few_steps_learn_the_concepts_and_keep_the_image_side(base: Path, library: Path,
                                                                 tmp_path: Path) -> None:
    stage = ConceptStage(base, load_library(library), _cfg(steps=40), tmp_path)
    assert len(stage.concepts) == 2 and not stage.skipped
    first = stage.train_step()["loss_concept"]
    stage.run()
    last = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()][-1]
    assert last["step"] == 40 and last["loss_concept"] < 0.5 * first
    final = stage.export()
    tuned, start = load_describer(final), load_describer(base)
    # the image side is untouched: embeddings (what concepts read) are the base's
    tuned_state, start_state = tuned.state_dict(), start.state_dict()
    for name, value in start_state.items():
        if name.startswith(("encoder.", "scorer.", "type_head")):
            assert torch.equal(tuned_state[name], value), name
    assert any(not torch.equal(tuned_state[n], v) for n, v in start_state.items()
               if n.startswith("decoder.blocks"))
    assert "zorblat" in tuned.tokenizer.index
    meta = read_meta(final)
    assert embedding_sha256(meta) == embedding_sha256(read_meta(base)) != meta["weights_sha256"]
    assert meta["extra"]["concept_stage"]["steps"] == 40


def test_resume_is_exact(base: Path, library: Path, tmp_path: Path) -> None:
    straight = ConceptStage(base, load_library(library), _cfg(), tmp_path / "a")
    straight.run()
    half = ConceptStage(base, load_library(library), _cfg(), tmp_path / "b")
    half.run(steps=3)
    resumed = ConceptStage(base, load_library(library), _cfg(), tmp_path / "b")
    resumed.load_checkpoint(tmp_path / "b" / "ckpt.pt")
    assert resumed.step == 3
    resumed.run()
    for name, value in straight.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[name], value), name


def test_concepts_of_another_describer_are_skipped_by_name(base: Path, tmp_path: Path) -> None:
    other = _library(tmp_path / "lib", "e" * 64)
    with pytest.raises(ConceptStageError, match="no concept of library"):
        ConceptStage(base, load_library(other), _cfg(), tmp_path / "run")
    lines: list[str] = []
    with pytest.raises(ConceptStageError):
        ConceptStage(base, load_library(other), _cfg(), tmp_path / "run", log=lines.append)
    assert len(lines) == 2 and all("other describer weights" in line for line in lines)


def test_cli_trains_resumes_and_the_library_stays_usable(base: Path, library: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    small = dataclasses.replace(_cfg())
    monkeypatch.setattr(concept_stage, "ConceptStageConfig",
                        lambda seed=0: dataclasses.replace(small, seed=seed))
    out = tmp_path / "run"
    args = ["--from-concepts", "--library", str(library), "--describer", str(base), "--out",
            str(out), "--no-progress", "--threads", "1"]
    assert main(args + ["--steps", "2"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["step"] == 2
    assert main(args + ["--steps", "4", "--resume", str(out / "ckpt.pt")]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert summary["step"] == 4 and summary["concepts"] == 2
    monkeypatch.setenv("TELLAPART_DESCRIBER", summary["final"])
    usable, warnings = usable_concepts(str(library))
    assert [c.name for c in usable] == sorted(NAMES) and not warnings
