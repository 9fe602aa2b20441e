"""Shared parts of the describer experiment scripts (``benchmarks/describer_*.py``).

- the held-out wording sets: FRESH, FRESH2, FRESH3 (open-vocabulary paraphrases of each
  difference type, never used in training), UNRELATED2, UNRELATED3 (claims about things no
  trained difference is), DEV_WORDINGS and DEV_UNRELATED (the development set of the
  reading thresholds), and :func:`check_fresh`, which asserts that a test set is new to
  training;
- loading a describer (``--model FOLDER`` or the shipped weights), AUROC, and the helpers
  that type a per-image phrase as a user's claim and score it as the verifier does;
- :func:`run_script`: the command line every script shares. Every sub-command takes
  ``--model FOLDER`` (a saved describer, e.g. ``tellapart train --out DIR`` gives
  ``DIR/final``; default: ``$TELLAPART_DESCRIBER`` or the weights shipped in the package),
  ``--threads N`` (torch threads; 0 = the library default) and ``--seed``.

The scripts import this module by name: running a script puts ``benchmarks/`` on ``sys.path``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tellapart.models.describer import Describer
    from tellapart.types import Hypothesis


# -- held-out wording sets -------------------------------------------------------------------------

# Three fresh per-image paraphrases per difference type, written for this benchmark and never
# used in training: `check_fresh` asserts that none equals (after lower-casing and whitespace
# normalisation) any sentence, paraphrase or phrase of any training template. They are phrased
# as `parse_claim` leaves a per-image phrase (no leading "are"/"look"), so each passes through
# `parse_claim` unchanged. The 20 types span overlays, tone, colour, blur/degradation, geometry
# and spatial changes that one image shows by itself; "upside_down" and "stretched_*" were left
# out because on held-out bases (textures, mosaics, crops) a single image rarely shows them: the
# canonical phrase itself scored an AUROC near 0.5, so a paraphrase gap would measure only noise.
FRESH: dict[str, tuple[str, str, str]] = {
    # overlays
    "tiny_rectangles": ("have a few little outlined boxes drawn on them",
                        "show small rectangular marks scattered around",
                        "contain several miniature boxes"),
    "circles": ("have small round blobs painted on them",
                "show a scattering of little dots",
                "contain tiny filled circles"),
    "frame": ("have a solid coloured border around the edges",
              "enclosed by a coloured outline",
              "show a band of colour along all four sides"),
    "grid": ("have a lattice of straight lines drawn over them",
             "covered by a regular mesh of crossing lines",
             "crossed by a net of evenly spaced lines"),
    "lines": ("have a few long thin strokes across them",
              "show straight scratches running across the picture",
              "marked with several narrow line segments"),
    "text_watermark": ("have some words printed across them",
                       "show a caption of overlaid text",
                       "contain visible letters stamped on top"),
    # tone
    "darker": ("poorly lit and gloomy",
               "have deep, dim tones throughout",
               "show less light overall"),
    "lower_contrast": ("dull, with little difference between light and dark",
                       "have a narrow range of tones",
                       "grey and lacking punch"),
    # colour
    "grayscale": ("without any colour",
                  "shown only in shades of grey",
                  "colourless, like an old black-and-white print"),
    "sepia": ("have a brownish antique tint",
              "tinted in warm brown like a vintage photograph",
              "show an old-fashioned yellow-brown tone"),
    "inverted": ("have their colours reversed",
                 "show dark areas where light ones should be",
                 "like a film negative"),
    "warmer": ("have an orange colour cast",
               "tinted toward yellow and red",
               "show a golden, sunlit hue"),
    # blur and degradations
    "blur": ("soft, lacking crisp detail",
             "have fuzzy, smeared edges",
             "not in sharp focus"),
    "noise": ("covered in fine random speckles",
              "have a grainy, sandy texture",
              "show pixel-level static"),
    "pixelated": ("made of big visible square blocks",
                  "have a coarse, low-resolution look",
                  "show chunky square pixels"),
    # geometry
    "shifted": ("moved off-centre with an empty strip along one side",
                "have a blank band where the content was pushed away",
                "displaced so that one edge is left empty"),
    "rotated": ("turned at a slant",
                "tilted sideways at an angle",
                "have their content rotated off axis"),
    # spatial
    "half_darkened": ("have one side much dimmer than the other",
                      "half in darkness",
                      "lit unevenly, with a dark half"),
    "vignette": ("have dark shadowy corners",
                 "darker around the edges than in the centre",
                 "show a dim ring around the border"),
    "occluding_patch": ("have a solid block hiding part of the picture",
                        "partly covered by a big flat rectangle",
                        "show a large blank area over the content"),
}

# A second open-vocabulary test set, written after FRESH by a second writer that saw neither
# the repository's templates and wordings nor FRESH: it was given only what each edit does. Five
# entries that equalled training texts or development wordings were replaced by the same writer.
# `--set fresh2` measures on it; UNRELATED2 are its claims about things no trained difference is.
FRESH2: dict[str, tuple[str, str, str]] = {
    "tiny_rectangles": (
        "have small boxes scattered at random spots",
        "contain a few tiny squares and rectangular outlines dropped over the scene",
        "show several little rectangle artifacts, some filled and some hollow",
    ),
    "circles": (
        "have small round dots sprinkled across them",
        "contain several filled discs pasted at random locations",
        "show a handful of solid round spots overlaid on the content",
    ),
    "frame": (
        "have a thick solid-colour edge around the whole picture",
        "surrounded by a uniform coloured margin on every side",
        "show a flat colour band bordering all four sides",
    ),
    "grid": (
        "overlaid with a regular lattice of thin lines",
        "have a mesh of evenly spaced horizontal and vertical strokes drawn over them",
        "show ruled lines in both directions, like graph paper",
    ),
    "lines": (
        "have a few thin straight strokes cutting across at odd angles",
        "crossed by several random line segments",
        "show a couple of stray straight streaks drawn through the scene at random orientations",
    ),
    "text_watermark": (
        "have words stamped over them",
        "carry a short line of typed characters on top",
        "show a caption-like text string superimposed on the photo",
    ),
    "darker": (
        "underexposed overall",
        "have reduced brightness across the whole frame",
        "dimmer throughout, as if shot in low light",
    ),
    "lower_contrast": (
        "have a narrow tonal range, everything squeezed toward mid grey",
        "flat-looking, with weak separation between lights and darks",
        "have compressed dynamic range with murky greys in place of deep blacks and bright whites",
    ),
    "grayscale": (
        "drained of every hue, leaving just grey tones",
        "rendered in shades of grey only",
        "have had their colour channels collapsed to a single luminance channel",
    ),
    "sepia": (
        "toned brown like an antique photograph",
        "have a vintage brownish monochrome look",
        "converted to brownish monochrome reminiscent of 19th-century prints",
    ),
    "inverted": (
        "resemble photographic negatives",
        "have every pixel value flipped, so brights became darks",
        "colour-reversed, with complementary colours replacing the originals",
    ),
    "warmer": (
        "have an orange-yellow cast",
        "shifted toward warmer tones, like golden hour light",
        "white-balanced too warm, with reddish highlights",
    ),
    "blur": (
        "hazy, lacking crisp edges anywhere in the scene",
        "soft and fuzzy, with smeared fine detail",
        "have had a gaussian smoothing filter applied",
    ),
    "noise": (
        "speckled with random per-pixel static",
        "have fine random grain over every pixel",
        "corrupted by additive gaussian noise",
    ),
    "pixelated": (
        "blocky, made of visible square chunks",
        "upscaled from a tiny resolution so individual pixels show as squares",
        "have a mosaic effect with coarse square blocks",
    ),
    "shifted": (
        "have the content pushed to one side, leaving a blank strip at the edge",
        "translated off-centre with an empty band along one border",
        "offset so the picture slides partly out of the frame and one edge is left blank",
    ),
    "rotated": (
        "tilted at an angle",
        "turned a few degrees, with filled-in corners",
        "show the scene rotated off-axis with wedge-shaped fill at the corners",
    ),
    "half_darkened": (
        "have one half much darker than the other",
        "darkened on one side only",
        "split down the middle with one half in shadow",
    ),
    "vignette": (
        "have darkened corners and a brighter middle",
        "fade to dark toward the edges",
        "show heavy lens-style edge shading around a bright centre",
    ),
    "occluding_patch": (
        "have a big solid block covering part of the scene",
        "partly hidden behind a large flat rectangle",
        "contain a large opaque box masking a region of the content",
    ),
}
UNRELATED2: tuple[str, ...] = (
    "show children playing in a park",
    "show cats sitting indoors",
    "feature people wearing glasses",
    "show patients with a pleural effusion",
    "include a visible chest tube",
    "depict beach scenes",
    "contain bicycles",
    "depict adult women",
    "feature people smiling",
    "show faces in profile rather than frontal view",
    "depict forests",
    "contain food on plates",
    "show birds in flight",
    "include horses",
    "feature people wearing hats",
    "depict indoor kitchens",
    "show skin lesions with irregular borders",
    "contain fractures of the wrist",
    "show lungs with signs of pneumonia",
    "feature older adults",
    "depict crowds at sporting events",
    "contain boats on water",
    "show trucks on highways",
    "feature flowers in bloom",
    "show people with beards",
    "depict mountain landscapes",
    "contain laptops",
    "show hands holding tools",
    "feature uniformed soldiers",
    "depict farm animals",
    "include babies",
    "show people running",
    "contain traffic lights",
    "depict cloudy skies",
    "show tattoos on skin",
    "feature a nasogastric tube",
    "show an enlarged heart",
    "contain fish",
    "depict wedding ceremonies",
    "show people seated at desks",
)

# FRESH3 and UNRELATED3 were written by a third writer that saw no file of this
# repository: it was told only what each edit does and asked for an everyday, a technical
# and a free wording, avoiding the textbook name. They were added before any result on
# them was looked at. They are stored as the per-image phrases parse_claim leaves of the
# writer's "Set A images <predicate>" (a leading "are", "look" or "seem" dropped), as are
# the unrelated claims.
FRESH3: dict[str, tuple[str, str, str]] = {
    "tiny_rectangles": (
        "have a few little boxes scattered over them",
        "contain small rectangular markers overlaid at random positions",
        "dotted with tiny squares drawn here and there",
    ),
    "circles": (
        "have some small round spots drawn on them",
        "contain a few circular markers superimposed at random locations",
        "sprinkled with little rings and dots",
    ),
    "frame": (
        "have a thick coloured edge running all the way around them",
        "enclosed by a uniform solid-colour margin on all four sides",
        "like they have been put inside a picture mat",
    ),
    "grid": (
        "have a pattern of crossing lines laid over them like graph paper",
        "overlaid with a regular lattice of thin horizontal and vertical lines",
        "like they are seen through a wire mesh screen",
    ),
    "lines": (
        "have a few thin strokes drawn across them at odd angles",
        "contain randomly oriented straight line segments superimposed on the content",
        "like someone scratched a few straight marks across them",
    ),
    "text_watermark": (
        "have some writing stamped across them",
        "carry an overlaid alphanumeric caption or stamp",
        "show a few words printed over the picture",
    ),
    "darker": (
        "dim, as if the lights were turned down",
        "underexposed with reduced overall luminance",
        "gloomier and shadowier throughout",
    ),
    "lower_contrast": (
        "flat and washed out, with everything a similar dull tone",
        "have a compressed tonal range with intensities pulled toward the midpoint",
        "hazy and muddy, as if seen through a milky film",
    ),
    "grayscale": (
        "have had all their colour drained away",
        "rendered as single-channel luminance images with zero saturation",
        "like they were printed using only shades of charcoal and silver",
    ),
    "sepia": (
        "have a brownish, old-timey look like antique photographs",
        "carry a brown duotone tint typical of nineteenth-century prints",
        "like faded photos from a great-grandparent's album",
    ),
    "inverted": (
        "have their light and dark areas swapped",
        "have each colour channel flipped to its complementary value",
        "eerie, with dark skies glowing and bright things turned shadowy",
    ),
    "warmer": (
        "have an orange-yellow tint over everything",
        "show a white balance shifted toward higher red and lower blue channel values",
        "like they were lit by a golden sunset glow",
    ),
    "blur": (
        "soft and smudgy, with fuzzy edges",
        "have attenuated high-frequency detail, as after a gaussian low-pass filter",
        "like they are seen through a fogged-up lens",
    ),
    "noise": (
        "covered in tiny random speckles",
        "contain added random per-pixel intensity fluctuations",
        "sandy and peppered with little random specks",
    ),
    "pixelated": (
        "blocky, made up of visible little squares",
        "show coarse mosaic artifacts from downsampling and nearest-neighbour upscaling",
        "like scenes from an old video game",
    ),
    "shifted": (
        "pushed off to one side, leaving an empty strip along an edge",
        "have their content translated so a blank band appears at one side",
        "like they slid partway out of their frame",
    ),
    "rotated": (
        "tilted at an angle, with empty triangles in the corners",
        "have undergone a rotation of several degrees, leaving unfilled corner regions",
        "crooked, like a picture hanging askew",
    ),
    "half_darkened": (
        "have one half much dimmer than the other",
        "show a step change in exposure splitting the frame into a bright and a dark half",
        "like a shadow has fallen over half of each picture",
    ),
    "vignette": (
        "get darker toward the corners while the middle stays bright",
        "show radial light falloff toward the periphery of the frame",
        "like they were viewed through a tunnel with a spotlight in the centre",
    ),
    "occluding_patch": (
        "have a big solid block covering part of the scene",
        "contain a large uniform occluder masking a region of the image",
        "like something was pasted over a chunk of the picture",
    ),
}

UNRELATED3: tuple[str, ...] = (
    "show dogs playing in a park",
    "depict busy city streets with pedestrians",
    "chest x-rays showing signs of pneumonia",
    "show moles that are asymmetric and larger than six millimetres",
    "contain cats sleeping on furniture",
    "were taken from an aerial viewpoint looking straight down",
    "show farmland in satellite imagery",
    "scanned pages of handwritten letters",
    "show histology slides with many dividing cells",
    "depict people smiling at the camera",
    "show snowy mountain landscapes",
    "were photographed indoors",
    "contain cars parked along a road",
    "brain mri scans showing a tumour",
    "feature birds perched on branches",
    "show plates of food on restaurant tables",
    "depict beaches with waves breaking",
    "close-up shots of flowers",
    "show knee radiographs with joint space narrowing",
    "include children playing sports",
    "show dense urban neighbourhoods seen from above",
    "contain horses grazing in fields",
    "retinal fundus photos with signs of diabetic retinopathy",
    "were taken from a low angle looking up",
    "show office interiors with desks and computers",
    "depict elderly people",
    "show fractures in the wrist bones",
    "feature boats moored in a harbour",
    "dermatology photos of rashes on the arm",
    "contain more than three people each",
    "photographs of kitchen interiors",
    "show coastlines and rivers seen from orbit",
    "depict pine forests",
    "show people wearing hats",
    "contain bicycles",
    "show tissue samples with invasive carcinoma",
    "dental x-rays showing cavities",
    "show airports with planes on the runway",
    "depict wild animals on the savanna",
    "show lungs with a pleural effusion",
)

# FRESH4 and UNRELATED4 were written by a fourth writer that saw no file of this repository
# (told only what each edit does, asked for three casual wordings each), as the test set of
# the retrained describer's open vocabulary; added before any result on them was looked at.
# Two of the writer's wordings are training texts ("look like photographic negatives" for
# inverted, "are out of focus" for blur); the writer was asked for one more of each that
# avoids those words.
# Stored like FRESH3 (the per-image phrase parse_claim leaves of "Set A images <predicate>").
FRESH4: dict[str, tuple[str, str, str]] = {
    "tiny_rectangles": (
        "have small solid boxes scattered across them",
        "show a handful of little filled squares at random spots",
        "contain tiny rectangular blocks stamped over the scene",
    ),
    "circles": (
        "have small round dots sprinkled over them",
        "show a few filled discs at random positions",
        "contain little solid circles dotted across the picture",
    ),
    "frame": (
        "have a solid colored border around the edges",
        "enclosed in a thick uniform frame",
        "show a plain band of color framing the picture",
    ),
    "grid": (
        "have a lattice of thin lines overlaid on them",
        "show a crosshatched grid pattern over the scene",
        "to sit behind a mesh of straight lines",
    ),
    "lines": (
        "have a few thin strokes slashed across them at angles",
        "show stray straight lines cutting through the picture",
        "contain random skinny line segments drawn over the content",
    ),
    "text_watermark": (
        "have a word stamped across them as a watermark",
        "show overlaid lettering on top of the scene",
        "carry a text caption printed over the picture",
    ),
    "darker": (
        "badly underexposed",
        "dimmer overall",
        "have a noticeably lower overall brightness",
    ),
    "lower_contrast": (
        "flat and washed out",
        "have muted, low-contrast tones",
        "show a compressed tonal range with murky greys",
    ),
    "grayscale": (
        "rendered in black and white",
        "monochrome, shown entirely in grey tones",
        "have been desaturated to grayscale",
    ),
    "sepia": (
        "have a brownish vintage tint",
        "like old sepia-toned photographs",
        "show an antique warm brown cast",
    ),
    "inverted": (
        "have flipped colours, with light areas turned dark",
        "have their colours inverted",
        "show reversed tones, with darks turned light",
    ),
    "warmer": (
        "have a warm orange colour cast",
        "golden, as if shot with warm white balance",
        "show a yellowish tint across the whole frame",
    ),
    "blur": (
        "have hazy, unsharp edges and details",
        "soft and blurry",
        "show smeared, fuzzy detail throughout",
    ),
    "noise": (
        "grainy with speckled noise",
        "show heavy pixel-level grain",
        "have a layer of random static over them",
    ),
    "pixelated": (
        "blocky and pixelated",
        "as a coarse mosaic of squares",
        "show chunky low-resolution pixels, as if upscaled",
    ),
    "shifted": (
        "have their content offset, leaving an empty strip at one edge",
        "show the scene displaced sideways with a blank band",
        "translated so one border is a flat band",
    ),
    "rotated": (
        "tilted at a noticeable angle",
        "rotated by several tens of degrees",
        "show the scene turned off-axis with a skewed horizon",
    ),
    "half_darkened": (
        "have one half much darker than the other",
        "show a shadowed left or top half",
        "split into a dim half and a bright half",
    ),
    "vignette": (
        "have darkened corners with a bright centre",
        "show a heavy vignette around the edges",
        "shaded toward the borders, like a tunnel effect",
    ),
    "occluding_patch": (
        "have a large solid block covering part of the scene",
        "show a big opaque patch hiding a region",
        "partly obscured by a flat rectangular occluder",
    ),
}

UNRELATED4: tuple[str, ...] = (
    "show dogs playing in a park",
    "contain cats lounging indoors",
    "feature people riding bicycles",
    "depict mountain landscapes with hikers",
    "include birds perched on branches",
    "show children at a birthday party",
    "feature plated restaurant dishes",
    "contain horses grazing in fields",
    "show crowded city markets",
    "depict beach scenes with swimmers",
    "feature farm animals like cows and sheep",
    "include people cooking in kitchens",
    "show soccer matches in progress",
    "depict hikers on forest trails",
    "contain close-ups of insects on leaves",
    "feature musicians performing on stage",
    "show trains at railway stations",
    "depict fishing boats in a harbour",
    "include elderly people sitting on benches",
    "show kids playing in a playground",
    "contain wild elephants on the savanna",
    "feature office workers at their desks",
    "show families having picnics",
    "depict surfers riding waves",
    "include pet rabbits",
    "show chefs preparing sushi",
    "feature weddings and their guests",
    "depict farmers harvesting crops",
    "contain aeroplanes parked at an airport",
    "show people walking their dogs",
    "feature tropical fish in aquariums",
    "depict medieval castles",
    "include toddlers playing with toys",
    "show runners competing in a marathon",
    "contain bowls of fruit",
    "feature street performers entertaining crowds",
    "depict monkeys climbing trees",
    "show students sitting in a classroom",
    "include bakery shelves stocked with bread",
    "feature camping tents in the woods",
)


# Wordings for tuning READ_AS_SIMILARITY / READ_AS_MARGIN (tellapart.models.reading), written
# apart from FRESH (the open-vocabulary test never tunes anything): `describer_reading.py
# reading` asserts both are new to training and disjoint from each other.
DEV_WORDINGS: dict[str, str] = {
    "darker": "look underexposed and murky",
    "brighter": "look overexposed and bright",
    "grayscale": "have no hue at all",
    "frame": "have a thick edge all around",
    "blur": "look out of focus",
    "noise": "look grainy",
    "inverted": "look like photographic negatives",
    "lower_contrast": "look washed-out and flat",
    "higher_contrast": "look punchy with deep blacks and bright whites",
    "warmer": "look more orange",
    "cooler": "look more blue",
    "vignette": "have shadowed corners",
    "tiny_rectangles": "have little squares on them",
    "circles": "have round spots",
    "grid": "have a checkerboard of thin lines",
    "text_watermark": "have writing on them",
    "rotated": "are tilted",
    "upside_down": "are the wrong way up",
    "mirrored": "are flipped left to right",
    "pixelated": "look blocky",
    "jpeg": "show compression artefacts",
    "sepia": "look brownish and old",
    "more_saturated": "have vivid colours",
    "less_saturated": "have dull, subdued colours",
}
# Claims about things no trained difference is: none of them may be read as one.
DEV_UNRELATED: tuple[str, ...] = (
    "contain dogs", "show people smiling", "taken outdoors", "contain cars", "show a beach",
    "zxq blorf wug", "show cats", "contain trees", "are medical scans", "show hospitals",
    "have more faces", "show snow", "feature red clothing", "are taken at night",
    "contain handwritten notes", "show a chest x-ray", "have a ruler", "show water",
    "have a pacemaker", "show older patients",
)



# -- models and statistics -------------------------------------------------------------------------


def norm(text: str) -> str:
    """Lower-cased, whitespace-normalised text (how wordings are compared with training texts)."""
    return " ".join(text.lower().split())


def set_threads(threads: int) -> None:
    """Torch threads (0: leave the library default)."""
    if threads > 0:
        import torch

        torch.set_num_threads(threads)


def load_model(folder: str | None) -> Describer:
    """The describer saved in ``folder``, or the default one (``$TELLAPART_DESCRIBER`` or shipped)."""
    if folder:
        from tellapart.models.weights import load_describer

        return load_describer(folder)
    from tellapart.models.weights import load_default

    return load_default()


def model_name(folder: str | None) -> str:
    """How the tables name the describer measured."""
    if folder:
        return folder
    from tellapart.models.shipped import describer_dir

    return f"default ({describer_dir()})"


def auroc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties counted half (Mann-Whitney U)."""
    pos = np.asarray(pos, dtype=np.float64)
    neg = np.asarray(neg, dtype=np.float64)
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    allv = np.concatenate([pos, neg])
    order = np.argsort(allv, kind="mergesort")
    ranks = np.empty(len(allv), dtype=np.float64)
    sorted_v = allv[order]
    # average ranks over ties (1-based)
    start = 0
    while start < len(sorted_v):
        end = start
        while end + 1 < len(sorted_v) and sorted_v[end + 1] == sorted_v[start]:
            end += 1
        ranks[order[start:end + 1]] = 0.5 * (start + end) + 1.0
        start = end + 1
    u = ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2.0
    return float(u / (len(pos) * len(neg)))


# -- wordings as typed claims ----------------------------------------------------------------------


def training_texts(model: Describer | None = None) -> set[str]:
    """Normalised form of every sentence and phrase the training templates use (all types).

    The union of ``tellapart.train.text_cache.training_texts()`` (each type's phrase,
    canonical, graded and paraphrase sentences in both set directions, and their per-image
    phrases, and the scorer's training and held-out phrase lists), each type id in words,
    and, with ``model``, the sentences it records as known and their per-image phrases.
    """
    from tellapart.edits.differences import DIFFERENCES, swap_sets
    from tellapart.models.text import parse_claim
    from tellapart.train.text_cache import training_texts as synth_texts

    texts = {norm(t) for t in synth_texts()}
    texts.update(norm(tid.replace("_", " ")) for tid in DIFFERENCES.list())
    if model is not None:
        sentences = [*model.known_sentences, *(s for pair in model.type_sentences for s in pair)]
        for s in sentences:
            for variant in (s, swap_sets(s)):
                texts.add(norm(variant))
                texts.add(norm(parse_claim(variant).phrase))
    return texts


def check_fresh(fresh: dict[str, tuple[str, str, str]], model: Describer | None = None) -> None:
    """Assert every fresh paraphrase is new, distinct, and a per-image phrase."""
    from tellapart.edits.differences import DIFFERENCES
    from tellapart.models.text import parse_claim

    known = training_texts(model)
    # the wordings the scorer reads free text with are not training text, but a test wording
    # equal to one would be read by construction
    wordings = {norm(w) for t in DIFFERENCES.list() for w in DIFFERENCES.create(t).wordings}
    seen: set[str] = set()
    for tid, phrases in fresh.items():
        assert tid in DIFFERENCES, f"unknown difference type {tid!r}"
        assert len(phrases) == 3, f"{tid}: need 3 fresh paraphrases, got {len(phrases)}"
        for p in phrases:
            n = norm(p)
            assert n not in known, f"{tid}: paraphrase {p!r} is a training text"
            assert n not in wordings, f"{tid}: paraphrase {p!r} is a reading wording"
            assert n not in seen, f"{tid}: paraphrase {p!r} is used twice"
            assert parse_claim(p).phrase == p, f"{tid}: {p!r} is not a bare per-image phrase"
            seen.add(n)


FINITE_VERBS = {"have", "has", "show", "shows", "contain", "contains", "look", "looks", "appear",
                "seem", "lack", "lacks", "are", "is"}


def typed_aurocs(model: Describer, emb: np.ndarray, is_a: np.ndarray,
                 hyps: Sequence[Hypothesis | None]) -> list[float]:
    """Held-out AUROC (set A against set B) of each typed claim as the verifier scores it;
    NaN for a claim the scorer refused (None)."""
    from tellapart.models.reading import claim_scores

    usable = [j for j, h in enumerate(hyps) if h is not None]
    scores = claim_scores(model, emb, [hyps[j] for j in usable])  # type: ignore[misc]
    aucs = [float("nan")] * len(hyps)
    for col, j in enumerate(usable):
        aucs[j] = auroc(scores[is_a, col], scores[~is_a, col])
    return aucs


def typed_sentence(phrase: str) -> str:
    """The sentence a user would type for a per-image phrase: "Set A images <phrase>" when it
    starts with a verb ("have ..."), else "Set A images are <phrase>"; it must parse back."""
    from tellapart.models.text import parse_claim

    verb_first = phrase.split()[0].lower() in FINITE_VERBS
    candidates = [f"Set A images {phrase}"] if verb_first else [f"Set A images are {phrase}"]
    for sentence in candidates:
        claim = parse_claim(sentence)
        if claim.phrase == phrase and claim.subject == "A":
            return sentence
    raise ValueError(f"no sentence about set A parses back to {phrase!r}")


def parse_phrase(wording: str) -> str:
    """The per-image phrase of a test wording, as the learned scorer reads it typed as a claim."""
    from tellapart.models.text import parse_claim

    return parse_claim(typed_sentence(wording)).phrase


# -- the command line ------------------------------------------------------------------------------

Command = Callable[[argparse.Namespace], None]
AddOptions = Callable[[argparse.ArgumentParser], None]


def run_script(doc: str | None, commands: dict[str, tuple[Command, AddOptions | None]],
               argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` into one of ``commands`` (name -> (function, adds its options)) and run it.

    Every sub-command gets ``--model``, ``--threads`` and ``--seed``.
    """
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name, (fn, add_options) in commands.items():
        p = sub.add_parser(name, description=(fn.__doc__ or "").split("\n\n")[0] or None)
        p.set_defaults(func=fn)
        p.add_argument("--model", default=None,
                       help="saved describer folder (default: the shipped weights)")
        p.add_argument("--threads", type=int, default=0,
                       help="torch threads (0: library default)")
        p.add_argument("--seed", type=int, default=0)
        if add_options is not None:
            add_options(p)
    args = parser.parse_args(argv)
    args.func(args)
    return 0
