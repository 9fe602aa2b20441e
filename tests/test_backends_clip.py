"""The optional clip backend on tiny random CLIP and SigLIP models loaded through the real code."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("transformers", reason="the clip extra (pip install 'tellapart[clip]') is not installed")

import tellapart  # noqa: E402
from backend_fakes import make_tiny_model  # noqa: E402
from tellapart.cli import main as cli_main  # noqa: E402
from tellapart.config import Settings  # noqa: E402
from tellapart.context import DataContext  # noqa: E402
from tellapart.models.clip import ClipUnavailable, load_clip, unavailable_reason  # noqa: E402
from tellapart.pipeline import default_scorers  # noqa: E402
from tellapart.propose.clip import ClipProposer, shipped_concepts  # noqa: E402
from tellapart.types import DecodedImage, FeatureTable, ImageRecord  # noqa: E402
from tellapart.verify.clip import ClipScorer, image_phrase  # noqa: E402


@pytest.fixture(scope="module", params=["clip", "siglip"])
def tiny(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return make_tiny_model(tmp_path_factory.mktemp(request.param), request.param)


@pytest.fixture(scope="module")
def ctx() -> DataContext:
    rng = np.random.default_rng(0)
    pixels, records = {}, []
    for i in range(16):
        name = "A" if i < 8 else "B"
        img = rng.random((36, 44, 3)).astype(np.float32)
        if name == "A":
            img[..., 0] = 0.95  # set A is red
        pixels[f"h{i}"] = img
        records.append(ImageRecord(f"/x/{name}/{i}.png", name, f"h{i}", 1, 44, 36, "PNG", "RGB", 8))
    table = FeatureTable(records=records, names=[], values=np.zeros((16, 0)))
    return DataContext(table=table, load=lambda r: DecodedImage(r, pixels[r.content_hash]),
                       settings=Settings(proposers=["clip"], progress=False))


def _write_sets(root: Path, n: int = 12) -> tuple[str, str]:
    rng = np.random.default_rng(3)
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)).save(root / name / f"{i}.png")
    return str(root / "a"), str(root / "b")


def test_tiny_models_load_through_the_real_code(tiny: str) -> None:
    backend = load_clip(tiny)
    assert backend.model_type in ("clip", "siglip") and backend.sigmoid == (backend.model_type == "siglip")
    images = backend.embed_images([np.zeros((20, 30, 3), np.uint8), np.ones((50, 40, 3), np.float32)])
    texts = backend.embed_texts(["a photo of dogs.", "a photo of red scenes."])
    assert images.shape[0] == 2 and texts.shape == (2, images.shape[1])
    np.testing.assert_allclose(np.linalg.norm(images, axis=1), 1.0, rtol=1e-5)
    assert backend.similarity(images, texts).shape == (2, 2)
    assert load_clip(tiny) is backend  # loaded once per process and name


def test_missing_weights_and_missing_extra_say_the_fixing_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reason = unavailable_reason("nobody/no-such-clip-model")
    assert reason is not None and "hf download nobody/no-such-clip-model" in reason and "\n" not in reason
    assert "config.json" in str(unavailable_reason(str(tmp_path)))
    assert "no such folder" in str(unavailable_reason(str(tmp_path / "missing")))
    with pytest.raises(ClipUnavailable, match="hf download"):
        load_clip("nobody/no-such-clip-model")
    monkeypatch.setitem(sys.modules, "transformers", None)  # the extra is not installed
    assert "pip install 'tellapart[clip]'" in str(unavailable_reason("any/model"))


def test_clip_proposer_contract(tiny: str, ctx: DataContext) -> None:
    rows = np.array([0, 1, 2, 3, 4, 8, 9, 10, 11, 12])
    hyps = ClipProposer(model_name=tiny).propose(ctx, rows, k=5)
    assert 0 < len(hyps) <= 5
    assert len({h.concept for h in hyps}) == len(hyps)
    scorer = ClipScorer(model_name=tiny)
    for h in hyps:
        assert h.proposer == "clip" and h.scorer == "clip" and h.more_in in ("A", "B")
        assert h.params["phrase"] in shipped_concepts()
        assert h.description == f"Set {h.more_in} images more often show {h.params['phrase']}"
        scores = scorer.score(h, ctx, np.arange(16))
        assert scores.shape == (16,) and np.isfinite(scores).all()
    assert ClipProposer(model_name=tiny).propose(ctx, rows, k=0) == []
    assert ClipProposer(model_name=tiny).propose(ctx, np.array([0, 1, 2]), k=3) == []  # one set only


def test_shipped_vocabulary_has_a_few_thousand_distinct_concepts() -> None:
    concepts = shipped_concepts()
    assert 1500 <= len(concepts) <= 5000 and len(set(concepts)) == len(concepts)
    assert "dog" in concepts and "people practicing yoga" in concepts


def test_clip_scorer_reads_any_wording_only_when_a_model_is_set(tiny: str, ctx: DataContext) -> None:
    assert ClipScorer().interpret("set A images show dogs on grass") is None  # off by default
    scorer = ClipScorer(model_name=tiny)
    hyp = scorer.interpret("Set A images more often show dogs on grass")
    assert hyp is not None and hyp.more_in == "A" and hyp.params["phrase"] == "dogs on grass"
    assert scorer.interpret("set A images do not show dogs") is None  # no similarity says "not"
    assert image_phrase("Set B images contain more people in a park") == "people in a park"
    blocks = scorer.image_features(ctx, np.arange(16))
    assert blocks["clip embedding"].shape[0] == 16
    images = [ctx.load(r) for r in ctx.table.records[:3]]
    assert scorer.features_of_images(ctx, images)["clip embedding"].shape[0] == 3


def test_backends_are_off_by_default() -> None:
    settings = Settings()
    assert "clip" not in settings.proposers and "vlm" not in settings.proposers
    clip = next(s for s in default_scorers(settings) if s.name == "clip")
    assert not clip.available()
    names = [s.name for s in default_scorers(settings)]
    assert names[0] == "measurement" and names.index("clip") > names.index("header")


def test_compare_with_the_clip_backend_end_to_end(tiny: str, tmp_path: Path) -> None:
    set_a, set_b = _write_sets(tmp_path)
    typed = "Set A images more often show dogs on grass"
    report = tellapart.compare(set_a, set_b, proposers=["clip"], clip_model=tiny, cache="",
                               progress=False, hypotheses=[typed])
    assert report.settings["clip_model"] == tiny
    assert report.settings["cost"]["clip"].startswith("24 images embedded")
    typed_findings = [f for f in report.findings if f.user]
    assert [(f.scorer, f.concept.split(":")[1]) for f in typed_findings] == [("clip", "dogs on grass")]
    proposed = [f for f in report.findings if not f.user]
    assert proposed and all(f.proposer == "clip" and f.scorer == "clip" for f in proposed)
    assert report.overall is not None


def test_cli_says_what_is_missing_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    set_a, set_b = _write_sets(tmp_path, n=8)
    rc = cli_main(["compare", set_a, set_b, "--proposers", "clip", "--quiet", "--no-cache",
                   "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "--clip-model" in err and len(err.splitlines()) == 1
    rc = cli_main(["compare", set_a, set_b, "--proposers", "clip", "--clip-model", "nobody/none",
                   "--quiet", "--no-cache", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "hf download nobody/none" in err and len(err.splitlines()) == 1
