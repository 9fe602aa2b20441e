"""The describer model: tokenizer, shapes, determinism, set-order invariance, cost, weights."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from tellapart.models.describer import Describer, DescriberConfig
from tellapart.models.text import parse_claim
from tellapart.models.tokenizer import WordTokenizer, normalize_sentence
from tellapart.models.weights import WeightsError, load_describer, save_describer
from tellapart.train.data import type_words_of

SENTENCES = [
    "Set A images contain tiny rectangles",
    "Set A images are darker than set B images",
    "Set B images have a frame around the border",
    "Little boxes appear in set A images but not in set B images",
    "Set A images are colour-inverted (negatives)",
]


@pytest.fixture(scope="module")
def tokenizer() -> WordTokenizer:
    return WordTokenizer.build(SENTENCES)


@pytest.fixture(scope="module")
def model(tokenizer: WordTokenizer) -> Describer:
    torch.manual_seed(0)
    return Describer(DescriberConfig.tiny(len(tokenizer)), tokenizer,
                     known_sentences={normalize_sentence(SENTENCES[0]): "diff:tiny_rectangles"}).eval()


def _images(n: int, size: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def test_tokenizer_round_trip_keeps_set_names_and_punctuation(tokenizer: WordTokenizer) -> None:
    for s in SENTENCES:
        ids = tokenizer.encode(s)
        assert ids[0] == tokenizer.bos_id and ids[-1] == tokenizer.eos_id
        assert tokenizer.decode(ids) == s
    # the set name and the article are different tokens
    assert tokenizer.index["A"] != tokenizer.index["a"]
    assert tokenizer.encode("Set A has a frame")[2] == tokenizer.index["A"]
    assert tokenizer.decode(tokenizer.encode("Set A images are purple")).endswith("<unk>")
    assert WordTokenizer.from_json(tokenizer.to_json()).vocab == tokenizer.vocab


def test_tokenizer_rejects_bad_vocabulary() -> None:
    with pytest.raises(ValueError, match="start with"):
        WordTokenizer(["x", "y"])


def test_parse_claim_finds_subject_and_phrase() -> None:
    assert parse_claim("Set A images are darker than set B images").subject == "A"
    assert parse_claim("Set A images are darker than set B images").phrase == "darker"
    claim = parse_claim("Set B images are brighter than set A images")
    assert (claim.subject, claim.phrase) == ("B", "brighter")
    assert parse_claim("images have a watermark").subject is None
    assert "set" not in parse_claim("Little boxes appear in set A images but not in set B images").phrase.lower()
    with pytest.raises(ValueError):
        parse_claim("   ")


def test_shapes(model: Describer, tokenizer: WordTokenizer) -> None:
    cfg = model.config
    imgs = torch.from_numpy(_images(6, 80, 0))  # resized to cfg.image_size inside
    emb = model.encoder(imgs)
    assert emb.shape == (6, cfg.embed_dim)  # (N, D)
    ea, eb = emb[:4].view(2, 2, -1), emb[4:].view(2, 1, -1)
    prefix = model.comparator(ea, eb)
    assert prefix.shape == (2, cfg.n_prefix, cfg.d_model)  # (B, P, d)
    idx = torch.tensor([tokenizer.encode(SENTENCES[0]), tokenizer.encode(SENTENCES[0])])
    logits = model.decoder(prefix, idx)
    assert logits.shape == (2, idx.shape[1], len(tokenizer))  # (B, T, V)
    assert model.scorer(emb, torch.randn(3, cfg.text_dim)).shape == (6, 3)  # (N, T)


def test_forward_is_deterministic(model: Describer) -> None:
    imgs = _images(5, 64, 1)
    assert np.array_equal(model.embed(imgs), model.embed(imgs))
    e = model.embed(imgs)
    assert model.describe(e[:3], e[3:], n=3) == model.describe(e[:3], e[3:], n=3)


def test_embed_rejects_bad_input(model: Describer) -> None:
    with pytest.raises(TypeError):
        model.embed(np.zeros((2, 64, 64, 3), dtype=np.float32))
    with pytest.raises(ValueError):
        model.embed(np.zeros((2, 64, 64), dtype=np.uint8))


def test_comparator_is_order_free_and_respects_masks(model: Describer) -> None:
    g = torch.Generator().manual_seed(0)
    ea = torch.randn(1, 7, model.config.embed_dim, generator=g)
    eb = torch.randn(1, 5, model.config.embed_dim, generator=g)
    with torch.no_grad():
        base = model.comparator(ea, eb)
        perm = model.comparator(ea[:, torch.randperm(7, generator=g)], eb[:, torch.randperm(5, generator=g)])
        swapped = model.comparator(eb, ea)
        # padding with masked-out rows changes nothing
        pad = torch.cat([ea, torch.randn(1, 3, model.config.embed_dim)], dim=1)
        mask = torch.tensor([[True] * 7 + [False] * 3])
        padded = model.comparator(pad, eb, mask_a=mask)
    torch.testing.assert_close(perm, base, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(padded, base, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(swapped, base, atol=1e-3)  # direction matters


def test_comparator_cost_is_linear(model: Describer) -> None:
    def cost(n: int) -> float:
        e = torch.randn(1, n, model.config.embed_dim)
        best = float("inf")
        with torch.no_grad():
            for _ in range(3):
                t = time.perf_counter()
                model.comparator(e, e)
                best = min(best, time.perf_counter() - t)
        return best

    cost(200)  # warm-up
    small, large = cost(300), cost(3000)
    assert large / small < 40, f"10x images cost {large / small:.1f}x (quadratic would be 100x)"


def test_describe_returns_distinct_ranked_sentences(model: Describer) -> None:
    e = model.embed(_images(10, 64, 2))
    said = model.describe(e[:5], e[5:], n=4, max_len=8)
    assert 1 <= len(said) <= 4
    texts = [s for s, _ in said]
    assert len(set(texts)) == len(texts)
    logps = [lp for _, lp in said]
    assert logps == sorted(logps, reverse=True) and all(lp <= 0 for lp in logps)
    with pytest.raises(ValueError):
        model.describe(e[:0], e, n=2)


def test_concept_of_known_sentence(model: Describer) -> None:
    assert model.concept_of("set A images contain tiny rectangles.") == "diff:tiny_rectangles"
    assert model.concept_of("Set A images are purple") is None


def test_score_texts_shape(model: Describer) -> None:
    e = model.embed(_images(4, 64, 3))
    out = model.score_texts(e, ["tiny rectangles", "dark", "a frame"])
    assert out.shape == (4, 3) and out.dtype == np.float32 and np.isfinite(out).all()


def test_weights_round_trip_and_tamper_check(model: Describer, tmp_path) -> None:
    folder = save_describer(model, tmp_path / "d", extra={"note": "test"})
    loaded = load_describer(folder)
    imgs = _images(3, 64, 4)
    assert np.array_equal(model.embed(imgs), loaded.embed(imgs))
    e = model.embed(imgs)
    assert loaded.describe(e[:2], e[2:], n=2, max_len=6) == model.describe(e[:2], e[2:], n=2, max_len=6)
    assert loaded.known_sentences == model.known_sentences
    assert loaded.decoder.lm_head.weight.data_ptr() == loaded.decoder.wte.weight.data_ptr()
    raw = bytearray((folder / "model.safetensors").read_bytes())
    raw[-1] ^= 0xFF
    (folder / "model.safetensors").write_bytes(bytes(raw))
    with pytest.raises(WeightsError, match="does not match"):
        load_describer(folder)
    with pytest.raises(WeightsError, match="missing"):
        load_describer(tmp_path / "nowhere")


def test_config_json_round_trip() -> None:
    cfg = DescriberConfig.small(vocab_size=123)
    assert DescriberConfig.from_json(cfg.to_json()) == cfg
    with pytest.raises(ValueError, match="unknown"):
        DescriberConfig.from_json({**cfg.to_json(), "bogus": 1})
    with pytest.raises(ValueError):
        DescriberConfig.named("huge", 10)


def _typed_model(tokenizer: WordTokenizer) -> Describer:
    """A tiny describer with a two-type head whose logits read embedding dimension 0 and 1."""
    torch.manual_seed(2)
    cfg = DescriberConfig.tiny(len(tokenizer))
    cfg.n_types, cfg.type_stats = 2, True
    m = Describer(cfg, tokenizer, type_ids=["tiny_rectangles", "inverted"],
                  type_words=type_words_of(["tiny_rectangles", "inverted"]),
                  type_sentences=[(SENTENCES[0], SENTENCES[1]), (SENTENCES[3], SENTENCES[3])]).eval()
    assert m.type_head is not None
    with torch.no_grad():
        m.type_head.weight.zero_()
        m.type_head.bias.zero_()
        m.type_head.weight[0, 0] = 5.0
        m.type_head.weight[1, 1] = 5.0
    return m


def test_describe_types_names_the_set_where_a_type_is_more_common(tokenizer: WordTokenizer) -> None:
    m = _typed_model(tokenizer)
    rng = np.random.default_rng(0)
    ea = rng.normal(size=(6, m.config.embed_dim)).astype(np.float32) * 0.1
    eb = rng.normal(size=(9, m.config.embed_dim)).astype(np.float32) * 0.1
    ea[:, 0] += 1.0  # type 0 fires in A
    eb[:, 1] += 1.0  # type 1 fires in B
    said = m.describe_types(ea, eb, n=2)
    assert [s for s, _ in said] == [SENTENCES[0], SENTENCES[3]] or \
        [s for s, _ in said] == [SENTENCES[3], SENTENCES[0]]
    by_sentence = dict(said)
    assert by_sentence[SENTENCES[0]] > 0.5 and by_sentence[SENTENCES[3]] < -0.5
    swapped = dict(m.describe_types(eb, ea, n=2))
    assert SENTENCES[1] in swapped  # the same type, now more common in set B
    assert m.type_index("diff:tiny_rectangles:A") == 0 and m.type_index("diff:nothing") is None
    # the comparator reads the type statistics: changing only type evidence changes the prefix
    ta, tb = torch.from_numpy(ea)[None], torch.from_numpy(eb)[None]
    with torch.no_grad():
        before = m.compare(ta, tb)
        m.type_head.bias[0] = 3.0
        after = m.compare(ta, tb)
    assert before.shape == (1, m.config.n_prefix, m.config.d_model)
    assert not torch.allclose(before, after)
    with pytest.raises(ValueError, match="type_stats needs a type head"):
        Describer(DescriberConfig(vocab_size=len(tokenizer), type_stats=True), tokenizer)


def test_type_ids_survive_save_and_load(tokenizer: WordTokenizer, tmp_path) -> None:
    m = _typed_model(tokenizer)
    loaded = load_describer(save_describer(m, tmp_path / "typed", dtype="float16"))
    assert loaded.type_ids == m.type_ids and loaded.type_sentences == m.type_sentences
    e = m.embed(_images(4, 64, 1))
    assert [s for s, _ in loaded.describe_types(e[:2], e[2:], n=2)] == \
        [s for s, _ in m.describe_types(e[:2], e[2:], n=2)]


def test_configs_read_from_json_refuse_unknown_keys() -> None:
    from tellapart.config import checked_fields
    from tellapart.train.rloo import RlooConfig

    small = DescriberConfig.small(100)
    assert DescriberConfig.from_json(small.to_json()) == small
    assert RlooConfig.from_json(RlooConfig().to_json()) == RlooConfig()
    with pytest.raises(ValueError, match="unknown describer config key"):
        DescriberConfig.from_json({**small.to_json(), "n_layerz": 2})
    with pytest.raises(ValueError, match=r"unknown RLOO config key\(s\): kk"):
        RlooConfig.from_json({"kk": 3})
    assert checked_fields(RlooConfig, {"k": 4}, "RLOO config") == {"k": 4}
