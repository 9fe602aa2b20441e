"""What a new user hits first: input order, unusable sets, and the command line's rough edges."""

from __future__ import annotations

import gzip
import io
import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import tellapart
from tellapart.cli import build_parser, main
from tellapart.config import resolve_settings
from tellapart.io import (
    BadImageError,
    FeatureStore,
    InputError,
    content_hash,
    decode_image,
    discover,
)
from tellapart.measure import MEASUREMENTS, Measurement, features, register_measurement
from tellapart.measure.features import compute_features
from tellapart.models import text
from tellapart.pipeline import UnusableSetError
from tellapart.types import DecodedImage, Report
from tellapart.verify import Verifier


def _planted_sets(root: Path, n: int = 20, size: int = 64) -> tuple[list[str], list[str]]:
    """Two folders of noise images; set B's are brighter on average, not every one of them.

    The overlap keeps the held-out statistics sensitive to which images are held out, so
    an input order that leaked into the split would show in the q-values.
    """
    rng = np.random.default_rng(7)
    paths: dict[str, list[str]] = {"a": [], "b": []}
    for side, mean in (("a", 100.0), ("b", 125.0)):
        folder = root / side
        folder.mkdir(parents=True)
        for i in range(n):
            image_mean = mean + rng.normal(0.0, 15.0)
            pixels = rng.normal(image_mean, 30.0, (size, size, 3))
            pixels = np.clip(pixels, 0, 255).astype(np.uint8)
            path = folder / f"img_{i:03d}.png"
            Image.fromarray(pixels).save(path)
            paths[side].append(str(path))
    return paths["a"], paths["b"]


def _quick_compare(set_a: str, set_b: str | None = None, **options: object) -> Report:
    quick: dict[str, object] = {"proposers": ["measurements"], "cache": "", "progress": False,
                                "jobs": 1}
    return tellapart.compare(set_a, set_b, **{**quick, **options})


def _outcome(report: Report) -> list[tuple[str, str, float, float, bool]]:
    return [(f.concept, f.more_in, f.q_value, f.auroc, f.significant) for f in report.findings]


def _shuffled(items: list[str], seed: int) -> list[str]:
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    assert shuffled != sorted(items)
    return shuffled


def test_list_and_manifest_order_does_not_change_the_report(tmp_path: Path) -> None:
    paths_a, paths_b = _planted_sets(tmp_path)
    reference = _outcome(_quick_compare(str(tmp_path / "a"), str(tmp_path / "b")))
    assert any(significant for *_, significant in reference)

    lists = {}
    for side, paths in (("a", paths_a), ("b", paths_b)):
        # relative lines, absolute lines, a duplicate: all the same set
        lines = [os.path.relpath(p, tmp_path) for p in _shuffled(paths, 1)] + [paths[0]]
        lists[side] = tmp_path / f"{side}.txt"
        lists[side].write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _outcome(_quick_compare(str(lists["a"]), str(lists["b"]))) == reference

    rows = [(p, "a") for p in paths_a] + [(p, "b") for p in paths_b]
    random.Random(2).shuffle(rows)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,group\n" + "".join(f"{p},{g}\n" for p, g in rows), encoding="utf-8")
    from_manifest = _quick_compare(str(manifest), group_a="a", group_b="b")
    assert _outcome(from_manifest) == reference


def test_symlink_loops_and_broken_links_in_a_folder_are_named(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    image = folder / "a.png"
    image.write_bytes(b"x")
    (folder / "self").symlink_to("self")
    (folder / "up").symlink_to("..")
    (folder / "broken").symlink_to("nowhere.png")
    paths, skipped = discover(str(folder), "A")
    assert paths == [str(image)]
    reasons = {os.path.basename(s.path): s.reason for s in skipped}
    assert "loop" in reasons["self"] and "loop" in reasons["up"]
    assert "broken symbolic link" in reasons["broken"]


def test_a_device_is_not_reported_as_missing() -> None:
    with pytest.raises(InputError, match="not a folder, glob pattern, list file or CSV manifest"):
        discover(os.devnull, "A")


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 90, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_decompression_bomb_message_quotes_the_max_pixels_setting() -> None:
    # 10000 pixels: over twice the limit (PIL's error, which quotes 2000) and between
    # the limit and twice it (PIL's warning): both must quote the setting itself.
    for limit in (1000, 6000):
        with pytest.raises(BadImageError) as info:
            decode_image(_png(100, 100), "big.png", "A", max_pixels=limit)
        assert f"max_pixels={limit:,}" in info.value.reason
        assert f"{2 * limit}" not in info.value.reason.replace(",", "")


def test_damaged_dicom_and_nifti_files_are_named_as_such() -> None:
    dicom = b"\0" * 128 + b"DICM" + b"\x02\x00\x00\x00UL\x04\x00" + b"\0" * 64
    nifti = (348).to_bytes(4, "little") + b"\0" * 340 + b"n+1\0" + b"\0" * 8
    cases = {
        ("scan.dcm", dicom): "DICOM",
        ("brain.nii", nifti): "NIfTI",
        ("brain.nii.gz", gzip.compress(nifti)): "NIfTI",
    }
    for (name, data), kind in cases.items():
        with pytest.raises(BadImageError) as info:
            decode_image(data, name, "A")
        assert kind in info.value.reason and "not supported" not in info.value.reason


def test_an_unusable_set_says_why_and_writes_the_skipped_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _planted_sets(tmp_path, n=10)
    scans = tmp_path / "scans"
    scans.mkdir()
    for i in range(4):
        (scans / f"scan_{i}.dcm").write_bytes(b"\0" * 128 + b"DICM" + bytes([i]) * 32)
    (scans / "notes.txt").write_text("not a picture\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(["compare", str(scans), str(tmp_path / "b"), "--out", str(out), "--quiet",
                 "--no-cache", "--jobs", "1", "--proposers", "measurements"])
    assert code == 2
    err = capsys.readouterr().err
    assert "set A" in err and "0 usable image(s)" in err and "5 file(s) skipped" in err
    assert "DICOM" in err and "scan_0.dcm" in err  # damaged DICOM files, named with the reason
    assert "1 x not an image" in err and "notes.txt" in err
    data = json.loads((out / "report.json").read_text())
    assert data["findings"] == [] and data["set_a"]["n_images"] == 0
    assert {Path(s["path"]).name for s in data["skipped"]} == {
        "notes.txt", *(f"scan_{i}.dcm" for i in range(4))}
    assert data["settings"]["min_images"] == 8
    assert any("no comparison was run" in w for w in data["warnings"])
    # --json alone is a destination too; without any destination nothing is written.
    assert main(["compare", str(scans), str(tmp_path / "b"), "--json", str(tmp_path / "r.json"),
                 "--quiet", "--no-cache", "--jobs", "1", "--proposers", "measurements"]) == 2
    assert json.loads((tmp_path / "r.json").read_text())["findings"] == []
    with pytest.raises(UnusableSetError) as info:
        _quick_compare(str(scans), str(tmp_path / "b"))
    assert len(info.value.report.skipped) == 5


def test_cli_refuses_abbreviations_and_negative_top(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["compare", "a", "b", "--alph", "0.1"], ["compare", "a", "b", "--top", "-1"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--alph" in err and "must be 0 (all findings) or more, got -1" in err
    assert build_parser().parse_args(["compare", "a", "b", "--top", "0"]).top == 0


def test_a_glob_expanded_by_the_shell_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths_a, paths_b = _planted_sets(tmp_path, n=3, size=8)
    with pytest.raises(SystemExit) as info:
        main(["compare", *paths_a, *paths_b, "--quiet"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    pattern = os.path.join(str(tmp_path / "a"), "*.png")
    assert f"got 6 paths; quote a glob so the shell does not expand it: '{pattern}'" in err
    assert "unrecognized arguments" not in err


def test_an_interrupted_run_keeps_what_it_measured_in_the_cache(tmp_path: Path) -> None:
    paths_a, paths_b = _planted_sets(tmp_path, n=20, size=16)
    name, interrupt_after = "interrupt_test", 35  # mid-way through the second chunk of 32

    @register_measurement
    class Interrupting(Measurement):
        """Counts the images it sees; the user presses Ctrl-C at image 36."""

        name = "interrupt_test"
        more, less, family = "are counted later", "are counted earlier", "layout"
        calls = 0

        def compute(self, image: DecodedImage) -> float:
            type(self).calls += 1
            if type(self).calls > interrupt_after:
                raise KeyboardInterrupt
            return 0.0

    cache = str(tmp_path / "features.sqlite")
    settings = resolve_settings(None, jobs=1, cache=cache, progress=False)
    try:
        with pytest.raises(KeyboardInterrupt):
            compute_features([("A", "a", paths_a, []), ("B", "b", paths_b, [])],
                             settings=settings, progress=False)
    finally:
        MEASUREMENTS.unregister(name)
        features._WORKER_MEASUREMENTS.pop(name, None)
    hashes = [content_hash(Path(p).read_bytes()) for p in paths_a + paths_b]
    with FeatureStore(cache) as store:
        kept = store.get_records(hashes, features.record_context())
    assert len(kept) == 32  # the first chunk, measured before the interruption


def test_progress_names_the_stages_and_hides_an_empty_measuring_bar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _planted_sets(tmp_path, n=10, size=16)
    bars: list[tuple[str, int]] = []
    real_task = features._Progress.task

    def recording_task(self: features._Progress, description: str, total: int) -> int | None:
        bars.append((description, total))
        return real_task(self, description, total)

    monkeypatch.setattr(features._Progress, "task", recording_task)
    cache = str(tmp_path / "features.sqlite")
    for run in ("cold", "warm"):
        bars.clear()
        _quick_compare(str(tmp_path / "a"), str(tmp_path / "b"), min_images=4, cache=cache,
                       progress=True)
        measuring = [total for description, total in bars if description == "Measuring images"]
        assert measuring == ([20] if run == "cold" else [])
        assert "Proposing and verifying hypotheses ..." in capsys.readouterr().err
    _quick_compare(str(tmp_path / "a"), str(tmp_path / "b"), min_images=4)
    assert "Proposing" not in capsys.readouterr().err


def test_quiet_loads_the_text_encoder_without_a_progress_bar(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    transformers_logging = pytest.importorskip("transformers.utils.logging")
    try:
        text.load_encoder()
    except text.TextEncoderUnavailable:
        pytest.skip("the MiniLM text encoder is not installed")
    monkeypatch.setattr(text, "_model", None)  # load afresh; the loaded one comes back after
    capfd.readouterr()
    with text.loading_progress(False):
        text.load_encoder()
    assert "Loading weights" not in capfd.readouterr().err
    assert transformers_logging.is_progress_bar_enabled()  # as it was before


def test_quiet_reaches_the_stage_that_loads_the_text_encoder(tmp_path: Path) -> None:
    _planted_sets(tmp_path, n=10, size=16)
    seen: list[bool] = []

    class Recording(Verifier):
        def run(self, *args: Any, **kwargs: Any) -> Any:
            seen.append(text._show_loading_progress)
            return super().run(*args, **kwargs)

    for progress in (False, True):
        tellapart.Comparer(proposers=["measurements"], cache="", progress=progress, jobs=1,
                           min_images=4, verifier=Recording).compare(tmp_path / "a", tmp_path / "b")
    assert seen == [False, True]


def test_readme_says_how_list_paths_resolve_and_what_top_zero_means() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    usage = readme.split("## Usage", 1)[1].split("\n## ", 1)[0]
    assert "relative paths (one per line) resolve against the list's folder" in usage
    assert "`--top 0` all" in usage and "negative N is refused" in usage
