"""benchmarks/peers.py: its mapping names real measurements, its table and figure are built
from rows as stated, and the tellapart package never imports the peers (optional extra)."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
PEERS = ("deepchecks", "alibi_detect", "cleanvision")


@pytest.fixture()
def peers_module():
    sys.path.insert(0, str(BENCH))
    try:
        import peers
        import peers_mapping

        yield peers, peers_mapping
    finally:
        sys.path.remove(str(BENCH))


def test_every_mapped_peer_property_is_a_tellapart_measurement_with_a_sign(peers_module) -> None:
    from tellapart.bench.lexicon import MEASUREMENT_TYPES
    from tellapart.measure import bank_names

    _, mapping = peers_module
    bank = set(bank_names("off", False))
    for table in (mapping.DEEPCHECKS_PROPERTIES, mapping.CLEANVISION_ISSUES):
        for prop, entry in table.items():
            if entry is None:
                continue
            measurement, sign = entry
            assert measurement in bank, f"{prop}: {measurement} is not a measurement"
            assert measurement in MEASUREMENT_TYPES, f"{prop}: the judge's table lacks {measurement}"
            assert sign in (1, -1), prop


def test_mapped_concept_follows_the_sign(peers_module) -> None:
    peers, mapping = peers_module
    dark = peers.mapped_concept(mapping.CLEANVISION_ISSUES, "dark", a_has_more=True)
    assert dark == ("brightness_mean:lower", "A")  # more dark images in A: A is darker
    bright = peers.mapped_concept(mapping.DEEPCHECKS_PROPERTIES, "Brightness", a_has_more=False)
    assert bright == ("brightness_mean:lower", "B")
    assert peers.mapped_concept(mapping.CLEANVISION_ISSUES, "near_duplicates", True) is None


def test_a_mapped_concept_is_judged_by_the_benchmark_judge(peers_module) -> None:
    from tellapart.bench import Judge, Truth

    peers, _ = peers_module
    task = peers.Task("easy", 20, "t", Path("a"), Path("b"),
                      [Truth("darker", "A", "Set A images are darker than set B images")], "darker")
    judge = Judge(use_embeddings=False)
    assert peers.judge_concept(judge, task, "brightness_mean:lower", "A")[0]
    assert not peers.judge_concept(judge, task, "brightness_mean:higher", "B")[0]
    assert not peers.judge_concept(judge, task, "not_a_measurement:lower", "A")[0]


def _row(tool: str, suite: str, n: int, detected: bool, named: bool, seconds: float) -> dict:
    return {"seeds": "report", "suite": suite, "n": n, "index": 0, "tool": tool,
            "detected": detected, "named": named, "seconds": seconds, "error": None}


def test_summary_rates_and_images_per_second(peers_module) -> None:
    peers, _ = peers_module
    rows = [_row("tellapart", "easy", 20, True, True, 4.0), _row("tellapart", "easy", 20, True, False, 6.0),
            _row("tellapart", "null", 20, True, False, 5.0), _row("tellapart", "null", 20, False, False, 5.0)]
    by = {(s["suite"], s["n"]): s for s in peers.summarise(rows)}
    assert by[("easy", 20)]["detected"] == 1.0 and by[("easy", 20)]["named"] == 0.5
    assert by[("easy", 20)]["images_per_s"] == pytest.approx(40 / 5.0)
    assert by[("null", 20)]["detected"] == 0.5 and math.isnan(by[("null", 20)]["named"])
    table = peers.markdown(peers.summarise(rows))
    assert "| tellapart | 20 | 1.00 / 0.50 |" in table


def test_the_package_never_imports_the_peers() -> None:
    pattern = re.compile(rf"^\s*(?:from|import)\s+({'|'.join(PEERS)})\b", re.MULTILINE)
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "src" / "tellapart").rglob("*.py")
                 if pattern.search(p.read_text(encoding="utf-8"))]
    assert not offenders


def test_the_script_starts_without_the_peers_installed() -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "peers.py"), "run", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "--seeds" in proc.stdout
