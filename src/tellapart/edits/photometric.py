"""Photometric differences: brightness, contrast, saturation, hue and colour changes.

Directional pairs (``brighter``/``darker``, ``warmer``/``cooler``...) are separate ids and
share a ``concept`` so a task never asks for both at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .differences import Difference, luma, mix_channels, register_difference, to_uint8


class _Photometric(Difference):
    family = "photometric"


class _Brightness(_Photometric):
    concept = "brightness"

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"mode": str(rng.choice(["gain", "gain", "gamma", "offset"]))}

    def resolve(
        self,
        image: np.ndarray,
        s: float,
        rng: np.random.Generator,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        p = super().resolve(image, s, rng, params)
        if params and "factor" in params and "mode" not in params:
            p["mode"] = "gain"  # an explicit factor means exactly "multiply by factor"
        return p

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        f = image.astype(np.float32)
        k = float(p["factor"])
        if p["mode"] == "gain":
            return to_uint8(f * k)
        if p["mode"] == "gamma":
            return to_uint8(255.0 * (f / 255.0) ** (1.0 / k))
        return to_uint8(f + (k - 1.0) * 110.0)


@register_difference
class Brighter(_Brightness):
    name = "brighter"
    opposite = "darker"
    sentence = "Set A images are brighter than set B images"
    comparative = sentence
    paraphrases = (
        "Set A images are lighter",
        "Set A pictures look brighter overall",
        "Set B images are darker than set A images",
        "Set A images have higher brightness",
        "Set A photos are more exposed",
    )
    phrase = "bright"
    wordings = (
        "overexposed",
        "brightened",
        "brightly lit",
        "luminous",
        "have high overall brightness",
        "have raised exposure across the whole frame",
        "with the brightness turned up",
        "have elevated pixel intensities",
        "have a high mean luminance",
        "have blown-out highlights",
        "lit up as if exposed too long",
        "light-toned and bright throughout",
        "extra bright",
        "too bright",
        "overly bright",
        "lighter than normal",
        "brighter than usual",
        "light and airy",
        "flooded with light everywhere",
        "brightened all over",
        "diffusely hyperintense",
        "have boosted exposure",
        "have positive exposure compensation",
        "have a high-key look",
        "have a raised gamma",
        "have an upward brightness offset",
        "have a histogram shifted toward white",
        "have a higher average intensity",
        "have elevated signal intensity throughout",
        "have the display brightness raised",
        "like shot on a very sunny day",
        "like the exposure dial was turned up",
    )
    param_ranges = {"factor": (1.0, 1.7)}


@register_difference
class Darker(_Brightness):
    name = "darker"
    opposite = "brighter"
    sentence = "Set A images are darker than set B images"
    comparative = sentence
    paraphrases = (
        "Set A images are dimmer",
        "Set A pictures look darker overall",
        "Set B images are brighter than set A images",
        "Set A images have lower brightness",
        "Set A photos are underexposed",
    )
    phrase = "dark"
    wordings = (
        "dim",
        "murky",
        "too dark",
        "poorly lit",
        "have low brightness",
        "gloomy and dark",
        "shot in low light",
        "have deep shadows across the whole frame",
        "with the brightness turned down",
        "uniformly darkened from edge to edge",
        "have a low mean luminance",
        "have reduced pixel intensities",
        "darker than usual",
        "dimly lit",
        "shadowy",
        "dusky",
        "underlit",
        "too dim",
        "sombre and dim",
        "darkened all over",
        "diffusely hypointense",
        "have negative exposure compensation",
        "have a low-key look",
        "have a lowered gamma",
        "have a downward brightness offset",
        "have a histogram shifted toward black",
        "have a lower average intensity",
        "have reduced signal intensity throughout",
        "have the display brightness lowered",
        "like shot at dusk",
        "like the exposure dial was turned down",
        "shot with too little light",
    )
    param_ranges = {"factor": (1.0, 0.45)}


class _Contrast(_Photometric):
    concept = "contrast"

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"pivot": str(rng.choice(["mean", "mid"]))}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        f = image.astype(np.float32)
        pivot = float(luma(image).mean()) if p["pivot"] == "mean" else 127.5
        return to_uint8(pivot + (f - pivot) * float(p["contrast"]))


@register_difference
class HigherContrast(_Contrast):
    name = "higher_contrast"
    opposite = "lower_contrast"
    sentence = "Set A images have higher contrast than set B images"
    comparative = sentence
    paraphrases = (
        "Set A images are more contrasty",
        "Set A pictures have stronger contrast",
        "Set B images have lower contrast than set A images",
        "Set A images show punchier darks and lights",
    )
    phrase = "high contrast"
    wordings = (
        "contrasty",
        "punchy",
        "stark",
        "have strong contrast",
        "have boosted contrast",
        "with the contrast turned up",
        "have deep blacks and bright whites",
        "have crushed shadows and clipped highlights",
        "have a wide tonal range",
        "have a steep tone curve",
        "have harsh separation between lights and darks",
        "have very dark darks and very light lights",
        "high-contrast",
        "dramatic-looking",
        "bold and punchy",
        "heavy on contrast",
        "have intense contrast",
        "have exaggerated contrast",
        "have amplified contrast",
        "have a contrast boost applied",
        "have an s-curve applied",
        "have a strong s-shaped tone curve",
        "have stretched tonal levels",
        "have a histogram spread out to both ends",
        "have clipped blacks and whites",
        "have inky blacks and brilliant whites",
        "have strong grey-scale contrast",
        "have a high rms contrast",
        "have high tonal separation",
        "have a large gap between lights and darks",
        "viewed with a narrow window width",
        "like a hard-lit graphic print",
    )
    param_ranges = {"contrast": (1.0, 1.9)}


@register_difference
class LowerContrast(_Contrast):
    name = "lower_contrast"
    opposite = "higher_contrast"
    sentence = "Set A images have lower contrast than set B images"
    comparative = sentence
    paraphrases = (
        "Set A images look flat",
        "Set A pictures have weaker contrast",
        "Set B images have higher contrast than set A images",
        "Set A images are low in contrast",
    )
    phrase = "low contrast"
    wordings = (
        "muddy",
        "dull and flat",
        "have reduced contrast",
        "have weak tonal contrast",
        "with the contrast turned down",
        "have a compressed tonal range",
        "have a narrow dynamic range",
        "have everything in murky midtones",
        "have a shallow tone curve",
        "have darks and lights squeezed toward middle grey",
        "have a small spread of pixel intensities",
        "have shallow contrast",
        "low-contrast",
        "flat-toned",
        "lifeless and flat",
        "have flat contrast",
        "have muted contrast",
        "have soft contrast",
        "have weak contrast",
        "have diminished contrast",
        "have a contrast reduction applied",
        "have a flattened tone curve",
        "have compressed tones",
        "have a histogram bunched in the middle",
        "have poor tonal separation",
        "have a low rms contrast",
        "have low grey-scale contrast",
        "have a dull, even tonality",
        "have the contrast dialled back",
        "have lights and darks pulled toward the mean",
        "viewed with a wide window width",
        "like an overcast, flat-light scene",
    )
    param_ranges = {"contrast": (1.0, 0.35)}


@register_difference
class Faded(_Photometric):
    name = "faded"
    concept = "contrast"
    sentence = "Set A images look faded and washed out"
    comparative = "Set A images look more faded than set B images"
    paraphrases = (
        "Set A images are washed out",
        "Set A pictures look faded, with milky blacks",
        "Set A images have lifted, greyish shadows",
        "Set A photos look bleached",
    )
    phrase = "faded"
    wordings = (
        "hazy",
        "milky",
        "pale and foggy",
        "have lifted blacks",
        "have a whitish haze over them",
        "covered by a light grey veil",
        "have a matte film look",
        "sun-faded like an old poster",
        "like a print left too long in the sun",
        "have shadows raised to light grey",
        "overlaid with a pale wash",
        "have lightened, chalky tones",
        "washed-out",
        "foggy",
        "misty",
        "chalky",
        "sun-bleached",
        "blended with a light grey haze",
        "have a milky veil",
        "have a foggy white overlay",
        "have raised black levels",
        "have a faded film look",
        "have a light haze over everything",
        "have greyed, lifted shadows",
        "have a pastel wash",
        "have a matte, lifted-black finish",
        "have a white fog layer blended in",
        "have veiling glare",
        "have a dusty, faded appearance",
        "like an old faded polaroid",
        "like viewed through fog",
        "like a faded print",
    )
    param_ranges = {"amount": (0.0, 0.6)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        g = float(rng.uniform(185, 235))
        tint = rng.uniform(-12, 12, 3)
        return {"haze": [float(g + t) for t in tint]}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        a = float(p["amount"])
        haze = np.asarray(p["haze"], np.float32)
        return to_uint8(image.astype(np.float32) * (1 - a) + haze * a)


class _Saturation(_Photometric):
    concept = "saturation"

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        f = image.astype(np.float32)
        g = luma(image)[..., None]
        return to_uint8(g + (f - g) * float(p["saturation"]))


@register_difference
class MoreSaturated(_Saturation):
    name = "more_saturated"
    opposite = "less_saturated"
    sentence = "Set A images are more saturated than set B images"
    comparative = sentence
    paraphrases = (
        "Set A images have more vivid colours",
        "Colours are stronger in set A images",
        "Set B images are less colourful than set A images",
        "Set A pictures look more colourful",
    )
    phrase = "vivid colors"
    wordings = (
        "vibrant",
        "oversaturated",
        "vivid",
        "have intense colours",
        "have boosted saturation",
        "with the saturation turned up",
        "rich in colour",
        "have garish, overly strong colours",
        "have high chroma",
        "have neon-bright colours",
        "have very saturated hues",
        "very colourful",
        "saturated",
        "colour-boosted",
        "supersaturated",
        "have vivid, intense hues",
        "have over-the-top colours",
        "have cartoonish colours",
        "have deep, rich colours",
        "have a vibrance boost",
        "have increased chroma",
        "have amplified saturation",
        "have strong colour saturation",
        "have technicolor colours",
        "have candy-coloured hues",
        "have electric colours",
        "have bold, loud colours",
        "have colours pushed to the max",
        "have a saturation boost applied",
        "have high colourfulness",
        "have eye-popping colour",
        "like velvia slide film",
    )
    param_ranges = {"saturation": (1.0, 2.3)}


@register_difference
class LessSaturated(_Saturation):
    name = "less_saturated"
    opposite = "more_saturated"
    sentence = "Set A images are less saturated than set B images"
    comparative = sentence
    paraphrases = (
        "Set A images have muted colours",
        "Colours are weaker in set A images",
        "Set B images are more colourful than set A images",
        "Set A pictures look desaturated",
    )
    phrase = "muted colors"
    wordings = (
        "undersaturated",
        "drab",
        "have dull colours",
        "have subdued colours",
        "with the saturation turned down",
        "have low saturation",
        "have low chroma",
        "have toned-down, greyish colours",
        "have colours partly drained toward grey",
        "nearly colourless with a hint of colour left",
        "have weak, understated hues",
        "somewhat desaturated",
        "muted",
        "subdued",
        "low-saturation",
        "have faint colours",
        "have muted, greyish hues",
        "have weak colour",
        "have softened colours",
        "have reduced chroma",
        "have a saturation cut",
        "have partially desaturated colours",
        "have a slightly desaturated look",
        "have a dusty, muted palette",
        "have colours dialled down",
        "have understated, greyed hues",
        "have low colourfulness",
        "have toned-down saturation",
        "have a restrained colour palette",
        "have colours that lean toward grey",
        "have only faint traces of colour",
        "like a muted film stock",
    )
    param_ranges = {"saturation": (1.0, 0.3)}


@register_difference
class HueShift(_Photometric):
    name = "hue_shift"
    concept = "hue"
    sentence = "Set A images have shifted hues compared with set B images"
    comparative = "Set A images have more strongly shifted hues than set B images"
    paraphrases = (
        "Colours in set A images are rotated to different hues",
        "Set A images show unnatural, hue-shifted colours",
        "Set A pictures have their colours swapped around the colour wheel",
        "The hues of set A images are off",
    )
    phrase = "shifted hues"
    wordings = (
        "have unnatural colours",
        "have false colours",
        "have wrong colours like green skin or purple grass",
        "have the hue channel rotated",
        "have hue rotation applied",
        "psychedelic, with swapped colours",
        "have colours mapped to the wrong hues",
        "have strange, alien colour schemes",
        "have a rotated colour palette",
        "have a hue offset with brightness kept the same",
        "with every colour turned into a different hue",
        "have weird, off hues",
        "colour-shifted",
        "hue-rotated",
        "off-colour",
        "have scrambled colours",
        "have bizarre colours",
        "have rotated hues",
        "have colours cycled around the wheel",
        "have a hue rotation filter",
        "have mismatched colours",
        "have surreal colour swaps",
        "have colours changed to other hues",
        "have blue where red should be",
        "have false-colour rendering",
        "have a shifted hue angle",
        "have the colour wheel turned",
        "have trippy recoloured tones",
        "have colours remapped around the wheel",
        "have each hue rotated by some degrees",
        "have alien hues",
        "like an infrared false-colour photo",
    )
    param_ranges = {"degrees": (0.0, 150.0)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"sign": float(rng.choice([-1.0, 1.0]))}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        # Rotate chroma in YIQ space: keeps luma, turns hue; cheap and vectorised.
        a = math.radians(float(p["degrees"]) * float(p.get("sign", 1.0)))
        to_yiq = np.array(
            [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], np.float32
        )
        rot = np.array(
            [[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]], np.float32
        )
        m = np.linalg.inv(to_yiq) @ rot @ to_yiq
        return to_uint8(mix_channels(image, m))


class _Temperature(_Photometric):
    concept = "temperature"
    direction = 1.0

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"green": float(rng.uniform(-0.25, 0.25))}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        shift = float(p["shift"]) * self.direction
        delta = np.array([shift, shift * float(p.get("green", 0.0)), -shift], np.float32)
        return to_uint8(image.astype(np.float32) + delta)


@register_difference
class Warmer(_Temperature):
    name = "warmer"
    opposite = "cooler"
    direction = 1.0
    sentence = "Set A images have a warmer colour cast than set B images"
    comparative = sentence
    paraphrases = (
        "Set A images look more orange or yellow",
        "Set A images are warmer in tone",
        "Set B images look cooler than set A images",
        "Set A pictures have a warm, reddish tint",
    )
    phrase = "warm tint"
    wordings = (
        "warm",
        "warm-toned",
        "golden",
        "amber-tinted",
        "have an orange cast",
        "have a yellowish cast",
        "have a warm white balance",
        "have boosted reds and reduced blues",
        "have warmed-up colours",
        "like they were shot under tungsten light",
        "with a golden-hour warmth",
        "have a red-orange colour shift",
        "orangey",
        "yellowish",
        "warmer-looking",
        "have a warm colour temperature",
        "have a yellow-orange tint",
        "have an amber cast",
        "have a tungsten cast",
        "have the blue channel reduced",
        "have reds and yellows emphasised",
        "have a warming filter",
        "have an 85 warming filter look",
        "have toasty tones",
        "have a yellow-orange colour balance",
        "have white balance skewed toward orange",
        "have warm-shifted whites",
        "have whites that look creamy yellow",
        "have a sunset-like warmth",
        "with a warm, summery tone",
        "like lit by candlelight",
        "like lit by incandescent bulbs",
    )
    param_ranges = {"shift": (0.0, 45.0)}


@register_difference
class Cooler(_Temperature):
    name = "cooler"
    opposite = "warmer"
    direction = -1.0
    sentence = "Set A images have a cooler colour cast than set B images"
    comparative = sentence
    paraphrases = (
        "Set A images look more blue",
        "Set A images are cooler in tone",
        "Set B images look warmer than set A images",
        "Set A pictures have a cold, bluish tint",
    )
    phrase = "cool tint"
    wordings = (
        "cool",
        "cool-toned",
        "bluish",
        "icy",
        "have a blue cast",
        "have a cold white balance",
        "have boosted blues and reduced reds",
        "have cooled-down colours",
        "like they were shot in blue shade",
        "with a wintry, frosty feel",
        "have a cyan-blue colour shift",
        "blue-tinged",
        "cold",
        "cold-toned",
        "frosty",
        "bluer-looking",
        "have a cool colour temperature",
        "have a blue-cyan tint",
        "have a steely blue cast",
        "have the red channel reduced",
        "have blues and cyans emphasised",
        "have a cooling filter applied",
        "have an 80 cooling filter look",
        "have chilly tones",
        "have a blue colour balance",
        "have white balance skewed toward blue",
        "have cool-shifted whites",
        "have whites that look pale blue",
        "have a moonlit blue tone",
        "have an arctic feel",
        "like lit by overcast daylight",
        "like lit by moonlight",
    )
    param_ranges = {"shift": (0.0, 45.0)}


@register_difference
class ColorTint(_Photometric):
    name = "color_tint"
    concept = "tint"
    sentence = "Set A images have a colour tint"
    comparative = "Set A images have a stronger colour tint than set B images"
    paraphrases = (
        "Set A images are tinted with a colour",
        "A colour cast lies over set A images",
        "Set A pictures look as if seen through coloured glass",
        "Set A images have a monochrome colour wash",
    )
    phrase = "color tint"
    wordings = (
        "tinted",
        "have a colour filter over them",
        "washed in a single colour",
        "dyed with one colour",
        "toned in one hue",
        "have a duotone look",
        "bathed in one colour",
        "as if shot through a coloured gel",
        "have a uniform green, pink or purple wash",
        "have a coloured overlay of a single hue",
        "have a cast of some arbitrary colour",
        "colourised with one hue",
        "colour-washed",
        "colour-cast",
        "drenched in one colour",
        "dipped in coloured dye",
        "toned with a single colour",
        "shot through a coloured filter",
        "have a tinted overlay",
        "have a coloured wash over everything",
        "have a magenta, green or teal tint",
        "have a gel-coloured look",
        "have a colour overlay",
        "have monochromatic tinting",
        "have a uniform hue wash",
        "have everything shifted toward one colour",
        "have a colorize filter applied",
        "have a pink or green overlay",
        "have a single-hue colour grade",
        "have a strong tint of one hue",
        "as if seen through tinted glass",
        "displayed with a single-colour lookup table",
    )
    param_ranges = {"amount": (0.0, 0.45)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        from .differences import hsv_to_rgb_tuple

        return {"tint": list(hsv_to_rgb_tuple(float(rng.random()), 0.9, 1.0))}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        a = float(p["amount"])
        f = image.astype(np.float32)
        tinted = luma(image)[..., None] * (np.asarray(p["tint"], np.float32) / 255.0) * 1.3
        return to_uint8(f * (1 - a) + tinted * a)


@register_difference
class Grayscale(_Photometric):
    name = "grayscale"
    concept = "saturation"
    sentence = "Set A images are black and white"
    comparative = "Set A images are closer to black and white than set B images"
    paraphrases = (
        "Set A images are in grayscale",
        "Set A images have no colour",
        "Set A pictures are monochrome",
        "Set B images are in colour while set A images are grey",
    )
    phrase = "grayscale"
    wordings = (
        "colourless",
        "achromatic",
        "without colour",
        "in shades of grey",
        "fully desaturated",
        "have zero saturation",
        "converted to greyscale",
        "have had all colour removed",
        "like black-and-white film photos",
        "rendered purely in neutral greys",
        "have only a luminance channel",
        "shown as grey-level intensity images",
        "greyscale",
        "black-and-white",
        "b&w",
        "grey-toned",
        "in black and white",
        "drained of all colour",
        "neutral grey throughout",
        "achromatic throughout",
        "decoloured entirely",
        "rendered in greys",
        "shot on black-and-white film",
        "with all hues removed",
        "have all colour stripped out",
        "have a greyscale conversion applied",
        "have equal r, g and b values",
        "have identical colour channels",
        "have neutral tones only",
        "have a mono conversion",
        "like old black-and-white tv",
        "like a newspaper photo",
    )
    param_ranges = {"amount": (0.0, 1.0)}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        a = float(p["amount"])
        g = luma(image)[..., None]
        if a >= 1.0:
            return np.repeat(to_uint8(g), 3, axis=2)
        return to_uint8(image.astype(np.float32) * (1 - a) + g * a)


@register_difference
class Inverted(_Photometric):
    name = "inverted"
    concept = "inversion"
    binary = True
    gradable = False
    sentence = "Set A images are colour-inverted (negatives)"
    paraphrases = (
        "Set A images look like photographic negatives",
        "Set A images have inverted colours",
        "Light and dark are swapped in set A images",
        "Set A pictures are shown in negative",
    )
    phrase = "inverted colors"
    wordings = (
        "negative",
        "inverted",
        "photo-negative",
        "colour negatives",
        "have reversed tones",
        "have every pixel value inverted",
        "have bright areas dark and dark areas bright",
        "have complementary colours everywhere",
        "with the colours flipped to their opposites",
        "like film negatives before printing",
        "have an invert filter applied",
        "have reversed contrast polarity",
        "tone-reversed",
        "inverse-video",
        "negated",
        "have inverted luminance",
        "have negative colours",
        "have a negative effect applied",
        "have each channel subtracted from 255",
        "have eerie, negative colours",
        "have the lights and darks swapped",
        "have opposite colours",
        "have black and white swapped",
        "have an inversion filter",
        "have complementary hues and reversed brightness",
        "have shadows rendered bright",
        "have dark skies and glowing shadows",
        "show a reversed greyscale polarity",
        "shown with inverted greyscale",
        "displayed in reverse video",
        "like a colour film negative",
        "like a darkroom negative",
    )

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        return 255 - image


@register_difference
class Sepia(_Photometric):
    name = "sepia"
    concept = "saturation"
    sentence = "Set A images have a sepia, old-photo tone"
    comparative = "Set A images have a stronger sepia tone than set B images"
    paraphrases = (
        "Set A images look like old brown photographs",
        "Set A images are sepia-toned",
        "Set A pictures have a vintage brownish tone",
        "Set A images are tinted brown like antique prints",
    )
    phrase = "sepia tone"
    wordings = (
        "sepia",
        "brownish",
        "antique-looking",
        "brown-toned",
        "in sepia",
        "have a warm brown monochrome tone",
        "toned in browns like 19th-century photos",
        "have a brown-and-cream old-photo look",
        "have an aged, nostalgic brown tint",
        "have a coffee-coloured monochrome look",
        "have an old-timey brown filter",
        "like old family photos from the 1900s",
        "sepia-tinted",
        "antiqued",
        "vintage brown",
        "old-fashioned brown",
        "toned in sepia",
        "rendered in browns",
        "have a sepia filter",
        "have a sepia wash",
        "have a tea-stained look",
        "have a dusty brown vintage look",
        "have brown and tan tones",
        "have a nostalgic brown tone",
        "have an umber tone",
        "have a chocolate-brown tint",
        "have a yellowed-brown vintage tone",
        "have a tobacco-brown cast",
        "like old western photographs",
        "like a victorian-era photograph",
        "like a photo from grandma's album",
        "like sepia-toned archive prints",
    )
    param_ranges = {"amount": (0.0, 1.0)}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        m = np.array(
            [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32
        )
        a = float(p["amount"])
        # blending with the identity first keeps it to one pass over the pixels
        return to_uint8(mix_channels(image, np.eye(3, dtype=np.float32) * (1 - a) + m * a))
