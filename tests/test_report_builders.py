"""Hand-built reports for the report tests (imported by the other test_report_* files).

The images are real small PNG files in a temporary folder, so thumbnails go through the
real decoding path. Until ``tellapart.io.load_thumbnail`` exists, tests install a PIL
fallback with the same signature (``use_thumbnail_fallback``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import tellapart.io
from tellapart.types import (
    Counterfactual,
    Finding,
    ImageScores,
    Overall,
    Report,
    SetSummary,
    SkippedFile,
)

XSS_FILE = "<script>alert(1)</script>.png"
XSS_HYPOTHESIS = 'images are "><img src=x onerror=alert(1)> darker'


def _fallback_load_thumbnail(path: str, max_side: int = 160) -> Image.Image:
    with Image.open(path) as img:
        img.load()
        thumb = img.convert("RGB")
    thumb.thumbnail((max_side, max_side))
    return thumb


def use_thumbnail_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give tellapart.io a load_thumbnail if it has none yet (tests only)."""
    if not hasattr(tellapart.io, "load_thumbnail"):
        monkeypatch.setattr(tellapart.io, "load_thumbnail", _fallback_load_thumbnail, raising=False)


def make_images(folder: Path, prefix: str, n: int, value: int) -> list[str]:
    """``n`` small PNG files of roughly gray level ``value``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(value)
    paths = []
    for i in range(n):
        arr = np.clip(rng.normal(value, 25, size=(48, 64, 3)), 0, 255).astype(np.uint8)
        arr[:, : 8 + 6 * i, 0] = 255 - value  # a visible stripe so thumbnails differ
        path = folder / f"{prefix}_{i}.png"
        Image.fromarray(arr).save(path)
        paths.append(str(path))
    return paths


def make_finding(
    rank: int,
    description: str,
    significant: bool,
    paths_a: list[str],
    paths_b: list[str],
    more_in: str = "A",
    auroc: float = 0.8,
    seed: int = 0,
) -> Finding:
    rng = np.random.default_rng(seed)
    shift = 1.5 if significant else 0.1
    sa = rng.normal(shift if more_in == "A" else 0.0, 1.0, 40)
    sb = rng.normal(0.0 if more_in == "A" else shift, 1.0, 37)
    more, other = (paths_a, paths_b) if more_in == "A" else (paths_b, paths_a)
    return Finding(
        rank=rank,
        description=description,
        concept=f"concept_{rank}:higher",
        more_in=more_in,
        auroc=auroc,
        auroc_ci=(auroc - 0.08, min(1.0, auroc + 0.07)),
        p_value=0.0004 if significant else 0.21,
        q_value=0.0012 if significant else 0.35,
        significant=significant,
        effect_size=2 * auroc - 1,
        proposer="measurements",
        scorer="measurement",
        related=[
            {
                "description": f"Related claim to #{rank}",
                "concept": f"rel_{rank}",
                "auroc": 0.74,
                "q_value": 0.004,
                "spearman_r": 0.91,
            }
        ]
        if significant
        else [],
        examples={more_in: more[:4], ("B" if more_in == "A" else "A"): other[:4]},
        n_test={"A": 40, "B": 37},
        scores={"A": sa.tolist(), "B": sb.tolist()},
        counter_examples={more_in: more[-2:], ("B" if more_in == "A" else "A"): other[-2:]},
    )


def make_report(tmp_path: Path, n_significant: int = 2, n_other: int = 1) -> Report:
    """A report with real example images, NaN values, a skipped file and a warning."""
    paths_a = make_images(tmp_path / "set_a", "a", 6, 70)
    paths_b = make_images(tmp_path / "set_b", "b", 6, 180)
    descriptions = [
        "Set A images are darker than set B images",
        "Set B images have more saturated colours than set A images",
        "Set A images are blurrier than set B images",
        "Set B images are larger (more pixels) than set A images",
    ]
    findings = []
    for i in range(n_significant + n_other):
        significant = i < n_significant
        findings.append(
            make_finding(
                rank=i + 1,
                description=descriptions[i % len(descriptions)],
                significant=significant,
                paths_a=paths_a,
                paths_b=paths_b,
                more_in="A" if i % 2 == 0 else "B",
                auroc=0.86 - 0.05 * i if significant else 0.55,
                seed=i,
            )
        )
    if findings and not findings[-1].significant:
        findings[-1].p_value = math.nan  # e.g. a statistic that could not be computed
    return Report(
        tellapart_version="0.1.0",
        set_a=SetSummary(source=str(tmp_path / "set_a"), n_images=6, n_skipped=1),
        set_b=SetSummary(source=str(tmp_path / "set_b"), n_images=6, n_skipped=0),
        settings={
            "alpha": 0.05,
            "seed": 0,
            "top": 10,
            "proposers": ["measurements"],
            "hypotheses": [],
            "group_threshold": 0.8,
            "n_examples": 4,
            "cache": None,
        },
        findings=findings,
        skipped=[
            SkippedFile(
                path=str(tmp_path / "set_a" / "broken.jpg"),
                set_name="A",
                reason="cannot decode: truncated file",
            )
        ],
        warnings=["Set A has only 6 usable images; results are uncertain."],
        timing_s={"load": 0.123456, "measure": 1.5, "verify": math.nan},
        untestable_hypotheses=["images are more beautiful: no scorer can measure this"],
    )


def test_make_report_is_a_valid_report(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    assert [f.rank for f in report.findings] == [1, 2, 3]
    assert len(report.significant) == 2
    for f in report.findings:
        for paths in list(f.examples.values()) + list(f.counter_examples.values()):
            assert all(Path(p).is_file() for p in paths)


def make_overall_report(tmp_path: Path) -> Report:
    """:func:`make_report` with the global test filled in as the pipeline fills it.

    The sets differ (AUROC 0.93); the findings describe 70% of it; #1 is confirmed by its
    counterfactual check, #2 refuted (a trained-difference claim) and negligible is set on
    neither; "look here" images on both sides; per-image scores for the export.
    """
    report = make_report(tmp_path, n_significant=2, n_other=1)
    paths_a = sorted(str(p) for p in (tmp_path / "set_a").glob("*.png"))
    paths_b = sorted(str(p) for p in (tmp_path / "set_b").glob("*.png"))
    report.overall = Overall(
        auroc=0.93,
        auroc_ci=(0.88, 0.97),
        p_value=0.001,
        differ=True,
        detectable_auroc_at_80_power=0.68,
        explained_share=0.7,
        features=["measurements", "describer embedding"],
        n_features=412,
        unexplained_auroc=0.64,
        unexplained_p_value=0.004,
        unexplained_differ=True,
        look_here={"A": paths_a[-2:], "B": paths_b[-3:]},
    )
    first, second = report.findings[0], report.findings[1]
    first.explained_share = 0.45
    first.counterfactual = Counterfactual(
        status="confirmed", shift_toward=0.82,
        detail="Darkening set B's held-out images moved them 82% of the way toward set A.",
    )
    second.concept = "diff:upside_down:B"
    second.description = "Set B images are upside down"
    second.explained_share = 0.3
    second.counterfactual = Counterfactual(
        status="refuted", shift_toward=-0.05,
        detail="Turning set A's held-out images upside down did not move them toward set B.",
    )
    paths = paths_a + paths_b
    rng = np.random.default_rng(7)
    report.image_scores = ImageScores(
        paths=paths,
        sets=["A"] * len(paths_a) + ["B"] * len(paths_b),
        folds=[i % 2 for i in range(len(paths))],
        columns={
            "overall": rng.normal(size=len(paths)),
            f"finding_1:{first.concept}": rng.normal(size=len(paths)),
            f"finding_2:{second.concept}": np.r_[math.nan, rng.normal(size=len(paths) - 1)],
        },
    )
    return report
