"""Degradation differences: blur, noise, compression and quantisation artefacts.

Spatial magnitudes (blur radius, block size) scale with the image side relative to 128 px,
so one ``s`` means the same visible change at 64, 128 or 256 px.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from .differences import Difference, luma, register_difference, to_uint8


class _Degradation(Difference):
    family = "degradation"


def _scale(image: np.ndarray) -> float:
    return min(image.shape[0], image.shape[1]) / 128.0


@register_difference
class Blur(_Degradation):
    name = "blur"
    opposite = "sharpened"
    concept = "sharpness"
    sentence = "Set A images are blurrier than set B images"
    comparative = sentence
    paraphrases = (
        "Set A images are out of focus",
        "Set A images look soft and unsharp",
        "Set B images are sharper than set A images",
        "Set A pictures are blurred",
        "Fine detail is smeared out in set A images",
    )
    phrase = "blurry"
    wordings = (
        "fuzzy",
        "defocused",
        "soft-focus",
        "smudgy and indistinct",
        "have gaussian blur applied",
        "have soft, fuzzy edges everywhere",
        "smoothed by a low-pass filter",
        "low in sharpness",
        "show uniform defocus blur in all directions",
        "have reduced acutance",
        "have missed focus",
        "like the lens was badly focused",
        "smudged",
        "indistinct",
        "unfocused",
        "blurry-looking",
        "have soft focus",
        "have blurred details",
        "have fuzzy outlines",
        "have smoothed-out detail",
        "have a gaussian-blurred look",
        "have a box blur applied",
        "have a defocus blur",
        "have bokeh-like softness everywhere",
        "have attenuated high frequencies",
        "have ill-defined edges",
        "have blurred margins",
        "have mushy detail",
        "show geometric unsharpness",
        "like seen through frosted glass",
        "like a smudged camera lens",
        "like viewed by someone needing glasses",
    )
    param_ranges = {"sigma": (0.0, 2.6)}  # pixels at 128 px

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"kernel": str(rng.choice(["gaussian", "gaussian", "box", "disk"]))}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["sigma"]) <= 0.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        sigma = float(p["sigma"]) * _scale(image)
        if sigma <= 0:
            return image.copy()
        pil = Image.fromarray(image)
        if p["kernel"] == "box":
            # a box of radius r has std ~ r / sqrt(3)
            return np.asarray(pil.filter(ImageFilter.BoxBlur(sigma * math.sqrt(3.0)))).copy()
        if p["kernel"] == "disk":
            from scipy.signal import fftconvolve  # local: scipy.signal is slow to import

            r = max(1.0, sigma * 2.0)  # a uniform disk of radius r has std r / 2
            n = math.ceil(r)
            yy, xx = np.mgrid[-n : n + 1, -n : n + 1]
            k = (xx**2 + yy**2 <= r * r).astype(np.float32)
            k /= k.sum()
            f = np.pad(image.astype(np.float32), ((n, n), (n, n), (0, 0)), mode="reflect")
            return to_uint8(fftconvolve(f, k[..., None], mode="valid", axes=(0, 1)))
        return np.asarray(pil.filter(ImageFilter.GaussianBlur(sigma))).copy()


@register_difference
class MotionBlur(_Degradation):
    name = "motion_blur"
    concept = "sharpness"
    sentence = "Set A images show motion blur"
    comparative = "Set A images show stronger motion blur than set B images"
    paraphrases = (
        "Set A images are smeared in one direction",
        "Set A images look as if the camera moved",
        "Set A pictures have directional streaking blur",
        "Set A images suffer from camera shake",
    )
    phrase = "motion blur"
    wordings = (
        "streaky",
        "shaky",
        "have motion streaks",
        "blurred by movement",
        "have directional blur",
        "have a linear blur kernel",
        "taken with a moving camera",
        "have ghosted edges along one direction",
        "have panning blur",
        "blurred from a slow shutter speed",
        "streaked along a single angle",
        "have shake blur",
        "smeared",
        "jittery",
        "have streaks",
        "have camera shake",
        "have motion smear",
        "blurred by motion",
        "have a directional smear",
        "have a linear motion blur",
        "have ghost trails",
        "have streaked edges in one direction",
        "have smeared details along a line",
        "have shutter-drag blur",
        "have blur smeared along one axis",
        "have motion-induced blurring",
        "show motion artefact from patient movement",
        "taken while moving",
        "with a whooshing speed blur",
        "like shot from a moving car",
        "like the camera jerked during exposure",
        "like taken handheld at a slow shutter",
    )
    param_ranges = {"length": (1.0, 13.0)}  # pixels at 128 px

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"angle": float(rng.uniform(0, 180))}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["length"]) <= 1.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        length = max(1.0, float(p["length"]) * _scale(image))
        n = max(2, round(length))
        a = math.radians(float(p["angle"]))
        ts = np.linspace(-(length - 1) / 2, (length - 1) / 2, n)
        dx = np.rint(ts * math.cos(a)).astype(int)
        dy = np.rint(ts * math.sin(a)).astype(int)
        pad = int(max(np.abs(dx).max(), np.abs(dy).max()))
        h, w = image.shape[:2]
        src = np.pad(image.astype(np.float32), ((pad, pad), (pad, pad), (0, 0)), mode="edge")
        acc = np.zeros(image.shape, np.float32)
        for x, y in zip(dx, dy, strict=True):
            acc += src[pad + y : pad + y + h, pad + x : pad + x + w]
        return to_uint8(acc / n)


@register_difference
class Noise(_Degradation):
    name = "noise"
    concept = "noise"
    sentence = "Set A images are noisier than set B images"
    comparative = sentence
    paraphrases = (
        "Set A images are grainy",
        "Set A images contain random pixel noise",
        "Set B images are cleaner than set A images",
        "Set A pictures look speckled with sensor noise",
    )
    phrase = "noisy"
    wordings = (
        "staticky",
        "have film grain",
        "have gaussian noise",
        "have high iso noise",
        "have quantum mottle",
        "have a fine random grain all over",
        "have chroma noise",
        "have a low signal-to-noise ratio",
        "have a tv-static texture",
        "have mottled noise across the whole picture",
        "have additive random noise",
        "have a sandy, grainy texture",
        "have grain",
        "have sensor noise",
        "have random noise",
        "have digital noise",
        "have luminance noise",
        "have colour noise",
        "have visible grain all over",
        "have a snowy texture",
        "have photon shot noise",
        "have additive white gaussian noise",
        "have fine-grained static",
        "have random per-pixel variation",
        "have a film-grain overlay",
        "have noisy pixels everywhere",
        "have a mottled appearance",
        "covered in fine noise",
        "shot at a very high iso",
        "show quantum noise",
        "show low-dose noise",
        "have a noisy, low-dose look",
    )
    param_ranges = {"sigma": (0.0, 30.0)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"kind": str(rng.choice(["color", "color", "luma", "shot"]))}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["sigma"]) <= 0.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        sigma = float(p["sigma"])
        f = image.astype(np.float32)
        h, w = image.shape[:2]
        if p["kind"] == "luma":
            n = rng.standard_normal((h, w, 1), dtype=np.float32) * sigma
        elif p["kind"] == "shot":
            # signal-dependent: brighter pixels get more noise, like photon noise
            scale = np.sqrt(np.maximum(f, 4.0) / 128.0)
            n = rng.standard_normal(f.shape, dtype=np.float32) * sigma * scale
        else:
            n = rng.standard_normal(f.shape, dtype=np.float32) * sigma
        return to_uint8(f + n)


@register_difference
class SaltPepper(_Degradation):
    name = "salt_pepper"
    concept = "noise"
    sentence = "Set A images have salt-and-pepper noise"
    comparative = "Set A images have more salt-and-pepper noise than set B images"
    paraphrases = (
        "Set A images are sprinkled with isolated black and white pixels",
        "Set A images contain impulse noise",
        "Set A pictures show scattered dead and hot pixels",
        "Random single-pixel specks appear in set A images",
    )
    phrase = "salt-and-pepper specks"
    wordings = (
        "peppered with black and white dots",
        "have dead and stuck pixels",
        "have sparse white and black specks",
        "have isolated saturated pixels",
        "have scattered pixel dropouts",
        "have a sprinkling of pure white pixels",
        "have bit-error speckles",
        "have sparse impulse noise",
        "have random pixels set to black or white",
        "covered in tiny white and black flecks",
        "have spike noise",
        "have binary outlier pixels",
        "flecked with black and white",
        "have salt-and-pepper pixels",
        "have scattered single white pixels",
        "have specks of pure black and white pixels",
        "have hot pixels",
        "have pepper-like dark specks",
        "have random pixel outliers",
        "have corrupted pixels",
        "have scattered bad pixels",
        "have dropout pixels",
        "have isolated pixel spikes",
        "have random bit flips",
        "have scattered stuck pixels",
        "have single-pixel glitches",
        "have pinpoint black and white dots",
        "have sparse speck noise",
        "have sprinkled pixel defects",
        "have transmission-error specks",
        "show dead detector elements",
        "show bad detector pixels",
    )
    param_ranges = {"fraction": (0.0, 0.06)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"kind": str(rng.choice(["bw", "bw", "white", "color"]))}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["fraction"]) <= 0.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = image.shape[:2]
        hit = rng.random((h, w)) < float(p["fraction"])
        out = image.copy()
        k = int(hit.sum())
        if p["kind"] == "white":
            vals = np.full((k, 3), 255, np.uint8)
        elif p["kind"] == "color":
            vals = rng.choice(np.array([0, 255], np.uint8), size=(k, 3))
        else:
            vals = np.repeat(rng.choice(np.array([0, 255], np.uint8), size=(k, 1)), 3, axis=1)
        out[hit] = vals
        return out


@register_difference
class Jpeg(_Degradation):
    name = "jpeg"
    concept = "compression"
    sentence = "Set A images show JPEG compression artefacts"
    comparative = "Set A images are more heavily JPEG-compressed than set B images"
    paraphrases = (
        "Set A images are heavily compressed",
        "Set A images have blocky compression artefacts",
        "Set A pictures look like low-quality JPEGs",
        "Set A images show 8x8 blocking and ringing",
    )
    phrase = "jpeg artifacts"
    wordings = (
        "over-compressed",
        "have compression artifacts",
        "lossy and artefacted",
        "have mosquito noise around edges",
        "have macroblocking",
        "saved at low jpeg quality",
        "have codec artefacts",
        "have ringing near edges",
        "have colour bleeding from chroma subsampling",
        "have dct block artefacts",
        "like a web image re-saved many times",
        "have a blotchy, low-bitrate look",
        "jpeg-compressed",
        "artefacted",
        "have blocky artefacts",
        "have blocking artefacts",
        "have visible 8x8 blocks",
        "have jpeg blockiness",
        "have lossy compression damage",
        "have compression noise",
        "have blotchy compression blocks",
        "have a crushed-bitrate look",
        "have artefacts from aggressive compression",
        "have low jpeg quality",
        "have quantised dct coefficients",
        "have chroma subsampling smears",
        "have blocky gradients from compression",
        "show lossy compression artefacts",
        "like a low-quality jpeg",
        "like a heavily compressed web thumbnail",
        "like a meme saved too many times",
        "like a bad video stream frame",
    )
    param_ranges = {"quality": (95.0, 6.0)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"subsampling": int(rng.choice([0, 2, 2]))}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        buf = io.BytesIO()
        q = int(np.clip(round(float(p["quality"])), 1, 100))
        Image.fromarray(image).save(
            buf, format="JPEG", quality=q, subsampling=int(p["subsampling"])
        )
        buf.seek(0)
        with Image.open(buf) as im:
            return np.asarray(im.convert("RGB")).copy()


@register_difference
class Pixelated(_Degradation):
    name = "pixelated"
    concept = "resolution"
    sentence = "Set A images are pixelated"
    comparative = "Set A images are more pixelated than set B images"
    paraphrases = (
        "Set A images look blocky, made of large square pixels",
        "Set A images have low resolution blown up",
        "Set A pictures are mosaic-like",
        "Set A images show coarse square pixel blocks",
    )
    phrase = "pixelated"
    wordings = (
        "pixelly",
        "low-res",
        "have big visible pixels",
        "have a mosaic effect",
        "have chunky square pixels",
        "upscaled with nearest-neighbour interpolation",
        "have jagged, stair-stepped edges",
        "like 8-bit video game graphics",
        "downsampled then enlarged",
        "have large uniform pixel squares",
        "have reduced spatial resolution",
        "have a retro pixel-art look",
        "pixellated",
        "mosaicked",
        "low-resolution",
        "have giant pixels",
        "have a pixelation filter applied",
        "have oversized square pixels",
        "have blocky square pixels",
        "have nearest-neighbour upscaling",
        "have visible pixel blocks",
        "have staircase edges",
        "have stair-stepping artefacts",
        "have a block-averaged look",
        "have low matrix resolution",
        "show a low acquisition matrix",
        "made of big coloured squares",
        "like an enlarged thumbnail",
        "like an old video game sprite",
        "like zoomed-in digital pixels",
        "like a censored tv mosaic over everything",
        "have lego-like pixel blocks",
    )
    param_ranges = {"block": (1.0, 10.0)}  # pixels at 128 px

    def is_noop(self, p: dict[str, Any]) -> bool:
        return round(float(p["block"])) <= 1

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = image.shape[:2]
        b = max(1, round(float(p["block"]) * _scale(image)))
        if b <= 1:
            return image.copy()
        small = Image.fromarray(image).resize(
            (max(1, w // b), max(1, h // b)), Image.Resampling.BOX
        )
        return np.asarray(small.resize((w, h), Image.Resampling.NEAREST)).copy()


@register_difference
class Posterized(_Degradation):
    name = "posterized"
    concept = "quantization"
    sentence = "Set A images are posterized, with few distinct colour levels"
    comparative = "Set A images are more posterized than set B images"
    paraphrases = (
        "Set A images show colour banding",
        "Set A images have flat bands instead of smooth gradients",
        "Set A pictures use only a few tones",
        "Set A images look quantised to a small palette",
    )
    phrase = "posterized"
    wordings = (
        "banded",
        "quantised",
        "have a reduced colour palette",
        "have a limited number of tones",
        "have stepped gradients",
        "have false contours in smooth areas",
        "have low bit depth",
        "like a screen print",
        "cartoon-like with flat areas of colour",
        "have abrupt tonal steps",
        "have a reduced number of intensity levels",
        "have poster-like blocks of flat colour",
        "posterised",
        "flat-shaded",
        "colour-banded",
        "have banding",
        "have visible colour bands",
        "have contour bands",
        "have few tone levels",
        "have a limited palette",
        "have a cel-shaded look",
        "have reduced bit depth",
        "have quantisation steps",
        "have coarse intensity quantisation",
        "have terraced gradients",
        "have flat patches of colour instead of shading",
        "have 4-bit colour",
        "have coarse grey-level quantisation",
        "show contouring artefacts",
        "show a small number of grey levels",
        "like a pop-art print",
        "like a gif with a tiny palette",
    )
    param_ranges = {"levels": (256.0, 4.0)}

    def magnitude(self, s: float) -> dict[str, Any]:
        # geometric in s: halving the number of levels is one perceptual step
        return {"levels": float(round(math.exp(math.log(256) * (1 - s) + math.log(4) * s)))}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["levels"]) >= 256

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        n = max(2, int(p["levels"]))
        f = image.astype(np.float32)
        q = np.rint(f / 255.0 * (n - 1)) * (255.0 / (n - 1))
        return to_uint8(q)


@register_difference
class Sharpened(_Degradation):
    name = "sharpened"
    opposite = "blur"
    concept = "sharpness"
    sentence = "Set A images are over-sharpened"
    comparative = "Set A images are more sharpened than set B images"
    paraphrases = (
        "Set A images have exaggerated edges",
        "Set A images show sharpening halos",
        "Set A pictures look crisp with harsh edges",
        "Edges are artificially enhanced in set A images",
    )
    phrase = "oversharpened"
    wordings = (
        "crunchy",
        "too crisp",
        "have haloed edges",
        "have an unsharp mask applied",
        "have harsh, gritty detail",
        "have bright and dark outlines along edges",
        "have exaggerated micro-contrast",
        "have a brittle, overprocessed look",
        "have strong edge enhancement",
        "have a heavy sharpening filter applied",
        "have unnaturally high acutance",
        "have accentuated texture and outlines",
        "harshly sharpened",
        "sharpening-heavy",
        "have halos around edges",
        "have sharpening artefacts",
        "have oversharpened edges",
        "have unnaturally crisp edges",
        "have accentuated edges",
        "have an edge-enhancement filter",
        "have a high-pass boost",
        "have amplified fine detail",
        "have exaggerated texture",
        "have a hyper-detailed, brittle look",
        "have the clarity slider pushed too far",
        "have high-frequency emphasis",
        "have enhanced edges with halos",
        "have a bone-kernel look",
        "show edge-enhancement artefacts",
        "reconstructed with a sharp kernel",
        "like an overprocessed phone photo",
        "with edges etched too hard",
    )
    param_ranges = {"percent": (0.0, 320.0)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"radius": float(rng.uniform(0.8, 2.0))}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["percent"]) <= 0.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        f = ImageFilter.UnsharpMask(
            radius=float(p["radius"]) * _scale(image),
            percent=round(float(p["percent"])),
            threshold=0,
        )
        return np.asarray(Image.fromarray(image).filter(f)).copy()


def laplacian_variance(image: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of luma: a standard sharpness score."""
    g = luma(image)
    lap = -4 * g[1:-1, 1:-1] + g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:]
    return float(lap.var())
