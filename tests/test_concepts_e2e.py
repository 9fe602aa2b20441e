"""The concept loop end to end with the shipped describer: compare, learn, manage the library,
and find the concept again in a second comparison on other images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tellapart import compare
from tellapart.cli import main
from tellapart.models.shipped import default_available
from tellapart.synth.bases import make_base_images

pytestmark = pytest.mark.skipif(not default_available(), reason="needs the shipped describer")


def _pair(folder: Path, n: int, seed: int) -> tuple[str, str]:
    """Photographs; every set A image carries a magenta ring (not a trained difference)."""
    rng = np.random.default_rng(seed)
    for name in ("a", "b"):
        (folder / name).mkdir(parents=True)
    for i, pixels in enumerate(make_base_images(2 * n, size=64, base="photos", seed=seed)):
        image = Image.fromarray(pixels)
        if i < n:
            x, y = rng.integers(4, 30, size=2)
            ImageDraw.Draw(image).ellipse([x, y, x + 28, y + 28], outline=(255, 0, 255), width=4)
        image.save(folder / ("a" if i < n else "b") / f"{i:03d}.png")
    return str(folder / "a"), str(folder / "b")


@pytest.fixture(scope="module")
def learned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("concepts")
    a, b = _pair(root / "learn", 24, seed=3)
    report_dir, library = root / "report", root / "library"
    assert main(["compare", a, b, "--out", str(report_dir), "--quiet"]) == 0
    assert (report_dir / "scores.csv").is_file()
    assert main(["learn", str(report_dir), "--finding", "1", "--name", "have a magenta ring",
                 "--library", str(library), "--quiet"]) == 0
    (concept_json,) = library.glob("*.json")
    return library, concept_json.stem


def test_learn_writes_a_validated_concept_with_provenance(learned: tuple[Path, str]) -> None:
    library, concept_id = learned
    meta = json.loads((library / f"{concept_id}.json").read_text())
    assert meta["name"] == "have a magenta ring"
    assert meta["calibration"]["held_out_auroc"] > 0.8
    assert len(meta["provenance"]["image_hashes"]["negative"]) == 24
    assert meta["provenance"]["tellapart_version"]


def test_concept_is_found_again_on_other_images(learned: tuple[Path, str],
                                                tmp_path: Path) -> None:
    library, concept_id = learned
    a, b = _pair(tmp_path, 16, seed=11)
    report = compare(a, b, library=str(library), progress=False, seed=1)
    # significant, at top level or listed under a trained difference that separates the sets
    # as well ("Set A images contain a large object")
    listed = [(f.concept, f.description, f.significant) for f in report.findings]
    listed += [(r["concept"], r["description"], r["significant"]) for f in report.findings
               for r in f.related]
    ours = [d for c, d, sig in listed if sig and c.startswith(f"concept:{concept_id}:")]
    assert ours == ["Set A images have a magenta ring"]
    # its presence check confirms it (the ring's learned change makes set B look like set A),
    # so it leads any trained difference that separates the sets about as well
    top = report.findings[0]
    assert top.concept.startswith(f"concept:{concept_id}:"), [f.description for f in report.findings]
    assert top.counterfactual.status == "confirmed", top.counterfactual.detail
    assert report.settings["concept_library"]["concepts"] == [concept_id]
    without = compare(a, b, library="", progress=False, seed=1)
    assert not any(f.proposer == "concepts" for f in without.findings)


def test_concepts_commands(learned: tuple[Path, str], tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    library, concept_id = learned
    lib = ["--library", str(library)]
    assert main(["concepts", "list", *lib]) == 0
    assert concept_id in capsys.readouterr().out
    assert main(["concepts", "show", concept_id, "--examples", str(tmp_path / "ex"), *lib]) == 0
    assert "Set A images have a magenta ring" in capsys.readouterr().out
    assert len(list((tmp_path / "ex").glob("*.png"))) == 4
    exported = tmp_path / "exported"
    assert main(["concepts", "export", concept_id, "--to", str(exported), *lib]) == 0
    other = ["--library", str(tmp_path / "other")]
    assert main(["concepts", "import", str(exported), *other]) == 0
    assert main(["concepts", "rename", concept_id, "carry a magenta ring", *other]) == 0
    assert main(["concepts", "show", concept_id, *other]) == 0
    assert "carry a magenta ring" in capsys.readouterr().out
    assert main(["concepts", "remove", concept_id, *other]) == 0
    assert main(["concepts", "show", concept_id, *other]) == 2
    (exported / "junk.json").write_text("{}")
    assert main(["concepts", "import", str(exported / "junk.json"), *other]) == 2
    assert "not a tellapart concept" in capsys.readouterr().err


def test_learn_from_the_overall_classifier(learned: tuple[Path, str], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    library, _ = learned
    report_dir = library.parent / "report"
    lib = ["--library", str(tmp_path / "lib")]
    assert main(["learn", str(report_dir), "--overall", *lib]) == 2
    assert "needs --name" in capsys.readouterr().err
    assert main(["learn", str(report_dir), "--overall", "--name", "have a ring", *lib]) == 0
    assert "the overall classifier: learned" in capsys.readouterr().out
    meta = json.loads(next((tmp_path / "lib").glob("*.json")).read_text())
    assert meta["provenance"]["finding"] == "Set A images have a ring"


def test_learn_refuses_what_it_cannot_learn(learned: tuple[Path, str], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["learn", str(tmp_path), "--library", str(tmp_path / "lib")]) == 2
    assert "report.json" in capsys.readouterr().err
