"""Patient data never leaves the file: DICOMs full of identifying values are compared, and
none of those values appears in anything tellapart writes or prints or logs."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from tellapart.cli import main
from tellapart.io.dicom import write_dicom

pytest.importorskip("pydicom")

# Distinctive values: none of them can appear in a report by accident.
PHI = {
    "PatientName": "Qzxwv^Jolyon^Mbarek",
    "PatientID": "PIDQZX90210",
    "PatientBirthDate": "19230417",
    "PatientAddress": "17 Qzxwv Lane Vexbury",
    "OtherPatientIDs": "OPIDQZX55",
    "AccessionNumber": "ACCQZX7731",
    "InstitutionName": "Qzxwv Memorial Infirmary",
    "InstitutionAddress": "1 Vexbury Road",
    "ReferringPhysicianName": "Drqzx^Hartigan",
    "PerformingPhysicianName": "Perfqzx^Ilse",
    "OperatorsName": "Opqzx^Tamsin",
    "StationName": "STATQZX04",
    "StudyDate": "20190311",
    "SeriesDate": "20190312",
    "StudyTime": "134217",
    "StudyDescription": "Chest follow-up for Qzxwv",
    "SeriesDescription": "Portable Qzxwv bedside",
    "ImageComments": "Patient Qzxwv fell from bed, see note 4417",
    "StudyID": "STUDYQZX31",
    "PatientAge": "087Y",
}
# The whole value and each word of it long enough to be distinctive.
NEEDLES = sorted({v for v in PHI.values()} | {
    w for v in PHI.values() for w in v.replace("^", " ").split()
    if len(w) >= 5 and w.lower() not in {"chest", "follow-up", "portable", "bedside", "patient",
                                         "infirmary", "memorial"}})


def _write_sets(root: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    folders = []
    for name, n_ap in (("a", 16), ("b", 4)):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(20):
            pixels = rng.normal(2000, 400, (32, 32)).clip(0, 4095).astype(np.uint16)
            write_dicom(str(folder / f"{i:03d}.dcm"), pixels, bits_stored=12,
                        attributes={**PHI, "Modality": "DX",
                                    "ViewPosition": "AP" if i < n_ap else "PA"})
        folders.append(folder)
    # A damaged file full of patient data: its skip reason must not quote any of it.
    damaged = folders[0] / "damaged.dcm"
    write_dicom(str(damaged), np.zeros((32, 32), dtype=np.uint16), bits_stored=12,
                attributes=PHI)
    data = damaged.read_bytes()
    damaged.write_bytes(data[: len(data) - 700])
    return folders[0], folders[1]


def _contents(path: Path) -> bytes:
    if path.is_dir():
        return b"".join(_contents(p) for p in sorted(path.rglob("*")) if p.is_file())
    return path.read_bytes()


def test_no_patient_value_reaches_any_output(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    a, b = _write_sets(tmp_path / "data")
    written = _contents(tmp_path / "data").decode("latin-1").lower()
    assert all(n.lower() in written for n in NEEDLES)  # the files do hold every value
    out, cache = tmp_path / "out", tmp_path / "cache" / "features.sqlite"
    scores = tmp_path / "scores.csv"
    code = main(["compare", str(a), str(b), "--out", str(out), "--cache", str(cache),
                 "--export-scores", str(scores), "--jobs", "1", "--quiet",
                 "--proposers", "measurements"])
    assert code == 0
    printed = capsys.readouterr()
    outputs = {
        "report files": _contents(out),
        "cache": _contents(cache.parent),
        "exported scores": scores.read_bytes(),
        "terminal": (printed.out + printed.err).encode(),
        "logs": caplog.text.encode(),
    }
    report = (out / "report.json").read_text()
    assert '"source": "header"' in report  # the header was read ...
    assert "damaged.dcm" in report  # ... and the damaged file named
    for where, blob in outputs.items():
        text = blob.decode("utf-8", errors="replace").lower()
        leaked = [n for n in NEEDLES if n.lower() in text]
        assert not leaked, f"patient data in the {where}: {leaked}"
