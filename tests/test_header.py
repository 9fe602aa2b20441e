"""Header evidence: the header proposer and scorer, header findings end to end (80% vs 20% AP
views over pixels of one distribution), acquisition notes, the header cache."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from tellapart import compare
from tellapart.config import Settings
from tellapart.context import DataContext
from tellapart.io.dicom import write_dicom
from tellapart.medical_demo import write_medical_demo
from tellapart.propose import HeaderProposer
from tellapart.types import FeatureTable, Finding, ImageRecord, ImageScores
from tellapart.verify import HeaderScorer
from tellapart.verify.header import finish_header_findings, follows_header

pytest.importorskip("pydicom")


def _record(i: int, set_name: str, header: dict[str, str]) -> ImageRecord:
    return ImageRecord(path=f"{set_name}/{i}.dcm", set_name=set_name, content_hash=f"{set_name}{i}",
                       file_size=1, width=8, height=8, format="DICOM", mode="MONOCHROME2",
                       bit_depth=12, header=tuple(header.items()))


def _ctx(records: list[ImageRecord]) -> DataContext:
    table = FeatureTable(records=records, names=[], values=np.empty((len(records), 0)))
    return DataContext(table=table, load=lambda r: None, settings=Settings())  # type: ignore[arg-type,return-value]


def _table_records(n: int = 20) -> list[ImageRecord]:
    records = []
    for set_name, n_ap, kvp in (("A", 16, 120.0), ("B", 4, 80.0)):
        for i in range(n):
            records.append(_record(i, set_name, {
                "Modality": "DX", "ViewPosition": "AP" if i < n_ap else "PA",
                "KVP": f"{kvp + i % 9:g}"}))
    return records


def test_header_proposer_names_the_view_and_the_voltage() -> None:
    records = _table_records()
    ctx = _ctx(records)
    hyps = HeaderProposer().propose(ctx, np.arange(len(records)), k=8)
    by_attr = {h.params["header_attribute"]: h for h in hyps}
    assert set(by_attr) == {"ViewPosition", "KVP"}  # Modality is the same everywhere
    view = by_attr["ViewPosition"]
    assert view.more_in == "A" and view.params["header_value"] == "AP"
    assert view.description.startswith("Set A images are more often AP views")
    assert view.scorer == "header" and view.concept == "header:ViewPosition=AP:A"
    kvp = by_attr["KVP"]
    assert kvp.more_in == "A" and "tube voltage (kVp)" in kvp.description
    scores = HeaderScorer().score(view, ctx, np.arange(len(records)))
    assert scores.tolist() == [1.0] * 16 + [0.0] * 4 + [1.0] * 4 + [0.0] * 16
    assert HeaderScorer().can_score_in(view, ctx)


def test_header_proposer_proposes_nothing_without_headers() -> None:
    records = [ImageRecord(f"{s}{i}.png", s, f"{s}{i}", 1, 8, 8, "PNG", "RGB", 8)
               for s in "AB" for i in range(6)]
    assert HeaderProposer().propose(_ctx(records), np.arange(12), k=8) == []


def test_orienting_a_contradicted_claim_keeps_its_scores_meaning() -> None:
    hyp = HeaderProposer().propose(_ctx(_table_records()), np.arange(40), k=1)[0]
    flipped = HeaderScorer().orient(hyp, "B")
    assert flipped.more_in == "B" and flipped.params == hyp.params
    assert flipped.description.startswith("Set B images")


def test_follows_header_within_each_set() -> None:
    rng = np.random.default_rng(0)
    is_a = np.repeat([True, False], 40)
    has = np.concatenate([rng.random(40) < 0.8, rng.random(40) < 0.2]).astype(float)
    caused = has * 2.0 + rng.normal(0, 0.5, 80)  # the pixel score follows the view
    independent = is_a * 2.0 + rng.normal(0, 0.5, 80)  # differs between sets, not with view
    assert follows_header(caused, has, is_a, same_direction=True)
    assert not follows_header(independent, has, is_a, same_direction=True)
    assert not follows_header(caused, has, is_a, same_direction=False)


def test_finish_marks_restates_and_notes() -> None:
    records = _table_records()
    header = Finding(rank=1, description="x", concept="header:ViewPosition=AP:A", more_in="A",
                     auroc=0.8, auroc_ci=(0.7, 0.9), p_value=0.001, q_value=0.002,
                     significant=True, effect_size=0.6, proposer="header", scorer="header",
                     scores={"A": [1.0] * 8 + [0.0] * 2, "B": [1.0] * 2 + [0.0] * 8})
    pixel = Finding(rank=2, description="Set A images are darker than set B images",
                    concept="brightness_mean:lower", more_in="A", auroc=0.8, auroc_ci=(0.7, 0.9),
                    p_value=0.001, q_value=0.002, significant=True, effect_size=0.6,
                    proposer="measurements", scorer="measurement")
    ap = np.array([r.header_dict["ViewPosition"] == "AP" for r in records], dtype=float)
    scores = ImageScores(paths=[r.path for r in records], sets=[r.set_name for r in records],
                         folds=[0] * len(records),
                         columns={"finding_2:brightness_mean:lower": ap + 0.01 * np.arange(40)})
    finish_header_findings([header, pixel], records, scores)
    assert header.source == "header" and pixel.source == "pixels"
    assert header.description == "Set A images are mostly AP views (ViewPosition AP: 80% vs 20%)"
    assert pixel.acquisition_note == ("this follows the view position (ViewPosition AP): likely "
                                      "an acquisition difference")
    assert header.to_json()["source"] == "header" and "source" not in pixel.to_json()


def _header_pair(root: Path, n: int = 30, share_a: float = 0.8, share_b: float = 0.2,
                 seed: int = 0) -> tuple[Path, Path]:
    """Two DICOM sets whose pixels come from one distribution; only ViewPosition differs."""
    rng = np.random.default_rng(seed)
    folders = []
    for name, share in (("a", share_a), ("b", share_b)):
        folder = root / name
        folder.mkdir(parents=True)
        n_ap = round(share * n)
        for i in range(n):
            pixels = rng.normal(2000, 400, (32, 32)).clip(0, 4095).astype(np.uint16)
            write_dicom(str(folder / f"{i:03d}.dcm"), pixels, bits_stored=12,
                        attributes={"Modality": "DX", "ViewPosition": "AP" if i < n_ap else "PA"})
        folders.append(folder)
    return folders[0], folders[1]


def test_view_difference_over_one_pixel_distribution_is_a_header_finding(tmp_path: Path) -> None:
    a, b = _header_pair(tmp_path)
    cache = tmp_path / "cache.sqlite"
    report = compare(a, b, progress=False, cache=str(cache), jobs=1, proposers=["measurements"],
                     overall=False)
    top = report.findings[0]
    assert top.significant and top.source == "header" and top.more_in == "A"
    assert top.concept == "header:ViewPosition=AP:A"
    assert top.description.startswith("Set A images are mostly AP views (ViewPosition AP: ")
    assert [f.concept for f in report.significant] == [top.concept]  # pixels: nothing
    assert report.settings["proposers"] == ["measurements", "header"]
    data = report.to_json()
    assert data["findings"][0]["source"] == "header"
    with sqlite3.connect(cache) as conn:
        rows = conn.execute("SELECT attributes FROM image_headers").fetchall()
    assert len(rows) == 60 and all("ViewPosition" in json.loads(r[0]) for r in rows)
    again = compare(a, b, progress=False, cache=str(cache), jobs=1, proposers=["measurements"],
                    overall=False)
    assert [f.to_json() for f in again.findings] == [f.to_json() for f in report.findings]
    off = compare(a, b, progress=False, cache="", jobs=1, proposers=["measurements"],
                  overall=False, header_evidence=False)
    assert not off.significant and all(f.source == "pixels" for f in off.findings)


def test_headers_come_with_the_pixels_and_are_not_read_again(tmp_path: Path) -> None:
    # the features stage reads a file's header from the parse that decodes its pixels; the
    # header pass then has nothing left to read (the files may be gone) and nothing to warn of
    from tellapart.io.dicom import dicom_header
    from tellapart.io.headers import attach_headers, ordered_attributes
    from tellapart.io.store import FeatureStore
    from tellapart.measure import compute_features

    a, b = _header_pair(tmp_path)
    expected = {p.name: ordered_attributes(dicom_header(p.read_bytes())) for p in a.glob("*.dcm")}
    sources = [(n, str(f), sorted(str(p) for p in f.glob("*.dcm")), []) for n, f in (("A", a), ("B", b))]
    settings = Settings(jobs=1, cache="")
    _, table, _ = compute_features(sources, settings=settings, progress=False)
    assert all(r.header for r in table.records)
    assert {Path(r.path).name: r.header for r in table.records if r.set_name == "A"} == expected
    for folder in (a, b):
        for path in folder.glob("*.dcm"):
            path.unlink()
    records, warnings = attach_headers(table.records, FeatureStore(""))
    assert records == table.records and not warnings


def test_pixel_findings_that_follow_the_view_are_said_to(tmp_path: Path) -> None:
    a, b = write_medical_demo(tmp_path / "demo", n_per_side=30, size=64, seed=1)
    report = compare(a, b, progress=False, cache="", jobs=1, proposers=["measurements"])
    top = report.findings[0]
    assert top.significant and top.source == "header"
    assert top.concept == "header:ViewPosition=AP:A"
    pixel = [f for f in report.significant if f.source == "pixels"]
    # pixel findings that track the view are listed under it, or say that they follow it
    assert top.related or pixel
    assert all("view position" in f.acquisition_note for f in pixel)


def test_demo_medical_reports_the_view_position(tmp_path: Path) -> None:
    from tellapart.cli import main

    out = tmp_path / "demo"
    code = main(["demo", "--medical", "--out", str(out), "--quiet", "--no-cache", "--jobs", "1",
                 "--proposers", "measurements", "--no-overall"])
    assert code == 0
    data = json.loads((out / "report.json").read_text())
    top = data["findings"][0]
    assert top["significant"] and top["source"] == "header"
    assert top["description"].startswith("Set A images are mostly AP views (ViewPosition AP: ")
    assert len(list((out / "example_medical" / "a").glob("*.dcm"))) == 40
