"""Learned concepts: fitting, the library on disk (validation), the proposer and scorer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tellapart import stats
from tellapart.config import Settings
from tellapart.context import DataContext
from tellapart.models import runtime
from tellapart.models.concept_library import (
    copy_concept,
    load_concept,
    load_library,
    refit_library,
    remove_concept,
    rename_concept,
    save_concept,
)
from tellapart.models.concepts import (
    DETECTORS_BLOCK,
    EMBEDDING_BLOCK,
    MEASUREMENTS_BLOCK,
    Concept,
    ConceptData,
    ConceptError,
    fit_concept,
    predicate,
    raw_blocks,
)
from tellapart.models.describer import Describer, DescriberConfig
from tellapart.models.tokenizer import WordTokenizer
from tellapart.propose.concepts import ConceptProposer
from tellapart.report.scores import read_scores_csv, scores_csv_text
from tellapart.types import DecodedImage, FeatureTable, ImageRecord, ImageScores
from tellapart.verify.concepts import (
    MAX_PRESENCE_RATIO,
    ConceptScorer,
    decide_presence,
    presence_evidence,
)


def _data(seed: int = 0, n: int = 30, shift: float = 2.0) -> ConceptData:
    """Blocks where column 0 of the measurements and of the embedding is higher in the
    first ``n`` rows (the positives)."""
    rng = np.random.default_rng(seed)
    raw = {MEASUREMENTS_BLOCK: rng.normal(size=(2 * n, 4)),
           EMBEDDING_BLOCK: rng.normal(size=(2 * n, 8)),
           DETECTORS_BLOCK: rng.normal(size=(2 * n, 3))}
    raw[MEASUREMENTS_BLOCK][:n, 0] += shift
    raw[EMBEDDING_BLOCK][:n, 0] += shift
    raw[MEASUREMENTS_BLOCK][:3, 2] = np.nan  # missing values are allowed
    return ConceptData(raw, ["m0", "m1", "m2", "m3"], np.arange(n), np.arange(n, 2 * n),
                       [f"h{i}" for i in range(2 * n)])


def _concept(name: str = "have purple stickers", seed: int = 0) -> Concept:
    examples = np.zeros((2, 64, 64, 3), dtype=np.uint8)
    return fit_concept(_data(seed), name, describer_sha256="d" * 64,
                       provenance={"finding": "Set A images x"}, examples=examples)


def test_fit_separates_and_calibrates_on_held_out_scores() -> None:
    concept = _concept()
    assert concept.calibration["held_out_auroc"] > 0.9
    # the floor is the 95th percentile of held-out scores of images without it
    assert concept.calibration["negatives_above_floor"] <= 0.1
    assert concept.calibration["positives_above_floor"] > 0.5
    scores = concept.scores(_data().raw)
    assert scores[:30].mean() > scores[30:].mean()
    assert concept.id.startswith("have-purple-stickers-")
    assert concept.provenance["image_hashes"]["positive"][0] == "h0"


def test_no_difference_gives_a_chance_held_out_auroc() -> None:
    aurocs = [fit_concept(_data(seed, shift=0.0), "x", describer_sha256="d", provenance={},
                          examples=np.zeros((0, 64, 64, 3), np.uint8)).calibration["held_out_auroc"]
              for seed in range(5)]
    assert 0.3 < float(np.mean(aurocs)) < 0.7


def test_too_few_images_is_refused() -> None:
    data = _data()
    data.positive = data.positive[:3]
    with pytest.raises(ConceptError, match="too few images"):
        fit_concept(data, "x", describer_sha256="d", provenance={},
                    examples=np.zeros((0, 64, 64, 3), np.uint8))


def test_round_trip_on_disk(tmp_path: Path) -> None:
    concept = _concept()
    path = save_concept(concept, tmp_path)
    loaded = load_concept(path)
    assert loaded.id == concept.id and loaded.name == concept.name
    np.testing.assert_allclose(loaded.scores(_data().raw), concept.scores(_data().raw))
    assert loaded.examples.shape == (2, 64, 64, 3)
    assert json.loads(path.read_text())["format"] == "tellapart-concept"


def test_corrupt_and_foreign_files_are_named_and_the_rest_load(tmp_path: Path) -> None:
    good = save_concept(_concept("have stickers", 0), tmp_path)
    truncated = save_concept(_concept("have stripes", 1), tmp_path)
    arrays = truncated.with_suffix(".safetensors")
    arrays.write_bytes(arrays.read_bytes()[:100])
    (tmp_path / "foreign.json").write_text('{"format": "something else"}')
    (tmp_path / "broken.json").write_text("{not json")
    library = load_library(tmp_path)
    assert [c.id for c in library.concepts] == [load_concept(good).id]
    assert len(library.errors) == 3
    text = " ".join(library.errors)
    assert truncated.stem in text and "SHA-256" in text
    assert "foreign.json" in text and "broken.json" in text


def test_arrays_that_disagree_with_the_json_are_refused(tmp_path: Path) -> None:
    import hashlib

    from safetensors.numpy import load_file, save_file

    path = save_concept(_concept(), tmp_path)
    meta = json.loads(path.read_text())

    tensors = dict(load_file(str(path.with_suffix(".safetensors"))))
    tensors["measurements.coefficients"] = tensors["measurements.coefficients"][:-1]  # wrong shape
    save_file(tensors, str(path.with_suffix(".safetensors")))
    meta["arrays_sha256"] = hashlib.sha256(path.with_suffix(".safetensors").read_bytes()).hexdigest()
    path.write_text(json.dumps(meta))
    with pytest.raises(ConceptError, match="coefficients"):
        load_concept(path)
    meta["format_version"] = 99
    path.write_text(json.dumps(meta))
    with pytest.raises(ConceptError, match="version"):
        load_concept(path)


def test_rename_remove_and_copy(tmp_path: Path) -> None:
    library, other = tmp_path / "lib", tmp_path / "other"
    path = save_concept(_concept(), library)
    concept_id = path.stem
    assert rename_concept(library, concept_id, "carry a purple sticker").name == "carry a purple sticker"
    assert load_concept(path).name == "carry a purple sticker"
    copied = copy_concept(path, other)
    assert load_library(other).get(copied.id).name == "carry a purple sticker"
    remove_concept(library, concept_id)
    assert load_library(library).concepts == []
    with pytest.raises(FileNotFoundError):
        remove_concept(library, concept_id)


@pytest.mark.parametrize(("sentence", "expected"), [
    ("Set A images are darker than set B images", "are darker than the other set's images"),
    ("Set B images contain small red rectangles", "contain small red rectangles"),
    ("More set A images have a caption.", "have a caption"),
])
def test_predicate_drops_the_sets(sentence: str, expected: str) -> None:
    assert predicate(sentence) == expected


def test_scores_csv_reads_back(tmp_path: Path) -> None:
    scores = ImageScores(["a,1.png", "b.png"], ["A", "B"], [0, 1],
                         {"overall": np.array([0.25, np.nan]), "finding_1:x:A": np.array([1e-20, 3.0])})
    path = tmp_path / "scores.csv"
    path.write_text(scores_csv_text(scores))
    back = read_scores_csv(path)
    assert back.paths == scores.paths and back.sets == scores.sets and back.folds == [0, 1]
    np.testing.assert_array_equal(back.columns["finding_1:x:A"], scores.columns["finding_1:x:A"])
    assert np.isnan(back.columns["overall"][1])


# ---- the proposer and scorer on a tiny describer ---------------------------------------


@pytest.fixture(scope="module")
def model() -> Describer:
    torch.manual_seed(1)
    tok = WordTokenizer.build(["Set A images are darker than set B images"])
    return Describer(DescriberConfig.tiny(len(tok)), tok).eval()


def _ctx(n: int = 24) -> DataContext:
    rng = np.random.default_rng(0)
    pixels, records = {}, []
    for i in range(2 * n):
        name = "A" if i < n else "B"
        img = rng.random((32, 32, 3)).astype(np.float32)
        if name == "A":
            img[8:20, 8:20] = [0.6, 0.1, 0.8]  # a purple sticker
        pixels[f"hash{i}"] = img
        records.append(ImageRecord(f"/x/{name}/{i}.png", name, f"hash{i}", 1, 32, 32, "PNG", "RGB", 8))

    def load(record: ImageRecord) -> DecodedImage:
        return DecodedImage(record=record, rgb=pixels[record.content_hash])

    values = rng.normal(size=(2 * n, 2))
    table = FeatureTable(records=records, names=["m0", "m1"], values=values)
    return DataContext(table=table, load=load, settings=Settings(quarter_views=False))


def test_proposer_and_scorer_follow_the_detector(model: Describer) -> None:
    runtime.clear_cache()
    ctx = _ctx()
    raw = raw_blocks(ctx, np.arange(48), model)
    data = ConceptData(raw, ["m0", "m1"], np.arange(24), np.arange(24, 48),
                       [r.content_hash for r in ctx.table.records])
    concept = fit_concept(data, "have a purple sticker", describer_sha256="d", provenance={},
                          examples=np.zeros((0, 64, 64, 3), np.uint8))
    rows = np.r_[0:12, 24:36]
    claims = ConceptProposer([concept], model=model).propose(ctx, rows, k=3)
    assert len(claims) == 1
    claim = claims[0]
    assert claim.description == "Set A images have a purple sticker"
    assert claim.more_in == "A" and claim.scorer == "concepts" and claim.proposal_score > 2
    scorer = ConceptScorer([concept], model=model)
    assert scorer.can_score(claim) and scorer.can_score_in(claim, ctx)
    held_out = np.r_[12:24, 36:48]
    scores = scorer.score(claim, ctx, held_out)
    assert scores[:12].min() > scores[12:].max()
    assert scorer.floor_score(claim) == concept.floor
    assert not ConceptScorer([], model=model).can_score_in(claim, ctx)
    # its words are checked on the comparison's images: the same images it was learned from
    # here, so what it changed there makes set B look like set A
    checked = scorer.check_words(claim, ctx)
    assert checked is not None and checked.status == "confirmed", checked
    # a concept that keeps no training rows (what the check needs) is not checked
    concept.training = None
    assert scorer.check_words(claim, ctx) is None


def _sticker_data(specific: int, seed: int) -> ConceptData:
    """Positives share a generic mark (column 0) and have their own one (column ``specific``)."""
    rng = np.random.default_rng(seed)
    n = 30
    raw = {MEASUREMENTS_BLOCK: rng.normal(size=(2 * n, 4)),
           EMBEDDING_BLOCK: rng.normal(size=(2 * n, 6))}
    raw[EMBEDDING_BLOCK][:n, 0] += 3.0
    raw[EMBEDDING_BLOCK][:n, specific] += 3.0
    return ConceptData(raw, ["m0", "m1", "m2", "m3"], np.arange(n), np.arange(n, 2 * n),
                       [f"{specific}-{i}" for i in range(2 * n)])


def test_refit_against_the_library_makes_concepts_specific(tmp_path: Path) -> None:
    empty = np.zeros((0, 64, 64, 3), np.uint8)
    first = fit_concept(_sticker_data(1, 0), "have a heart", describer_sha256="d", provenance={},
                        examples=empty)
    second = fit_concept(_sticker_data(2, 1), "have a smiley", describer_sha256="d",
                         provenance={}, examples=empty)
    probe = _sticker_data(2, 5).raw  # new images with the second sticker
    before = first.scores(probe)[:30].mean() - first.scores(probe)[30:].mean()
    save_concept(first, tmp_path)
    save_concept(second, tmp_path)
    refitted = {c.id: c for c in refit_library(tmp_path)}
    after_first = refitted[first.id]
    after = after_first.scores(probe)[:30].mean() - after_first.scores(probe)[30:].mean()
    assert after < 0.5 * before  # the heart concept no longer fires on smileys
    own = _sticker_data(1, 6).raw
    assert after_first.scores(own)[:30].mean() > after_first.scores(own)[30:].mean()
    assert after_first.calibration["n_other_concepts_images"] == 30
    reloaded = load_concept(tmp_path / f"{first.id}.json")
    assert reloaded.training is not None and reloaded.training.positive.sum() == 30
    np.testing.assert_allclose(reloaded.scores(probe), after_first.scores(probe))


def _shifted(seed: int, shifts: dict[int, float], n: int = 40) -> dict[str, np.ndarray]:
    """Embedding-only blocks of 2n images; the first n shifted by ``shifts`` (column -> shift)."""
    rng = np.random.default_rng(seed)
    embedding = rng.normal(size=(2 * n, 8))
    for column, shift in shifts.items():
        embedding[:n, column] += shift
    return {MEASUREMENTS_BLOCK: rng.normal(size=(2 * n, 2)), EMBEDDING_BLOCK: embedding}


def test_presence_check_confirms_the_learned_change_and_refutes_a_look_alike() -> None:
    # The concept changed embedding columns 0 and 1 of its learning images. On new images with
    # the same change, adding it to set B makes set B look like set A. On images where only
    # column 0 moved, together with column 3 (another difference its detector responds to),
    # the detector separates the sets but adding the change leaves set B far from set A.
    learn = _shifted(0, {0: 2.5, 1: 2.5})
    concept = fit_concept(ConceptData(learn, ["m0", "m1"], np.arange(40), np.arange(40, 80),
                                      [f"h{i}" for i in range(80)]),
                          "have a sticker", describer_sha256="d", provenance={},
                          examples=np.zeros((0, 64, 64, 3), np.uint8))

    def check(raw: dict[str, np.ndarray]) -> tuple[float, str]:
        named = {k: v[:40] for k, v in raw.items()}
        other = {k: v[40:] for k, v in raw.items()}
        scores = concept.scores(raw)
        assert stats.auroc(scores[:40], scores[40:]) > 0.9  # the detector responds
        evidence = presence_evidence(concept, named, other)
        return evidence.distance_ratio, decide_presence(evidence, "A", 40).status

    ratio, status = check(_shifted(5, {0: 2.5, 1: 2.5}))
    assert ratio < MAX_PRESENCE_RATIO and status == "confirmed"
    ratio, status = check(_shifted(6, {0: 4.0, 3: 3.0}))
    assert ratio > 0.6 and status == "refuted"
