"""Contracts of the learned proposer and scorer on a tiny randomly initialised describer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tellapart.config import Settings
from tellapart.context import DataContext
from tellapart.models import runtime
from tellapart.models.describer import Describer, DescriberConfig
from tellapart.models.tokenizer import WordTokenizer, normalize_sentence
from tellapart.propose.learned import LearnedProposer
from tellapart.train.data import type_words_of
from tellapart.types import DecodedImage, FeatureTable, Hypothesis, ImageRecord
from tellapart.verify.learned import LearnedScorer

SENTENCES = [
    "Set A images contain tiny rectangles",
    "Set B images contain tiny rectangles",
    "Set A images are darker than set B images",
    "Set B images are darker than set A images",
]


@pytest.fixture(scope="module")
def model() -> Describer:
    torch.manual_seed(1)
    tok = WordTokenizer.build(SENTENCES)
    known = {normalize_sentence(s): "diff:tiny_rectangles" for s in SENTENCES[:2]}
    return Describer(DescriberConfig.tiny(len(tok)), tok, known_sentences=known).eval()


@pytest.fixture(scope="module")
def ctx() -> DataContext:
    rng = np.random.default_rng(0)
    pixels: dict[str, np.ndarray] = {}
    records = []
    for i in range(16):
        name = "A" if i < 8 else "B"
        h, w = (40, 56) if i % 2 else (48, 48)
        img = rng.random((h, w, 3)).astype(np.float32) * (0.5 if name == "A" else 1.0)
        key = f"hash{i}"
        pixels[key] = img
        records.append(ImageRecord(f"/x/{name}/{i}.png", name, key, 1, w, h, "PNG", "RGB", 8))
    calls: list[str] = []

    def load(record: ImageRecord) -> DecodedImage:
        calls.append(record.content_hash)
        return DecodedImage(record=record, rgb=pixels[record.content_hash])

    table = FeatureTable(records=records, names=[], values=np.zeros((16, 0)))
    c = DataContext(table=table, load=load, settings=Settings())
    c.calls = calls  # type: ignore[attr-defined]
    return c


def test_proposer_contract(model: Describer, ctx: DataContext) -> None:
    rows = np.array([0, 1, 2, 3, 4, 8, 9, 10, 11, 12])
    hyps = LearnedProposer(model=model).propose(ctx, rows, k=3)
    assert len(hyps) <= 3
    concepts = [h.concept for h in hyps]
    assert len(set(concepts)) == len(concepts)
    for h in hyps:
        assert h.proposer == "learned" and h.scorer == "learned"
        assert h.more_in in ("A", "B")
        assert h.description and h.params["phrase"]
        assert 0.0 <= h.proposal_score <= 1.0
    assert LearnedProposer(model=model).propose(ctx, rows, k=0) == []
    with pytest.raises(ValueError, match="both sets"):
        LearnedProposer(model=model).propose(ctx, np.array([0, 1, 2]), k=2)


def test_embeddings_are_computed_once_per_image(model: Describer, ctx: DataContext) -> None:
    runtime.clear_cache()
    ctx.calls.clear()  # type: ignore[attr-defined]
    rows = np.arange(16)
    LearnedProposer(model=model).propose(ctx, rows, k=2)
    scorer = LearnedScorer(model=model)
    hyp = scorer.interpret("Set A images contain tiny rectangles")
    assert hyp is not None
    scorer.score(hyp, ctx, rows)
    assert sorted(ctx.calls) == sorted(r.content_hash for r in ctx.table.records)  # type: ignore[attr-defined]


def test_scorer_contract(model: Describer, ctx: DataContext) -> None:
    scorer = LearnedScorer(model=model)
    hyp = scorer.interpret("Set B images have a small logo in the corner")
    assert hyp is not None and hyp.more_in == "B" and hyp.scorer == "learned" and hyp.user
    assert "set" not in hyp.params["phrase"].lower()
    assert scorer.can_score(hyp)
    rows = np.array([1, 5, 9, 13])
    out = scorer.score(hyp, ctx, rows)
    assert out.shape == (4,) and out.dtype == np.float64 and np.isfinite(out).all()
    # same images, same phrase, same scores, whatever the row order
    np.testing.assert_allclose(scorer.score(hyp, ctx, rows[::-1]), out[::-1], rtol=1e-5)
    assert scorer.score(hyp, ctx, np.array([], dtype=int)).shape == (0,)
    # known sentences map to their difference id and direction
    known = scorer.interpret("Set B images contain tiny rectangles")
    assert known is not None and known.concept == "diff:tiny_rectangles:B"
    free = scorer.interpret("images are darker")
    assert free is not None and free.more_in is None
    assert scorer.interpret("Set A images are not darker") is None
    assert scorer.interpret("   ") is None
    other = Hypothesis("Set A images are darker", "brightness_mean:lower", "A", "measurements",
                       scorer="measurement")
    assert not scorer.can_score(other)


def test_scorer_without_weights_scores_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import tellapart.verify.learned as learned_mod

    monkeypatch.setattr(learned_mod, "default_available", lambda: False)
    scorer = LearnedScorer()
    assert scorer.interpret("Set A images are darker") is None
    assert not scorer.can_score(Hypothesis("Set A images are darker", "x", "A", "learned", scorer="learned"))


def test_to_model_input_keeps_whole_frame() -> None:
    img = np.zeros((40, 80, 3), dtype=np.float32)
    img[:4, -8:] = 1.0  # a mark in the top-right corner
    out = runtime.to_model_input(img, 32)
    assert out.shape == (32, 32, 3) and out.dtype == np.uint8
    assert out[:2, -3:].mean() > 128


def test_known_claims_are_scored_by_the_type_head_and_proposed_from_it(ctx: DataContext) -> None:
    from tellapart.models.reading import TYPE_FLOOR_LOGIT, claim_scores, names_one_set_twice

    assert names_one_set_twice("Set A images are darker than set A images")
    assert not names_one_set_twice("Set A images are darker than set B images")
    assert not names_one_set_twice("Set B images are noisy")

    torch.manual_seed(4)
    tok = WordTokenizer.build(SENTENCES)
    known = {normalize_sentence(s): "diff:tiny_rectangles" for s in SENTENCES[:2]}
    known.update({normalize_sentence(s): "diff:darker" for s in SENTENCES[2:]})
    cfg = DescriberConfig.tiny(len(tok))
    cfg.n_types, cfg.type_stats = 2, True
    typed = Describer(cfg, tok, known_sentences=known, type_ids=["tiny_rectangles", "darker"],
                      type_words=type_words_of(["tiny_rectangles", "darker"]),
                      type_sentences=[(SENTENCES[0], SENTENCES[1]), (SENTENCES[2], SENTENCES[3])]).eval()
    runtime.clear_cache()
    rows = np.arange(16)
    scorer = LearnedScorer(model=typed)
    hyp = scorer.interpret("Set A images are darker than set B images")
    assert hyp is not None and hyp.concept == "diff:darker:A"
    free = scorer.interpret("Set A images show a parade of elephants")
    assert free is not None
    emb = runtime.embed_records(typed, ctx, list(ctx.table.records))
    both = claim_scores(typed, emb, [hyp, free])
    np.testing.assert_allclose(both[:, 0], np.maximum(typed.type_logits(emb)[:, 1], TYPE_FLOOR_LOGIT), rtol=1e-5)
    np.testing.assert_allclose(both[:, 1], typed.score_texts(emb, [free.params["phrase"]])[:, 0], rtol=1e-5)
    np.testing.assert_allclose(scorer.score(hyp, ctx, rows), both[:, 0], rtol=1e-5)
    hyps = LearnedProposer(model=typed, n_candidates=4).propose(ctx, rows, k=8)
    heads = {h.params["head"] for h in hyps}
    assert "type_head" in heads
    type_claims = {h.concept for h in hyps if h.params["head"] == "type_head"}
    assert {c.rsplit(":", 1)[0] for c in type_claims} == {"diff:tiny_rectangles", "diff:darker"}


def test_wordings_read_as_a_trained_difference_are_scored_by_its_type_head(ctx: DataContext) -> None:
    from tellapart.edits.differences import DIFFERENCES
    from tellapart.models.reading import (
        claim_scores,
        read_as_trained,
        reading_phrases,
        trained_phrases,
    )

    torch.manual_seed(5)
    tok = WordTokenizer.build(SENTENCES)
    cfg = DescriberConfig.tiny(len(tok))
    cfg.n_types = 2
    typed = Describer(cfg, tok, type_ids=["tiny_rectangles", "darker"],
                      type_words=type_words_of(["tiny_rectangles", "darker"])).eval()
    bank = trained_phrases(typed)
    assert {t for t, _ in bank} == {"tiny_rectangles", "darker"}
    # a trained phrase is its own nearest neighbour (similarity 1): read as its difference
    phrase = next(p for t, p in bank if t == "tiny_rectangles" and "box" in p)
    reading = read_as_trained(typed, phrase)
    assert reading is not None and reading.type_id == "tiny_rectangles"
    assert reading.similarity > 0.99 and reading.nearest == phrase
    assert read_as_trained(typed, "contain dogs playing in a park") is None
    # the written wordings join the trained phrases in the bank a wording is read against
    wording = DIFFERENCES.create("darker").wordings[0]
    assert (("darker", wording) in reading_phrases(typed)) and (("darker", wording) not in bank)
    assert set(bank) <= set(reading_phrases(typed))
    by_wording = read_as_trained(typed, wording)
    assert by_wording is not None and by_wording.type_id == "darker" and by_wording.nearest == wording
    assert read_as_trained(typed, "   ") is None
    hyp = LearnedScorer(model=typed).interpret(f"Set B images {phrase}")
    assert hyp is not None and hyp.concept == "diff:tiny_rectangles:B"
    assert hyp.params["read_as"] == "tiny_rectangles"
    emb = runtime.embed_records(typed, ctx, list(ctx.table.records))
    canonical = LearnedScorer(model=typed).interpret("Set B images contain tiny rectangles")
    assert canonical is not None
    scores = claim_scores(typed, emb, [hyp, canonical])
    np.testing.assert_array_equal(scores[:, 0], scores[:, 1])
    # without a type head nothing is read: the image-text head scores every wording
    assert read_as_trained(Describer(DescriberConfig.tiny(len(tok)), tok), phrase) is None


def test_large_images_get_quarter_views_that_keep_small_marks() -> None:
    size = 32
    small = np.zeros((48, 48, 3), dtype=np.uint8)
    assert runtime.image_views(small, size).shape == (1, size, size, 3)  # under 1.75 x 32 px
    big = np.zeros((60, 70, 3), dtype=np.uint8)
    big[50:53, 62:65] = 255  # a 3-pixel mark near the bottom-right corner
    views = runtime.image_views(big, size)
    assert views.shape == (9, size, size, 3) and views.dtype == np.uint8
    np.testing.assert_array_equal(views[0], runtime.to_model_input(big, size))
    th, tw = 36, 42  # 60 % of each side, from each corner
    np.testing.assert_array_equal(views[1], runtime.to_model_input(big[:th, :tw], size))
    np.testing.assert_array_equal(views[4], runtime.to_model_input(big[60 - th:, 70 - tw:], size))
    # squeezed whole, the mark fades; the bottom-right quarter keeps it brighter
    assert views[4].max() > views[0].max() + 40
    assert views[1].max() == 0  # the top-left quarter does not reach it
    # then the four corner crops: the bottom-right one holds the mark near its own size
    np.testing.assert_array_equal(views[5:], runtime.corner_views(big, size, (1, 2, 3, 4)))
    assert views[8].max() == 255 and views[5].max() == 0


def test_marks_anywhere_take_the_strongest_view_and_the_rest_the_whole_image() -> None:
    torch.manual_seed(6)
    tok = WordTokenizer.build(SENTENCES)
    cfg = DescriberConfig.tiny(len(tok))
    cfg.n_types = 2
    typed = Describer(cfg, tok, type_ids=["tiny_rectangles", "darker"],
                      type_words=type_words_of(["tiny_rectangles", "darker"])).eval()
    assert "tiny_rectangles" in runtime.ANYWHERE_TYPES and "darker" not in runtime.ANYWHERE_TYPES
    rng = np.random.default_rng(2)
    views = [rng.standard_normal((5, cfg.embed_dim)).astype(np.float32),
             rng.standard_normal((1, cfg.embed_dim)).astype(np.float32)]
    pooled = runtime.pooled_type_logits(typed, views)
    assert pooled.shape == (2, 2)
    first = typed.type_logits(views[0])  # (5, T)
    np.testing.assert_allclose(pooled[0], [first[:, 0].max(), first[0, 1]], rtol=1e-5)
    np.testing.assert_allclose(pooled[1], typed.type_logits(views[1])[0], rtol=1e-5)
    assert runtime.pooled_type_logits(typed, []).shape == (0, 2)


def test_the_learned_scorer_and_proposer_see_the_views_of_large_images() -> None:
    from tellapart.models.reading import claim_scores, type_floor_logits

    torch.manual_seed(7)
    tok = WordTokenizer.build(SENTENCES)
    known = {normalize_sentence(s): "diff:tiny_rectangles" for s in SENTENCES[:2]}
    cfg = DescriberConfig.tiny(len(tok))
    cfg.n_types = 2
    typed = Describer(cfg, tok, known_sentences=known, type_ids=["tiny_rectangles", "darker"],
                      type_words=type_words_of(["tiny_rectangles", "darker"]),
                      type_sentences=[(SENTENCES[0], SENTENCES[1]), (SENTENCES[2], SENTENCES[3])]).eval()
    rng = np.random.default_rng(3)
    pixels = {f"big{i}": rng.integers(0, 256, (120, 136, 3), dtype=np.uint8) for i in range(12)}
    records = [ImageRecord(f"/x/{'A' if i < 6 else 'B'}/{i}.png", "A" if i < 6 else "B", f"big{i}",
                           1, 136, 120, "PNG", "RGB", 8) for i in range(12)]
    calls: list[str] = []

    def load(record: ImageRecord) -> DecodedImage:
        calls.append(record.content_hash)
        return DecodedImage(record=record, rgb=pixels[record.content_hash])

    big_ctx = DataContext(table=FeatureTable(records=records, names=[], values=np.zeros((12, 0))),
                          load=load, settings=Settings())
    runtime.clear_cache()
    rows = np.arange(12)
    views = runtime.embed_views_records(typed, big_ctx, records)
    assert [len(v) for v in views] == [9] * 12
    whole = typed.embed(np.stack([runtime.to_model_input(pixels[r.content_hash], cfg.image_size)
                                  for r in records]))
    np.testing.assert_allclose(runtime.embed_records(typed, big_ctx, records), whole, rtol=1e-4, atol=1e-5)
    scorer = LearnedScorer(model=typed)
    hyp = scorer.interpret("Set A images contain tiny rectangles")
    assert hyp is not None
    pooled = runtime.pooled_type_logits(typed, views)
    expected = np.maximum(pooled[:, 0], type_floor_logits(typed)[0])
    np.testing.assert_allclose(scorer.score(hyp, big_ctx, rows), expected, rtol=1e-5)
    # the whole-image type logit alone would score differently: the views count
    assert not np.allclose(claim_scores(typed, whole, [hyp])[:, 0], expected)
    hyps = LearnedProposer(model=typed, n_candidates=2).propose(big_ctx, rows, k=4)
    assert {h.concept.rsplit(":", 1)[0] for h in hyps if h.params["head"] == "type_head"} == {
        "diff:tiny_rectangles", "diff:darker"}
    assert sorted(calls) == sorted(pixels)  # each image decoded and encoded once
    # with quarter views switched off each image is seen (and cached) whole only
    whole_ctx = DataContext(table=big_ctx.table, load=load, settings=Settings(quarter_views=False))
    assert [len(v) for v in runtime.embed_views_records(typed, whole_ctx, records)] == [1] * 12
    np.testing.assert_allclose(scorer.score(hyp, whole_ctx, rows),
                               np.maximum(typed.type_logits(whole)[:, 0], type_floor_logits(typed)[0]),
                               rtol=1e-4, atol=1e-5)
    assert [len(v) for v in runtime.embed_views_records(typed, big_ctx, records)] == [9] * 12
