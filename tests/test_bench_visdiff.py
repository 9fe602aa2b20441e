"""The VisDiffBench runner on fixtures written in VisDiff's own formats.

``tests/data/visdiff/Examples.csv`` is VisDiff's example pair (yoga vs meditating) as its
``group_name,path`` CSV; ``easy.jsonl`` holds two pairs as VisDiffBench's release writes them
(set1, set2, difference, set1_images, set2_images). The images are small synthetic JPEGs
written by the tests at the paths the files name.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from backend_fakes import FakeChatServer, make_tiny_model
from tellapart.bench.judge import Judge
from tellapart.bench.visdiff import (
    PairResult,
    VisDiffFormatError,
    main,
    read_visdiff,
    run_pair,
    summarise,
    truth_of,
)

FIXTURES = Path(__file__).parent / "data" / "visdiff"


def _images(paths: list[str], colour_channel: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for p in paths:
        Path(p).parent.mkdir(parents=True, exist_ok=True)
        arr = rng.integers(0, 110, (24, 24, 3), dtype=np.uint8)
        arr[..., colour_channel] = 220
        Image.fromarray(arr).save(p, format="JPEG")


@pytest.fixture()
def examples(tmp_path: Path) -> Path:
    """VisDiff's example CSV with its images under tmp_path (its paths are relative to the root)."""
    for pair in read_visdiff(FIXTURES / "Examples.csv", root=tmp_path,
                             difference="Activity (yoga vs meditating)"):
        _images(list(pair.images_a), 0, 1)
        _images(list(pair.images_b), 2, 2)
    return tmp_path


@pytest.fixture()
def bench_jsonl(tmp_path: Path) -> Path:
    """VisDiffBench's easy.jsonl fixture beside its images, as the release lays them out."""
    shutil.copy(FIXTURES / "easy.jsonl", tmp_path / "easy.jsonl")
    for n, pair in enumerate(read_visdiff(tmp_path / "easy.jsonl")):
        _images(list(pair.images_a), 0, 10 + n)
        _images(list(pair.images_b), 1, 20 + n)
    return tmp_path / "easy.jsonl"


def test_both_visdiff_formats_are_read(tmp_path: Path) -> None:
    csv_pairs = read_visdiff(FIXTURES / "Examples.csv", root=tmp_path, difference="Activity (yoga vs meditating)")
    assert [(p.set1, p.set2) for p in csv_pairs] == [
        ("People practicing yoga in a mountainous setting", "People meditating in a mountainous setting")]
    assert len(csv_pairs[0].images_a) == 10
    assert csv_pairs[0].images_a[0] == str(tmp_path / "data/examples/set_a/000001.jpg")
    jsonl_pairs = read_visdiff(FIXTURES / "easy.jsonl")
    assert [p.difference for p in jsonl_pairs] == ["Animal species (Dogs vs Cats)",
                                                   "Landscape (Mountains vs Desert)"]
    assert jsonl_pairs[1].images_b[0] == str(FIXTURES / "easy/1_2/000001.jpg")
    with pytest.raises(VisDiffFormatError, match="--pairs"):
        read_visdiff(FIXTURES / "Examples.csv", root=tmp_path)  # two groups but no difference


def test_truth_and_the_benchmark_judge() -> None:
    pair = read_visdiff(FIXTURES / "easy.jsonl")[0]
    truth = truth_of(pair)
    assert truth.target == "A" and truth.sentence == "Set A images show dogs playing in a park"
    assert "Set A images show dogs" in truth.paraphrases and "Set B images show cats" in truth.paraphrases
    judge = Judge()
    assert judge.judge("Set A images more often show dogs", "A", truth).match
    assert not judge.judge("Set B images more often show dogs", "B", truth).match
    assert not judge.judge("Set A images are darker than set B images", "A", truth).match


def test_acc_at_k_counts_the_best_rating_among_the_first_k() -> None:
    def finding(rating: float, significant: bool) -> dict[str, object]:
        return {"rating": rating, "significant": significant}

    hit_third = PairResult("p1", "a", "b", "", findings=[finding(0, True), finding(0, False),
                                                           finding(1, False)])
    hit_first = PairResult("p2", "a", "b", "", findings=[finding(1, True)])
    failed = PairResult("p3", "a", "b", "", error="set A is empty")
    s = summarise([hit_third, hit_first, failed])
    assert s["pairs"] == 3 and s["errors"] == 1
    assert s["acc@1_ranked"] == pytest.approx(1 / 3) and s["acc@5_ranked"] == pytest.approx(2 / 3)
    assert s["acc@5_significant"] == pytest.approx(1 / 3)


def test_a_typed_true_difference_is_judged_a_match(bench_jsonl: Path, tmp_path: Path) -> None:
    pytest.importorskip("transformers", reason="the clip extra is not installed")
    tiny = make_tiny_model(tmp_path / "tiny", "clip")  # its scorer reads the typed claim
    pair = read_visdiff(bench_jsonl)[0]
    result = run_pair(pair, {"proposers": ["clip"], "clip_model": tiny, "cache": "",
                             "progress": False, "min_images": 4,
                             "hypotheses": ["Set A images more often show dogs playing"]}, Judge())
    assert result.error is None
    typed = [f for f in result.findings if f["description"].startswith("Set A images more often show dogs")]
    assert typed and typed[0]["rating"] == 1.0


def test_the_visdiff_example_pair_runs_through_the_runner(examples: Path, tmp_path: Path) -> None:
    pytest.importorskip("transformers", reason="the clip extra is not installed")
    tiny = make_tiny_model(tmp_path / "tiny", "siglip")
    out = tmp_path / "out"
    with FakeChatServer() as server:
        rc = main(["--visdiff", str(FIXTURES / "Examples.csv"), "--root", str(examples),
                   "--difference", "Activity (yoga vs meditating)", "--proposers", "clip", "vlm",
                   "--clip-model", tiny, "--api-base", server.url, "--vlm-model", "recorded",
                   "--min-images", "4", "--no-cache", "--quiet", "--out", str(out)])
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["pairs"] == 1 and summary["errors"] == 0
    assert {"acc@1_ranked", "acc@5_ranked", "acc@1_significant", "acc@5_significant"} <= set(summary)
    assert summary["requests_per_pair"] > 0
    (line,) = (out / "results.jsonl").read_text().splitlines()
    result = json.loads(line)
    assert result["findings"] and {"clip", "vlm"} <= set(result["cost"])
    assert "| pairs |" in (out / "summary.md").read_text()


def test_the_llm_judge_rates_through_the_same_endpoint(bench_jsonl: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with FakeChatServer() as server:
        rc = main(["--visdiff", str(bench_jsonl), "--n-pairs", "1", "--proposers", "measurements",
                   "--min-images", "4", "--api-base", server.url, "--llm-model", "recorded",
                   "--llm-judge", "--no-cache", "--quiet", "--out", str(out)])
        assert rc == 0 and server.calls["recorded"] >= 1
    result = json.loads((out / "results.jsonl").read_text().splitlines()[0])
    assert all(f["llm_rating"] in (0.0, 0.5, 1.0) for f in result["findings"])


def test_bad_benchmark_files_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,file\nx,y\n")
    assert main(["--visdiff", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "group_name and path" in capsys.readouterr().err
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"set1": "a"}\n')
    assert main(["--visdiff", str(broken), "--out", str(tmp_path / "o")]) == 2
    assert "broken.jsonl:1" in capsys.readouterr().err


def test_missing_images_are_an_error_of_that_pair_and_the_run_goes_on(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "easy.jsonl", tmp_path / "easy.jsonl")  # no images written
    out = tmp_path / "out"
    assert main(["--visdiff", str(tmp_path / "easy.jsonl"), "--proposers", "measurements",
                 "--no-cache", "--quiet", "--out", str(out)]) == 1
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(results) == 2 and all(r["error"] for r in results)
