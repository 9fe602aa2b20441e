"""The difference-type plug-in kind: one small class per way two image sets can differ.

A difference type maps one knob ``s`` in [0, 1] to a magnitude (``s = 0`` leaves the image
unchanged or nearly, ``s = 1`` is the strongest version) and draws its nuisance parameters
(colours, positions, kernel kinds...) at random per image, so that a model trained on the
synthetic tasks learns the concept ("contains tiny rectangles") rather than one pixel pattern.

Adding a type is one class::

    @register_difference
    class Darker(Difference):
        name = "darker"
        family = "photometric"
        sentence = "Set A images are darker than set B images"
        paraphrases = (...)          # at least four
        phrase = "darker"
        param_ranges = {"factor": (1.0, 0.45)}   # value at s = 0, value at s = 1

        def render(self, image, p, rng):
            ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from ..registry import Registry
from ..types import swap_sets  # noqa: F401  (re-exported: scripts import it from here)

FAMILIES: tuple[str, ...] = (
    "content",
    "geometric",
    "photometric",
    "spatial",
    "overlay",
    "degradation",
)
"""Known families, in the order their members are applied to one image.

Content and geometry come first (they move what later overlays would mark), degradations
last (like a camera/codec pipeline), so a blurred overlay is blurred and a flipped corner
marker is not: the order keeps each difference's sentence true of the final image.
"""


class Difference:
    """Base class of difference types.

    Class attributes
    ----------------
    name : str
        Registry id ("tiny_rectangles"). Also available as ``type_id``.
    family : str
        One of :data:`FAMILIES`.
    sentence : str
        Canonical sentence about set A ("Set A images contain tiny rectangles").
    paraphrases : tuple of str
        At least four other wordings of ``sentence`` (also about set A).
    phrase : str
        Short per-image phrase ("tiny rectangles") for image-level training.
    wordings : tuple of str
        More per-image phrases that mean this difference ("have a few small boxes drawn on
        them"), in the form :func:`tellapart.models.text.parse_claim` leaves a claim. Full
        training does not use them; the text stage (:mod:`tellapart.train.text_stage`) trains
        the image-text scorer's text adapter on them, and the learned scorer compares a user's
        wording with them and with the trained phrases to decide which trained detector the
        wording names (:func:`tellapart.models.reading.read_as_trained`). Adding wordings
        helps reading at once; the text stage (38 s on 2 cores) makes the scorer use them.
    param_ranges : dict of str -> (float, float)
        Magnitude parameters, each the value at ``s = 0`` and at ``s = 1``; linear in
        between unless :meth:`magnitude` is overridden.
    concept : str
        Key shared by types that must not be combined in one task (e.g. ``brighter`` and
        ``darker`` are both "brightness"); defaults to ``name``.
    opposite : str
        The type that changes the same property the other way (``brighter`` for ``darker``),
        or "". Wordings of the two sit close together in sentence-embedding space ("exposure
        turned up/down"), so a free wording near either is only tested when the text side
        tells which of the two it means (:func:`tellapart.models.reading.read_as_trained`).
    binary : bool
        True when the change has no partial form (a mirror flip): any ``s > 0`` applies it
        fully and ``s = 0`` is a no-op.
    gradable : bool
        True when "A is more X than B" makes sense (both sets changed, A more).
    sampled : bool
        False for types that suites and training streams must not draw at random because
        a set of images cannot show them (a left-right mirror of scenes with no preferred
        handedness); they stay available to :func:`make_task`.
    domain : str
        ``"general"`` (photographs and procedural scenes) or ``"medical"``
        (:mod:`tellapart.edits.medical`). Suites and training streams draw the general
        domain unless asked for another (:func:`tellapart.synth.suites.sampled_types`).
    base_kinds : tuple of str
        Base kinds the type makes sense on (a ventricle edit needs a brain slice); empty:
        any base.
    """

    name: ClassVar[str]
    family: ClassVar[str]
    sentence: ClassVar[str]
    paraphrases: ClassVar[tuple[str, ...]]
    phrase: ClassVar[str]
    wordings: ClassVar[tuple[str, ...]] = ()
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {}
    concept: ClassVar[str] = ""
    opposite: ClassVar[str] = ""
    binary: ClassVar[bool] = False
    gradable: ClassVar[bool] = True
    sampled: ClassVar[bool] = True  # drawn at random by suites and training streams
    domain: ClassVar[str] = "general"
    base_kinds: ClassVar[tuple[str, ...]] = ()
    comparative: ClassVar[str] = ""  # graded wording, "Set A images are blurrier than set B images"

    @property
    def type_id(self) -> str:
        return self.name

    @property
    def id(self) -> str:  # noqa: A003 - the issue calls it "id"
        return self.name

    @classmethod
    def concept_key(cls) -> str:
        return cls.concept or cls.name

    # -- magnitude -------------------------------------------------------------------------
    def magnitude(self, s: float) -> dict[str, Any]:
        """Deterministic magnitude parameters for knob ``s`` (no randomness here)."""
        s = check_s(s)
        return {k: float(lo + (hi - lo) * s) for k, (lo, hi) in self.param_ranges.items()}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        """Random nuisance parameters for one image (colours, positions, kernel kinds)."""
        return {}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        """Apply the change with fully resolved parameters ``p``; return uint8 (H, W, 3)."""
        raise NotImplementedError

    def is_noop(self, p: dict[str, Any]) -> bool:
        """True when ``p`` describes no change (used to skip work at ``s = 0``)."""
        return bool(p.get("s", 1.0) <= 0.0)

    # -- public ----------------------------------------------------------------------------
    def resolve(
        self,
        image: np.ndarray,
        s: float,
        rng: np.random.Generator,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """All parameters for one application: magnitude(s), then random draws, then ``params``."""
        p: dict[str, Any] = {"s": check_s(s)}
        p.update(self.magnitude(s))
        p.update(self.vary(image, s, rng))
        if params:
            p.update(params)
        return p

    def apply(
        self,
        image: np.ndarray,
        s: float,
        rng: np.random.Generator,
        params: Mapping[str, Any] | None = None,
    ) -> np.ndarray:
        """Return a changed copy of ``image``.

        Parameters
        ----------
        image : np.ndarray
            uint8 (H, W, 3).
        s : float
            Knob in [0, 1]; 0 leaves the image unchanged (or nearly), 1 is strongest.
        rng : np.random.Generator
            Source of the per-image random choices.
        params : dict, optional
            Explicit parameters overriding both the ``s`` mapping and the random draws,
            e.g. ``{"factor": 0.6}`` for ``darker``.

        Returns
        -------
        np.ndarray
            uint8 (H, W, 3), same shape as ``image``.
        """
        check_image(image)
        p = self.resolve(image, s, rng, params)
        if not params and self.is_noop(p):
            return image.copy()
        out = self.render(image, p, rng)
        if out.shape != image.shape or out.dtype != np.uint8:
            raise RuntimeError(
                f"difference {self.name!r} returned {out.dtype} {out.shape}, "
                f"expected uint8 {image.shape}"
            )
        return out

    def sentence_for(self, target: str = "A", graded: bool = False) -> str:
        """The canonical sentence about set ``target`` (graded wording when ``graded``)."""
        text = self.comparative if graded and self.comparative else self.sentence
        return swap_sets(text) if target == "B" else text

    def paraphrases_for(self, target: str = "A") -> list[str]:
        return [swap_sets(t) if target == "B" else t for t in self.paraphrases]

    def describe(self) -> dict[str, Any]:
        """Static description: id, family, sentence, paraphrases, phrase, parameter ranges."""
        return {
            "type_id": self.name,
            "family": self.family,
            "sentence": self.sentence,
            "paraphrases": list(self.paraphrases),
            "phrase": self.phrase,
            "param_ranges": {k: list(v) for k, v in self.param_ranges.items()},
            "concept": self.concept_key(),
            "binary": self.binary,
            "gradable": self.gradable,
            "sampled": self.sampled,
            "domain": self.domain,
        }


DIFFERENCES: Registry[Difference] = Registry("difference type")
register_difference = DIFFERENCES.register


def list_differences(family: str | None = None) -> list[str]:
    """Registered difference ids (sorted), optionally only those of one family."""
    if family is None:
        return DIFFERENCES.list()
    if family not in FAMILIES:
        raise ValueError(f"unknown difference family {family!r}; known: {', '.join(FAMILIES)}")
    return [n for n in DIFFERENCES.list() if DIFFERENCES.get(n).family == family]


def create_difference(type_id: str) -> Difference:
    """An instance of the difference type registered as ``type_id``."""
    return DIFFERENCES.create(type_id)


# -- helpers shared by the implementations ----------------------------------------------------

def check_s(s: float) -> float:
    s = float(s)
    if not 0.0 <= s <= 1.0 or s != s:
        raise ValueError(f"difference strength s must be in [0, 1], got {s}")
    return s


def check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise TypeError(
            f"image must be a uint8 numpy array, got {type(image).__name__} "
            f"{getattr(image, 'dtype', '')}"
        )
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must have shape (H, W, 3), got {image.shape}")


def to_uint8(x: np.ndarray) -> np.ndarray:
    """Round and clip a float image to uint8."""
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def mix_channels(image: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``out[..., c] = sum_k m[c, k] * image[..., k]`` as float32 (H, W, 3).

    Nine scaled adds of whole planes: several times faster than ``pixels @ m.T``, whose
    inner dimension of 3 defeats BLAS.
    """
    f = image.astype(np.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    out = np.empty(f.shape, np.float32)
    for c in range(3):
        out[..., c] = float(m[c, 0]) * r + float(m[c, 1]) * g + float(m[c, 2]) * b
    return out


def luma(image: np.ndarray) -> np.ndarray:
    """(H, W) float32 Rec. 601 luma in [0, 255]."""
    f = image.astype(np.float32)
    return 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]


def random_color(rng: np.random.Generator, avoid: np.ndarray | None = None) -> tuple[int, int, int]:
    """A saturated-ish random colour; when ``avoid`` (an RGB mean) is given, one far from it."""
    best: tuple[int, int, int] = (255, 0, 0)
    best_d = -1.0
    for _ in range(4 if avoid is not None else 1):
        hue = rng.random()
        sat = rng.uniform(0.5, 1.0)
        val = rng.uniform(0.55, 1.0) if rng.random() < 0.8 else rng.uniform(0.0, 0.25)
        c = hsv_to_rgb_tuple(hue, sat, val)
        d = float(np.abs(np.asarray(c, float) - avoid).sum()) if avoid is not None else 0.0
        if d > best_d:
            best, best_d = c, d
    return best


def hsv_to_rgb_tuple(h: float, s: float, v: float) -> tuple[int, int, int]:
    i = int(h * 6.0) % 6
    f = h * 6.0 - int(h * 6.0)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    r, g, b = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return int(r * 255), int(g * 255), int(b * 255)


def blend(image: np.ndarray, overlay: np.ndarray, alpha: np.ndarray | float) -> np.ndarray:
    """``image * (1 - alpha) + overlay * alpha`` with broadcasting, as uint8."""
    a = np.asarray(alpha, dtype=np.float32)
    if a.ndim == 2:
        a = a[..., None]
    out = image.astype(np.float32) * (1.0 - a) + overlay.astype(np.float32) * a
    return to_uint8(out)
