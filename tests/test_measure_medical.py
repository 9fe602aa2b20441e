"""The medical measurement group: each measurement moves with its phenomenon, and the group
runs only for medical images or when asked."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tellapart.config import Settings
from tellapart.measure import MEASUREMENTS, bank_names, compute_features, create_measurement
from tellapart.measure.medical import (
    _erode_cross,
    _histogram64,
    _long_group_extents,
    _median_u8,
    _open3,
    looks_medical,
)
from tellapart.types import DecodedImage, ImageRecord

MEDICAL = [n for n, cls in MEASUREMENTS.items() if cls.group == "medical"]
GENERAL = [n for n, cls in MEASUREMENTS.items() if cls.group == "general"]
S = 128


def measure(name: str, gray: np.ndarray) -> float:
    """Measurement ``name`` of a grey image given as floats in [0, 1] (or RGB (H, W, 3))."""
    rgb = np.repeat(gray[..., None], 3, axis=2) if gray.ndim == 2 else gray
    record = ImageRecord("x.png", "A", "0", 1, rgb.shape[1], rgb.shape[0], "PNG", "RGB", 8)
    return create_measurement(name).compute(DecodedImage(record, rgb.astype(np.float32)))


def disc(cx: float, cy: float, r: float, size: int = S) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size] / size
    return (xx - cx) ** 2 + (yy - cy) ** 2 <= r**2


def radiograph(seed: int = 0) -> np.ndarray:
    """A dark background with a lighter textured body and a bright centre."""
    rng = np.random.default_rng(seed)
    img = np.full((S, S), 0.08)
    img[disc(0.5, 0.5, 0.42)] = 0.45
    img[disc(0.5, 0.55, 0.12)] = 0.7
    return np.clip(img + rng.normal(0, 0.01, img.shape), 0, 1)


def test_group_is_medical_and_keywords_are_new_words() -> None:
    assert len(MEDICAL) >= 10
    general_words = {k for n in GENERAL for k in MEASUREMENTS.get(n).keywords}
    general_words |= {w for n in GENERAL for cls in [MEASUREMENTS.get(n)]
                      for p in (*cls.more_synonyms, *cls.less_synonyms) for w in p.split()}
    for name in MEDICAL:
        cls = MEASUREMENTS.get(name)
        # a typed claim about a photograph must read as it did before the group existed
        assert not set(cls.keywords) & general_words, name
        assert not cls.more_synonyms and not cls.less_synonyms and not cls.property_names


def test_corner_annotation_rises_with_corner_text() -> None:
    base = radiograph()
    marked = base.copy()
    for y in range(6, 18, 4):  # three lines of "text" strokes in the top-left corner
        marked[y, 6:26:2] = 1.0
    assert measure("corner_annotation", marked) > measure("corner_annotation", base) + 0.02


def test_thin_bright_lines_rise_with_a_wire_but_not_a_blob() -> None:
    base = radiograph()
    wire = base.copy()
    rows = (20 + 0.6 * np.arange(90)).astype(int)
    wire[rows, np.arange(20, 110)] = 0.95
    blob = base.copy()
    blob[disc(0.3, 0.3, 0.08)] = 0.95
    assert measure("thin_bright_lines", wire) > 0.5
    assert measure("thin_bright_lines", blob) == measure("thin_bright_lines", base) == 0.0


def test_shutter_border_counts_light_bands_and_black_padding_dark_ones() -> None:
    base = np.clip(0.5 + np.random.default_rng(3).normal(0, 0.1, (S, S)), 0, 1)
    shutter = base.copy()
    shutter[:, :20] = 0.8
    shutter[:, -20:] = 0.8
    padded = base.copy()
    padded[:20] = 0.0
    padded[-20:] = 0.0
    assert measure("shutter_border", shutter) > measure("shutter_border", base) + 0.05
    assert measure("black_padding", shutter) <= measure("black_padding", base)
    assert measure("black_padding", padded) > measure("black_padding", base) + 0.05
    assert measure("shutter_border", padded) <= measure("shutter_border", base) + 0.01


def test_field_of_view_grows_with_the_subject() -> None:
    small, large = np.full((S, S), 0.05), np.full((S, S), 0.05)
    small[disc(0.5, 0.5, 0.25)] = 0.6
    large[disc(0.5, 0.5, 0.42)] = 0.6
    assert measure("field_of_view", large) > measure("field_of_view", small) + 0.2


def test_clipping_and_skew_follow_the_window() -> None:
    base = radiograph()
    narrow = np.clip((base - 0.3) / 0.3, 0, 1)
    assert measure("clipped_fraction", narrow) > measure("clipped_fraction", base) + 0.3
    dark_mass = np.clip(np.random.default_rng(1).exponential(0.1, (S, S)), 0, 1)
    assert measure("tone_skewness", dark_mass) > 0 > measure("tone_skewness", 1 - dark_mass)
    assert measure("tone_skewness", np.full((S, S), 0.5)) == 0.0


def test_background_polarity_flips_with_an_inverted_grey_scale() -> None:
    base = radiograph()
    assert measure("background_polarity", base) < 0 < measure("background_polarity", 1 - base)


def test_central_structures_grow() -> None:
    brain = np.full((S, S), 0.02)
    brain[disc(0.5, 0.5, 0.42)] = 0.5
    small, large = brain.copy(), brain.copy()
    small[disc(0.5, 0.5, 0.06)] = 0.15
    large[disc(0.5, 0.5, 0.14)] = 0.15
    assert measure("central_dark_area", large) > measure("central_dark_area", small) + 0.1
    chest = np.full((S, S), 0.05)
    chest[disc(0.5, 0.5, 0.45)] = 0.35
    chest[disc(0.3, 0.5, 0.13) | disc(0.7, 0.5, 0.13)] = 0.15
    heart_small, heart_large = chest.copy(), chest.copy()
    heart_small[disc(0.5, 0.58, 0.08)] = 0.75
    heart_large[disc(0.5, 0.58, 0.14)] = 0.75
    assert measure("central_bright_area", heart_large) > measure("central_bright_area", heart_small) + 0.1


def test_polarity_ignores_shutters_and_blueness_follows_the_lesion_colour() -> None:
    base = radiograph()
    shuttered = base.copy()
    shuttered[:, :16] = 0.85
    assert measure("background_polarity", shuttered) < 0
    skin = np.ones((S, S, 3)) * np.array([0.85, 0.65, 0.55])
    brown, blue = skin.copy(), skin.copy()
    brown[disc(0.5, 0.5, 0.2)] = [0.45, 0.27, 0.17]
    blue[disc(0.5, 0.5, 0.2)] = [0.3, 0.33, 0.45]
    assert measure("dark_region_blueness", blue) > measure("dark_region_blueness", brown) + 0.2


def test_outline_irregularity_rises_for_a_ragged_lesion() -> None:
    yy, xx = np.mgrid[0:S, 0:S] / S
    angle, radius = np.arctan2(yy - 0.5, xx - 0.5), np.hypot(xx - 0.5, yy - 0.5)
    round_lesion = np.where(radius < 0.2, 0.3, 0.8)
    ragged = np.where(radius < 0.2 * (1 + 0.25 * np.sin(9 * angle)), 0.3, 0.8)
    assert measure("outline_irregularity", ragged) > measure("outline_irregularity", round_lesion) + 0.3
    assert np.isnan(measure("outline_irregularity", np.full((S, S), 0.5)))


def test_small_dark_spots_count_cells() -> None:
    rng = np.random.default_rng(2)
    sparse, dense = np.full((S, S), 0.85), np.full((S, S), 0.85)
    centres = rng.uniform(0.05, 0.95, (40, 2))
    for i, (x, y) in enumerate(centres):
        if i < 10:
            sparse[disc(x, y, 0.012)] = 0.25
        dense[disc(x, y, 0.012)] = 0.25
    assert measure("small_dark_spots", dense) > 2 * measure("small_dark_spots", sparse) > 0


def test_looks_medical_reads_the_file_signatures() -> None:
    dicom = b"\0" * 128 + b"DICM" + b"\0" * 64
    nifti = b"\0" * 344 + b"n+1\0" + b"\0" * 16
    assert looks_medical(dicom, "scan")
    assert looks_medical(nifti, "vol.img") and looks_medical(gzip.compress(nifti), "vol")
    assert looks_medical(b"", "brain.nii.gz")
    assert not looks_medical(b"\x89PNG\r\n\x1a\n" + b"\0" * 400, "photo.png")


def test_bank_names_gate_the_medical_group() -> None:
    general = bank_names("auto", False)
    assert set(general) == set(GENERAL)
    assert set(bank_names("auto", True)) == set(GENERAL) | set(MEDICAL)
    assert set(bank_names("on", False)) == set(GENERAL) | set(MEDICAL)
    assert bank_names("off", True) == general
    with pytest.raises(ValueError, match="medical_measurements"):
        bank_names("sometimes", False)


def _pngs(folder: Path, n: int) -> list[str]:
    folder.mkdir()
    paths = []
    for i in range(n):
        path = folder / f"{i}.png"
        Image.fromarray((radiograph(i) * 255).astype(np.uint8)).save(path)
        paths.append(str(path))
    return paths


def test_features_measure_the_medical_group_only_when_asked(tmp_path: Path) -> None:
    sources = [("A", "a", _pngs(tmp_path / "a", 2), []), ("B", "b", _pngs(tmp_path / "b", 2), [])]
    _, plain, _ = compute_features(sources, settings=Settings(cache="", jobs=1), progress=False)
    assert set(plain.names) == set(GENERAL)
    _, medical, _ = compute_features(
        sources, settings=Settings(cache="", jobs=1, medical_measurements="on"), progress=False
    )
    assert set(medical.names) == set(GENERAL) | set(MEDICAL)
    assert np.isfinite(medical.column("background_polarity")).all()


def test_the_measurement_list_names_each_measurement_group(capsys: pytest.CaptureFixture[str]) -> None:
    from tellapart.cli import main

    assert main(["measurements"]) == 0
    lines = {line.split()[0]: line.split()[2] for line in capsys.readouterr().out.splitlines()}
    assert lines["corner_annotation"] == "medical"
    assert lines["vignetting"] == "general"


def test_fast_binary_morphology_matches_scipy() -> None:
    # outline_irregularity opens its dark mask and erodes its region with filters and slices;
    # they must give ndimage's masks exactly, borders and one-pixel-wide masks included
    from scipy import ndimage

    rng = np.random.default_rng(5)
    for _ in range(200):
        height, width = (int(v) for v in rng.integers(1, 40, size=2))
        mask = rng.random((height, width)) < rng.random()
        square = np.ones((3, 3), dtype=bool)
        assert np.array_equal(_open3(mask), ndimage.binary_opening(mask, structure=square))
        assert np.array_equal(_erode_cross(mask), ndimage.binary_erosion(mask))


def test_fast_medical_helpers_match_their_numpy_and_scipy_references() -> None:
    # the medical group's exact shortcuts: a median from counts, a histogram by integer
    # binning, and the extents of long pixel groups without find_objects
    from scipy import ndimage

    rng = np.random.default_rng(11)
    for _ in range(100):
        values = rng.integers(0, 256, size=int(rng.integers(1, 500))).astype(np.int16)
        assert _median_u8(values) == np.median(values)
        gray = rng.random(int(rng.integers(1, 500))).astype(np.float32)
        gray[: int(rng.integers(0, 5))] = rng.choice([0.0, 1.0, 0.5, 1 / 64, 1.0000001, -1e-7], 1)
        assert np.array_equal(_histogram64(gray), np.histogram(gray, bins=64, range=(0.0, 1.0))[0])
        height, width = (int(v) for v in rng.integers(2, 60, size=2))
        mask = rng.random((height, width)) < rng.random() * 0.6
        labels, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
        min_extent = int(rng.integers(1, 12))
        sizes = np.bincount(labels.ravel())
        expected = [(max(b[0].stop - b[0].start, b[1].stop - b[1].start), sizes[i + 1])
                    for i, b in enumerate(ndimage.find_objects(labels))]
        expected = [(e, n) for e, n in expected if e >= min_extent]
        extents, group_sizes = _long_group_extents(labels, count, min_extent)
        assert list(zip(extents.tolist(), group_sizes.tolist(), strict=True)) == expected
