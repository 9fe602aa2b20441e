"""Contract and behaviour tests of every registered synthetic difference type."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from scipy import ndimage

from tellapart.edits.degradations import laplacian_variance
from tellapart.edits.differences import luma
from tellapart.synth import DIFFERENCES, FAMILIES, create_difference, list_differences
from tellapart.synth.bases import BaseSampler, _photo_pyramid
from tellapart.types import swap_sets
from test_synth_medical import MEDICAL_CHECKS, MEDICAL_IMAGES

SIZE = 64
ALL_IDS = DIFFERENCES.list()


def _photo() -> np.ndarray:
    pyr = _photo_pyramid("coffee")
    w, h = pyr.size
    return np.asarray(pyr.crop((w * 0.2, h * 0.2, w * 0.2 + h * 0.6, h * 0.8), SIZE)).copy()


def _flat() -> np.ndarray:
    # a mid-grey image with a faint gradient: spatial changes show up cleanly against it
    ramp = np.linspace(-10, 10, SIZE, dtype=np.float32)
    img = np.empty((SIZE, SIZE, 3), np.float32)
    img[:] = np.array([120, 130, 110], np.float32)
    img += ramp[None, :, None]
    return img.astype(np.uint8)


IMAGES: dict[str, np.ndarray] = {
    "photo": _photo(),
    "shapes": BaseSampler("shapes", SIZE).sample(np.random.default_rng(3), allow_flip=False)[0],
    "smooth": BaseSampler("smooth", SIZE).sample(np.random.default_rng(4), allow_flip=False)[0],
    "flat": _flat(),
    **MEDICAL_IMAGES,
}


def _changed(x: np.ndarray, y: np.ndarray, tol: int = 2) -> np.ndarray:
    return np.abs(x.astype(np.int16) - y.astype(np.int16)).max(axis=2) > tol


def _sat(img: np.ndarray) -> float:
    f = img.astype(np.float32)
    return float((f.max(axis=2) - f.min(axis=2)).mean())


def _hue_concentration(img: np.ndarray) -> float:
    f = img.astype(np.float32)
    i = 0.596 * f[..., 0] - 0.274 * f[..., 1] - 0.322 * f[..., 2]
    q = 0.211 * f[..., 0] - 0.523 * f[..., 1] + 0.312 * f[..., 2]
    z = i + 1j * q
    return float(np.abs(z.sum()) / (np.abs(z).sum() + 1e-9))


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(ys.min()), int(ys.max()), int(xs.min()), int(xs.max())


def _blockiness(img: np.ndarray) -> float:
    g = luma(img)
    d = np.abs(np.diff(g, axis=1))
    at_edge = d[:, 7::8].mean()
    inside = np.delete(d, np.s_[7::8], axis=1).mean()
    return float(at_edge / (inside + 1e-6))


def _orientation(mask: np.ndarray) -> float:
    ys, xs = np.nonzero(mask)
    ys = ys - ys.mean()
    xs = xs - xs.mean()
    cov = np.cov(np.stack([xs, -ys]))  # y up
    w, v = np.linalg.eigh(cov)
    vx, vy = v[:, -1]
    return float(np.degrees(np.arctan2(vy, vx)) % 180)


def _edge_bands(mask_or_delta: np.ndarray, frac: float = 0.25) -> list[float]:
    h, w = mask_or_delta.shape
    k = max(1, int(h * frac))
    return [
        float(mask_or_delta[:, :k].mean()),
        float(mask_or_delta[:, -k:].mean()),
        float(mask_or_delta[:k].mean()),
        float(mask_or_delta[-k:].mean()),
    ]


Check = Callable[[np.ndarray, np.ndarray], None]


def _ok(cond: bool, msg: str) -> None:
    assert cond, msg


# (image name, params or None, check(before, after)); every registered type needs one entry
CHECKS: dict[str, tuple[str, dict | None, Check]] = {
    # photometric
    "brighter": (
        "photo",
        None,
        lambda x, y: _ok(luma(y).mean() > luma(x).mean() + 8, "not brighter"),
    ),
    "darker": ("photo", None, lambda x, y: _ok(luma(y).mean() < luma(x).mean() - 8, "not darker")),
    "higher_contrast": (
        "photo",
        None,
        lambda x, y: _ok(luma(y).std() > 1.2 * luma(x).std(), "contrast not up"),
    ),
    "lower_contrast": (
        "photo",
        None,
        lambda x, y: _ok(luma(y).std() < 0.8 * luma(x).std(), "contrast not down"),
    ),
    "faded": (
        "photo",
        None,
        lambda x, y: _ok(
            np.percentile(luma(y), 5) > np.percentile(luma(x), 5) + 20
            and luma(y).std() < luma(x).std(),
            "blacks not lifted",
        ),
    ),
    "more_saturated": (
        "photo",
        None,
        lambda x, y: _ok(_sat(y) > 1.3 * _sat(x), "not more saturated"),
    ),
    "less_saturated": (
        "photo",
        None,
        lambda x, y: _ok(_sat(y) < 0.6 * _sat(x), "not less saturated"),
    ),
    "hue_shift": (
        "shapes",
        None,
        lambda x, y: _ok(
            abs(luma(y).mean() - luma(x).mean()) < 12
            and np.abs(y.astype(int) - x.astype(int)).mean() > 15,
            "hue not shifted / luma changed",
        ),
    ),
    "warmer": (
        "photo",
        None,
        lambda x, y: _ok(
            (y[..., 0].astype(float) - y[..., 2]).mean()
            > (x[..., 0].astype(float) - x[..., 2]).mean() + 30,
            "not warmer",
        ),
    ),
    "cooler": (
        "photo",
        None,
        lambda x, y: _ok(
            (y[..., 2].astype(float) - y[..., 0]).mean()
            > (x[..., 2].astype(float) - x[..., 0]).mean() + 30,
            "not cooler",
        ),
    ),
    "color_tint": (
        "gray_photo",
        None,
        lambda x, y: _ok(
            _hue_concentration(y) > 0.9 and _sat(y) > _sat(x) + 15, "grey not tinted one hue"
        ),
    ),
    "grayscale": (
        "photo",
        None,
        lambda x, y: _ok(int(np.abs(y.astype(int) - y[..., :1]).max()) <= 1, "channels not equal"),
    ),
    "inverted": ("photo", None, lambda x, y: _ok(bool(np.array_equal(y, 255 - x)), "not 255 - x")),
    "sepia": (
        "photo",
        None,
        lambda x, y: _ok(
            ((y[..., 0] >= y[..., 1]) & (y[..., 1] >= y[..., 2])).mean() > 0.95, "not sepia ordered"
        ),
    ),
    # degradations
    "blur": (
        "photo",
        None,
        lambda x, y: _ok(
            laplacian_variance(y) < 0.5 * laplacian_variance(x), "sharpness not lower"
        ),
    ),
    "motion_blur": (
        "photo",
        None,
        lambda x, y: _ok(
            laplacian_variance(y) < 0.6 * laplacian_variance(x), "sharpness not lower"
        ),
    ),
    "noise": (
        "smooth",
        None,
        lambda x, y: _ok(laplacian_variance(y) > 3 * laplacian_variance(x) + 10, "no added noise"),
    ),
    "salt_pepper": (
        "photo",
        None,
        lambda x, y: _ok(
            (np.isin(y, (0, 255)).all(axis=2) & _changed(x, y)).mean() > 0.02, "no impulse pixels"
        ),
    ),
    "jpeg": (
        "smooth",
        {"quality": 5, "subsampling": 2},
        lambda x, y: _ok(_blockiness(y) > 1.5 * _blockiness(x), "no 8x8 blocking"),
    ),
    "pixelated": (
        "photo",
        None,
        lambda x, y: _ok(
            (np.abs(np.diff(y.astype(int), axis=1)).max(axis=(0, 2)) == 0).mean() > 0.6,
            "columns not repeated in blocks",
        ),
    ),
    "posterized": (
        "photo",
        None,
        lambda x, y: _ok(
            max(len(np.unique(y[..., c])) for c in range(3)) <= 4, "more than 4 levels"
        ),
    ),
    "sharpened": (
        "photo",
        None,
        lambda x, y: _ok(laplacian_variance(y) > 1.5 * laplacian_variance(x), "not sharper"),
    ),
    # geometric
    "mirrored": (
        "photo",
        None,
        lambda x, y: _ok(bool(np.array_equal(y, x[:, ::-1])), "not mirror"),
    ),
    "upside_down": (
        "photo",
        None,
        lambda x, y: _ok(bool(np.array_equal(y, x[::-1])), "not flipped"),
    ),
    "sideways": (
        "photo",
        {"quarter_turns": 1},
        lambda x, y: _ok(bool(np.array_equal(y, np.rot90(x, 1))), "not a quarter turn"),
    ),
    "rotated": (
        "bar",
        {"angle": 20.0, "sign": 1.0, "fill": "black", "resample": "bilinear"},
        lambda x, y: _ok(
            abs(_orientation(luma(y) > 128) - 20.0) < 3.0,
            f"bar angle {_orientation(luma(y) > 128):.1f}, expected 20",
        ),
    ),
    "zoomed": (
        "photo",
        {"zoom": 2.0, "cx": 0.5, "cy": 0.5},
        lambda x, y: _ok(
            np.abs(
                y.reshape(SIZE // 2, 2, SIZE // 2, 2, 3).mean(axis=(1, 3))
                - x[SIZE // 4 : 3 * SIZE // 4, SIZE // 4 : 3 * SIZE // 4]
            ).mean()
            < 8,
            "not the magnified centre",
        ),
    ),
    "stretched_wide": (
        "photo",
        {"stretch": 1.6},
        lambda x, y: _ok(_dxdy(y) < 0.8 * _dxdy(x), "horizontal detail not stretched"),
    ),
    "stretched_tall": (
        "photo",
        {"stretch": 1.6},
        lambda x, y: _ok(_dxdy(y) > 1.25 * _dxdy(x), "vertical detail not stretched"),
    ),
    "shifted": (
        "photo",
        {"dx": 10, "dy": 0, "fill_color": [0, 0, 0]},
        lambda x, y: _ok(
            bool(np.array_equal(y[:, 10:], x[:, :-10]) and (y[:, :10] == 0).all()), "not shifted"
        ),
    ),
    # spatial
    "vignette": (
        "flat",
        None,
        lambda x, y: _ok(
            luma(y)[:6, :6].mean() < 0.7 * luma(x)[:6, :6].mean()
            and abs(luma(y)[28:36, 28:36].mean() - luma(x)[28:36, 28:36].mean()) < 10,
            "corners not darker than centre",
        ),
    ),
    "half_darkened": ("flat", None, lambda x, y: _ok(_one_half_dark(x, y), "no single dark half")),
    "occluding_patch": ("photo", None, lambda x, y: _ok(_compact_big_change(x, y), "no patch")),
    "marks_top_left": (
        "flat",
        None,
        lambda x, y: _ok(
            _changed(x, y).any()
            and _bbox(_changed(x, y))[1] < 0.36 * SIZE
            and _bbox(_changed(x, y))[3] < 0.36 * SIZE,
            "marks outside the top-left corner",
        ),
    ),
    "light_leak": ("flat", None, lambda x, y: _ok(_leak(x, y), "no glow from one edge")),
    # overlays
    "tiny_rectangles": (
        "flat",
        None,
        lambda x, y: _ok(_small_marks(x, y, 0.08, 0.12), "not small rectangles"),
    ),
    "circles": ("flat", None, lambda x, y: _ok(_small_marks(x, y, 0.12, 0.12), "not small dots")),
    "lines": (
        "flat",
        None,
        lambda x, y: _ok(
            0 < _changed(x, y).mean() < 0.2 and _span(_changed(x, y)) > 0.35, "not long thin lines"
        ),
    ),
    "grid": (
        "flat",
        None,
        lambda x, y: _ok(
            _changed(x, y).any(axis=1).mean() > 0.6
            and _changed(x, y).any(axis=0).mean() > 0.6
            and _changed(x, y).mean() < 0.5,
            "not a grid",
        ),
    ),
    "text_watermark": (
        "flat",
        None,
        lambda x, y: _ok(0.003 < _changed(x, y).mean() < 0.2, "no text-sized change"),
    ),
    "stamp": (
        "flat",
        None,
        lambda x, y: _ok(
            0.003 < _changed(x, y).mean() < 0.1 and _span(_changed(x, y)) < 0.3, "no compact stamp"
        ),
    ),
    "frame": (
        "photo",
        None,
        lambda x, y: _ok(
            _changed(x, y).any() and not _changed(x, y)[8:-8, 8:-8].any(), "change not at border"
        ),
    ),
    "corner_marker": (
        "flat",
        None,
        lambda x, y: _ok(_in_one_corner(_changed(x, y)), "marker not in one corner"),
    ),
    # content
    "more_objects": ("flat", None, lambda x, y: _ok(_changed(x, y).mean() > 0.05, "no objects")),
    "large_object": (
        "flat",
        None,
        lambda x, y: _ok(
            _changed(x, y).mean() > 0.12 and _span(_changed(x, y)) > 0.4, "no large object"
        ),
    ),
    "triangles": (
        "flat",
        None,
        lambda x, y: _ok(0.01 < _changed(x, y).mean() < 0.35, "no triangles"),
    ),
    "stars": ("flat", None, lambda x, y: _ok(0.005 < _changed(x, y).mean() < 0.35, "no stars")),
}


def _bar() -> np.ndarray:
    img = np.zeros((SIZE, SIZE, 3), np.uint8)
    img[30:34, 12:52] = 255
    return img


IMAGES["bar"] = _bar()
IMAGES["gray_photo"] = np.repeat(np.rint(luma(IMAGES["photo"])).astype(np.uint8)[..., None], 3, 2)


def _dxdy(img: np.ndarray) -> float:
    g = luma(img)
    return float(np.abs(np.diff(g, axis=1)).mean() / (np.abs(np.diff(g, axis=0)).mean() + 1e-6))


def _span(mask: np.ndarray) -> float:
    y0, y1, x0, x1 = _bbox(mask)
    return max(y1 - y0 + 1, x1 - x0 + 1) / mask.shape[0]


def _one_half_dark(x: np.ndarray, y: np.ndarray) -> bool:
    lx, ly = luma(x), luma(y)
    h = SIZE // 2
    halves = [
        (np.s_[:, :h], np.s_[:, h:]),
        (np.s_[:, h:], np.s_[:, :h]),
        (np.s_[:h], np.s_[h:]),
        (np.s_[h:], np.s_[:h]),
    ]
    for dark, other in halves:
        if (
            ly[dark].mean() < 0.75 * lx[dark].mean()
            and abs(ly[other].mean() - lx[other].mean()) < 3
        ):
            return True
    return False


def _compact_big_change(x: np.ndarray, y: np.ndarray) -> bool:
    ch = _changed(x, y, tol=0)
    if ch.mean() < 0.05:
        return False
    y0, y1, x0, x1 = _bbox(ch)
    return bool(ch[y0 : y1 + 1, x0 : x1 + 1].mean() > 0.5)


def _leak(x: np.ndarray, y: np.ndarray) -> bool:
    delta = luma(y) - luma(x)
    if delta.min() < -1 or delta.mean() < 3:
        return False
    bands = _edge_bands(delta)
    opposite = {0: 1, 1: 0, 2: 3, 3: 2}
    best = int(np.argmax(bands))
    return bands[best] > 2 * bands[opposite[best]]


def _small_marks(x: np.ndarray, y: np.ndarray, max_frac: float, max_side: float) -> bool:
    ch = _changed(x, y)
    if not ch.any() or ch.mean() > max_frac:
        return False
    labels, n = ndimage.label(ch)
    for sl in ndimage.find_objects(labels):
        if max(sl[0].stop - sl[0].start, sl[1].stop - sl[1].start) > max_side * SIZE + 2:
            return False  # merged overlapping marks could exceed; seeds are fixed so it is stable
    return n >= 1


def _in_one_corner(mask: np.ndarray) -> bool:
    if not mask.any():
        return False
    k = int(0.2 * SIZE)
    corners = [mask[:k, :k], mask[:k, -k:], mask[-k:, :k], mask[-k:, -k:]]
    return any(c.sum() == mask.sum() for c in corners)


# The medical types' checks run on medical bases (tests/test_synth_medical.py).
CHECKS.update(MEDICAL_CHECKS)


# -- registry-wide contract ----------------------------------------------------------------------


def test_at_least_30_types_in_6_families() -> None:
    assert len(ALL_IDS) >= 30
    fams = {DIFFERENCES.get(t).family for t in ALL_IDS}
    assert fams == set(FAMILIES) and len(fams) >= 6
    for fam in FAMILIES:
        assert list_differences(fam), fam
    with pytest.raises(ValueError, match="unknown difference family"):
        list_differences("nope")


def test_lead_needed_ids_exist() -> None:
    for t in (
        "darker",
        "brighter",
        "blur",
        "noise",
        "grayscale",
        "jpeg",
        "frame",
        "vignette",
        "tiny_rectangles",
    ):
        assert t in DIFFERENCES


def test_every_type_has_a_behaviour_check() -> None:
    assert set(CHECKS) == set(ALL_IDS), set(ALL_IDS) ^ set(CHECKS)


@pytest.mark.parametrize("type_id", ALL_IDS)
def test_text_metadata(type_id: str) -> None:
    d = create_difference(type_id)
    assert d.type_id == d.id == type_id
    assert d.family in FAMILIES
    assert d.sentence.startswith("Set A ")
    assert len(d.paraphrases) >= 4
    assert len(set(d.paraphrases)) == len(d.paraphrases)
    assert d.sentence not in d.paraphrases
    assert all("set a" in p.lower() for p in d.paraphrases)
    assert d.phrase and len(d.phrase) < 40 and "set" not in d.phrase.lower().split()
    assert d.sentence_for("B").startswith("Set B ")
    for lo, hi in d.param_ranges.values():
        assert lo != hi
    desc = d.describe()
    assert desc["type_id"] == type_id and len(desc["paraphrases"]) >= 4


@pytest.mark.parametrize("type_id", ALL_IDS)
def test_reading_wordings_are_new_bare_per_image_phrases(type_id: str) -> None:
    from tellapart.models.text import parse_claim
    from tellapart.train.data import type_info

    d = create_difference(type_id)
    assert len(d.wordings) >= 8 and len(set(d.wordings)) == len(d.wordings)
    trained = {" ".join(p.lower().split()) for p in type_info(d, holdout_paraphrase=False).image_phrases}
    for w in d.wordings:
        # passed through parse_claim unchanged, so a claim "Set A images <w>" reads back to it
        assert parse_claim(f"Set A images {w}").phrase == w and w == w.strip().lower()
        assert "set a" not in w and "set b" not in w
        assert " ".join(w.split()) not in trained, f"{w!r} is a training phrase"


def test_reading_wordings_belong_to_one_type_each() -> None:
    owners: dict[str, str] = {}
    for t in ALL_IDS:
        for w in create_difference(t).wordings:
            assert w not in owners, f"{w!r} is a wording of {owners[w]} and of {t}"
            owners[w] = t


def test_sentences_are_distinct() -> None:
    sentences = [create_difference(t).sentence for t in ALL_IDS]
    assert len(set(sentences)) == len(sentences)


@pytest.mark.parametrize("type_id", ALL_IDS)
def test_changes_image_in_the_claimed_way(type_id: str) -> None:
    image_name, params, check = CHECKS[type_id]
    x = IMAGES[image_name]
    d = create_difference(type_id)
    y = d.apply(x, 1.0, np.random.default_rng(7), params)
    assert y.dtype == np.uint8 and y.shape == x.shape
    check(x, y)


@pytest.mark.parametrize("type_id", ALL_IDS)
def test_s_zero_is_a_noop(type_id: str) -> None:
    d = create_difference(type_id)
    for name in ("photo", "shapes"):
        x = IMAGES[name]
        y = d.apply(x, 0.0, np.random.default_rng(1))
        assert np.abs(y.astype(int) - x.astype(int)).mean() < 0.5, name


@pytest.mark.parametrize("type_id", ALL_IDS)
def test_shape_dtype_determinism_and_input_untouched(type_id: str) -> None:
    d = create_difference(type_id)
    for name in ("photo", "smooth"):
        x = IMAGES[name]
        before = x.copy()
        for s in (0.3, 1.0):
            y1 = d.apply(x, s, np.random.default_rng(123))
            y2 = d.apply(x, s, np.random.default_rng(123))
            assert y1.dtype == np.uint8 and y1.shape == x.shape
            assert np.array_equal(y1, y2)
        assert np.array_equal(x, before), "apply must not modify its input"
    # non-square and other sizes work too
    rect = np.ascontiguousarray(IMAGES["photo"][:, :48])
    assert d.apply(rect, 1.0, np.random.default_rng(0)).shape == rect.shape


@pytest.mark.parametrize("type_id", [t for t in ALL_IDS if not DIFFERENCES.get(t).binary])
def test_strength_grows_with_s(type_id: str) -> None:
    d = create_difference(type_id)
    x = IMAGES["photo"] if d.family not in ("overlay", "content", "spatial") else IMAGES["flat"]
    mads = []
    for s in (0.15, 1.0):
        vals = []
        for seed in range(4):
            y = d.apply(x, s, np.random.default_rng(seed))
            vals.append(np.abs(y.astype(int) - x.astype(int)).mean())
        mads.append(float(np.mean(vals)))
    assert mads[1] > mads[0] > 0 or (mads[1] > 0 and mads[0] == 0), mads


def test_explicit_params_override_draws() -> None:
    x = IMAGES["photo"]
    y = create_difference("darker").apply(x, 0.1, np.random.default_rng(0), {"factor": 0.6})
    assert np.abs(y.astype(float) - np.rint(x * 0.6)).max() <= 1
    assert abs(luma(y).mean() / luma(x).mean() - 0.6) < 0.01
    z = create_difference("brighter").apply(
        x, 1.0, np.random.default_rng(0), {"factor": 1.2, "mode": "gain"}
    )
    assert np.array_equal(z, np.clip(np.rint(x * 1.2), 0, 255).astype(np.uint8))


def test_variation_between_draws() -> None:
    """Nuisance parameters vary, so no single pixel pattern defines a type."""
    x = IMAGES["flat"]
    d = create_difference("tiny_rectangles")
    outs = [d.apply(x, 1.0, np.random.default_rng(s)) for s in range(6)]
    masks = [_changed(x, o) for o in outs]
    assert len({m.tobytes() for m in masks}) == 6
    colors = {tuple(o[m][0]) for o, m in zip(outs, masks, strict=True)}
    assert len(colors) >= 3


def test_bad_inputs_are_refused() -> None:
    d = create_difference("blur")
    with pytest.raises(ValueError, match="s must be in"):
        d.apply(IMAGES["photo"], 1.5, np.random.default_rng(0))
    with pytest.raises(TypeError, match="uint8"):
        d.apply(IMAGES["photo"].astype(np.float32), 0.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        d.apply(IMAGES["photo"][..., 0], 0.5, np.random.default_rng(0))
    with pytest.raises(KeyError, match="unknown difference type"):
        create_difference("nonexistent")


def test_swap_sets() -> None:
    assert (
        swap_sets("Set A images are darker than set B images")
        == "Set B images are darker than set A images"
    )


def test_opposites_are_mutual_and_change_the_same_property() -> None:
    with_opposite = [t for t in ALL_IDS if create_difference(t).opposite]
    assert {"darker", "brighter", "warmer", "cooler"} <= set(with_opposite)
    for t in with_opposite:
        d = create_difference(t)
        o = create_difference(d.opposite)
        assert o.opposite == t and o.name != t
        assert o.concept_key() == d.concept_key(), (t, d.opposite)
