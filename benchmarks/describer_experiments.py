"""Measured acceptance experiments of the learned describer (issue: describer).

Each sub-command prints a markdown table that goes into BENCHMARKS.md next to its command::

    .venv/bin/python benchmarks/describer_experiments.py openvocab [--types 20] [--n-per-side 100] [--seed 0] [--json PATH]
    .venv/bin/python benchmarks/describer_experiments.py reading
    .venv/bin/python benchmarks/describer_experiments.py ceiling   --tasks BENCH_OUT/hard/tasks [--alpha 0.05]
    .venv/bin/python benchmarks/describer_experiments.py independent [--n-per-side 40] [--edits all|third] [--size 128] [--whole-only]
    .venv/bin/python benchmarks/describer_experiments.py small-marks [--sizes 384 512] [--reps 3] [--whole-only]
    .venv/bin/python benchmarks/describer_experiments.py scale     [--sizes 100 300 1000 3000 10000] [--repeats 3] [--plot PATH]
    .venv/bin/python benchmarks/describer_experiments.py cold      [--n 1000] [--size 128] [--proposers learned measurements] [--whole-only]
    .venv/bin/python benchmarks/describer_experiments.py floor-activity --bench BENCH_OUT
    .venv/bin/python benchmarks/describer_experiments.py direction

Every sub-command takes ``--model FOLDER`` (a saved describer, e.g. ``tellapart train --out
DIR`` gives ``DIR/final``; default: ``$TELLAPART_DESCRIBER`` or the weights shipped in the
package). ``cold`` runs the ``tellapart compare`` CLI in a subprocess and passes the folder to
it through the ``TELLAPART_DESCRIBER`` environment variable. Every sub-command takes
``--threads N`` (torch threads, and OMP/MKL threads of the ``cold`` subprocess; 0 = the
library default).

``openvocab``: for 20 difference types of ``tellapart.synth``, held-out images (``split=
"heldout"``: base images no training stream draws) with the difference in set A only are
embedded. The canonical sentence and three fresh paraphrases written here (asserted to be
absent from every training template) are typed as hypotheses about set A, read by the
learned scorer (``LearnedScorer.interpret``: a trained sentence, or a wording read as a
trained difference, is scored by the type head; any other wording by the image-text head)
and scored per image; each score is turned into an AUROC (set A = positive). A paraphrase
"holds" when its AUROC is within 0.05 of the canonical sentence's. The table also gives
the image-text head alone on the per-image phrases (canonical phrase vs fresh phrases).

``reading``: the development set that chose ``READ_AS_SIMILARITY`` and ``READ_AS_MARGIN``
(``tellapart.propose.learned``): how many development wordings each threshold pair reads as
a trained difference, how many of them as the right one, and how many unrelated claims it
reads; the open-vocabulary paraphrases take no part in it.

``small-marks``: ``compare`` (default proposers) on held-out photograph crops larger than the
model's input (384 and 512 px), set A carrying a mark of a fixed size in pixels (a 14-18 px
white caption, a 9-12 px red square, 5-8 dots of radius 3, a 22-px circle logo in a
corner), so that squeezing the whole image to 128 px shrinks it to a few pixels; with
``--whole-only`` the quarter views of large images (``tellapart.models.runtime.image_views``)
are switched off (``compare --whole-images-only``), which is how ``compare`` saw images
before session 7.

``ceiling``: on the task folders ``tellapart bench`` wrote, the accuracy a perfect per-image
detector of the true differences would reach under the verifier's held-out design (an upper
bound for any proposer and scorer), and the accuracy of the type head alone when every
trained type is tested on all images.

``independent``: ``compare`` (default proposers) on held-out photograph crops where set A is
changed by an edit written here with PIL (a red square, text, JPEG, brightness, grayscale,
blur, flip, a black border), not by ``tellapart.synth``: does the first significant finding
name the edit?

``scale``: the set comparator on random embeddings, n images per side: seconds of
``compare`` alone and of ``describe`` (comparator + beam search), best of ``--repeats``, a
linear fit of comparator seconds vs n (R^2), and encoder throughput on 256 random images.

``cold``: one synthetic task of 2 x N PNG images, compared by ``python -m tellapart compare``
with ``--no-cache`` (no feature cache read or written) and a JSON report: wall seconds and the
top findings.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tellapart.models.describer import Describer
    from tellapart.types import Hypothesis

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

# A second open-vocabulary test set, written for session 5 by a writer that saw neither the
# repository's templates and wordings nor FRESH: it was given only what each edit does. Five
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

# FRESH3 and UNRELATED3 were written in session 6 by a writer that saw no file of this
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


HOLD_TOLERANCE = 0.05  # a paraphrase holds when |AUROC - canonical AUROC| <= this


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _set_threads(threads: int) -> None:
    if threads > 0:
        import torch

        torch.set_num_threads(threads)


def _load_model(folder: str | None) -> Describer:
    if folder:
        from tellapart.models.weights import load_describer

        return load_describer(folder)
    from tellapart.models.weights import load_default

    return load_default()


def _model_name(folder: str | None) -> str:
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


# -- openvocab -------------------------------------------------------------------------------------


def training_texts(model: Describer | None = None) -> set[str]:
    """Normalised form of every sentence and phrase the training templates use (all types).

    The union of ``tellapart.train.text_cache.training_texts()`` (each type's phrase,
    canonical, graded and paraphrase sentences in both set directions, and their per-image
    phrases, and the scorer's training and held-out phrase lists), each type id in words,
    and, with ``model``, the sentences it records as known and their per-image phrases.
    """
    from tellapart.models.text import parse_claim
    from tellapart.synth.differences import DIFFERENCES, swap_sets
    from tellapart.train.text_cache import training_texts as synth_texts

    texts = {_norm(t) for t in synth_texts()}
    texts.update(_norm(tid.replace("_", " ")) for tid in DIFFERENCES.list())
    if model is not None:
        sentences = [*model.known_sentences, *(s for pair in model.type_sentences for s in pair)]
        for s in sentences:
            for variant in (s, swap_sets(s)):
                texts.add(_norm(variant))
                texts.add(_norm(parse_claim(variant).phrase))
    return texts


def check_fresh(fresh: dict[str, tuple[str, str, str]], model: Describer | None = None) -> None:
    """Assert every fresh paraphrase is new, distinct, and a per-image phrase."""
    from tellapart.models.text import parse_claim
    from tellapart.synth.differences import DIFFERENCES

    known = training_texts(model)
    # the wordings the scorer reads free text with are not training text, but a test wording
    # equal to one would be read by construction
    wordings = {_norm(w) for t in DIFFERENCES.list() for w in DIFFERENCES.create(t).wordings}
    seen: set[str] = set()
    for tid, phrases in fresh.items():
        assert tid in DIFFERENCES, f"unknown difference type {tid!r}"
        assert len(phrases) == 3, f"{tid}: need 3 fresh paraphrases, got {len(phrases)}"
        for p in phrases:
            n = _norm(p)
            assert n not in known, f"{tid}: paraphrase {p!r} is a training text"
            assert n not in wordings, f"{tid}: paraphrase {p!r} is a reading wording"
            assert n not in seen, f"{tid}: paraphrase {p!r} is used twice"
            assert parse_claim(p).phrase == p, f"{tid}: {p!r} is not a bare per-image phrase"
            seen.add(n)


_FINITE_VERBS = {"have", "has", "show", "shows", "contain", "contains", "look", "looks", "appear",
                 "seem", "lack", "lacks", "are", "is"}


def typed_aurocs(model: Describer, emb: np.ndarray, is_a: np.ndarray,
                 hyps: Sequence[Hypothesis | None]) -> list[float]:
    """Held-out AUROC (set A against set B) of each typed claim as the verifier scores it;
    NaN for a claim the scorer refused (None)."""
    from tellapart.propose.learned import claim_scores

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

    verb_first = phrase.split()[0].lower() in _FINITE_VERBS
    candidates = [f"Set A images {phrase}"] if verb_first else [f"Set A images are {phrase}"]
    for sentence in candidates:
        claim = parse_claim(sentence)
        if claim.phrase == phrase and claim.subject == "A":
            return sentence
    raise ValueError(f"no sentence about set A parses back to {phrase!r}")


def cmd_openvocab(args: argparse.Namespace) -> None:
    from tellapart.models.text import parse_claim
    from tellapart.propose.learned import (
        TYPE_FLOOR_LOGIT,
        read_as_trained,
        type_floor_logits,
    )
    from tellapart.synth import DiffSpec, make_task
    from tellapart.synth.differences import create_difference
    from tellapart.verify.learned import LearnedScorer

    _set_threads(args.threads)
    model = _load_model(args.model)
    fresh = {"fresh": FRESH, "fresh2": FRESH2, "fresh3": FRESH3}[args.set]
    unrelated = UNRELATED3 if args.set == "fresh3" else UNRELATED2
    check_fresh(fresh, model)
    scorer = LearnedScorer(model)
    types = list(fresh)[:args.types]
    if args.types > len(fresh):
        print(f"only {len(fresh)} types have fresh paraphrases; using those", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    t_all = time.perf_counter()
    for k, tid in enumerate(types):
        t = time.perf_counter()
        diff = create_difference(tid)
        canonical = parse_claim(diff.sentence).phrase
        task = make_task([DiffSpec(tid, s=args.s)], n_per_side=args.n_per_side, size=args.size,
                         base=args.base, seed=args.seed * 1000 + k, task_id=f"openvocab-{tid}",
                         split="heldout")
        images = np.stack([*task.images_a, *task.images_b])
        is_a = np.arange(len(images)) < len(task.images_a)
        emb = model.embed(images)
        # As a user gets it from the learned scorer: each sentence typed as a hypothesis,
        # read by LearnedScorer.interpret and scored as the verifier scores it. (`compare`
        # offers a typed claim to the measurement scorer first; that one is not measured here.)
        typed = [diff.sentence, *(typed_sentence(p) for p in fresh[tid])]
        # A refused wording gets no AUROC and does not hold: a negation ("not in sharp
        # focus"), which a similarity score cannot express, or a wording about a two-way
        # property the scorer cannot place on one side ("two-way", LearnedScorer.refusal_reason).
        hyps = [scorer.interpret(text) for text in typed]
        if hyps[0] is None:
            raise RuntimeError(f"{tid}: the learned scorer refused the canonical sentence")
        aucs = typed_aurocs(model, emb, is_a, hyps)
        reads = [(("refused (two-way)" if scorer.refusal_reason(text) else "refused (negation)")
                  if h is None else str(h.params.get("read_as", "")))
                 for text, h in zip(typed[1:], hyps[1:], strict=True)]
        # The image-text head alone, on per-image phrases (this table before wordings were read
        # as trained differences): how far the head itself generalises.
        texts = [canonical, diff.phrase, *fresh[tid]]
        logits = model.score_texts(emb, texts)  # (N, T)
        head = [auroc(logits[is_a, j], logits[~is_a, j]) for j in range(len(texts))]
        # The type head on the canonical difference with each floor policy: calibrated (as
        # shipped), logit(0.05) only, none.
        k_type = model.type_index(tid)
        floors: dict[str, float] = {}
        if k_type is not None:
            raw = model.type_logits(emb)[:, k_type]
            for name, floor in (("calibrated", float(type_floor_logits(model)[k_type])),
                                ("logit(0.05)", TYPE_FLOOR_LOGIT),
                                ("none", -np.inf)):
                floored = np.maximum(raw, floor)
                floors[name] = auroc(floored[is_a], floored[~is_a])
        gaps = [a - aucs[0] for a in aucs[1:]]
        head_gaps = [a - head[0] for a in head[2:]]
        row = {
            "type_id": tid,
            "canonical_sentence": diff.sentence,
            "canonical_auroc": aucs[0],
            "paraphrases": list(fresh[tid]),
            "typed_sentences": typed[1:],
            "paraphrase_auroc": aucs[1:],
            "read_as": reads,
            "gaps": gaps,
            "max_abs_gap": max(abs(g) if np.isfinite(g) else np.inf for g in gaps),
            "holds": all(bool(abs(g) <= HOLD_TOLERANCE) for g in gaps),
            "head_canonical_phrase": canonical,
            "head_canonical_auroc": head[0],
            "head_short_phrase_auroc": head[1],
            "head_paraphrase_auroc": head[2:],
            "head_gaps": head_gaps,
            "head_holds": all(abs(g) <= HOLD_TOLERANCE for g in head_gaps),
            "type_head_auroc_by_floor": floors,
        }
        rows.append(row)
        print(f"{tid}: canonical {aucs[0]:.3f}, paraphrases "
              f"{', '.join(f'{a:.3f}' for a in aucs[1:])}, read as {reads} "
              f"({time.perf_counter() - t:.0f} s)", file=sys.stderr)
    # Claims about things no trained difference is must not be read as one (they would be
    # tested by a detector of something else).
    unrelated_read = [(u, r.type_id) for u in unrelated
                      if (r := read_as_trained(model, parse_claim(typed_sentence(u)).phrase))]
    n_hold = sum(r["holds"] for r in rows)
    # the weaker reading of the bar: no paraphrase more than 0.05 *below* the canonical sentence
    n_not_worse = sum(all(bool(g >= -HOLD_TOLERANCE) for g in r["gaps"]) for r in rows)
    n_head_hold = sum(r["head_holds"] for r in rows)
    all_gaps = [g for r in rows for g in r["gaps"]]
    n_refused = sum(x.startswith("refused") for r in rows for x in r["read_as"])
    n_read = sum(bool(x) and not x.startswith("refused") for r in rows for x in r["read_as"])
    n_read_right = sum(x == r["type_id"] for r in rows for x in r["read_as"])
    mean_gap = float(np.nanmean(all_gaps))
    mean_abs_gap = float(np.nanmean(np.abs(all_gaps)))

    print(f"| difference ({args.n_per_side}/side held-out images, s={args.s}, {args.size}px, "
          f"base {args.base}) | canonical sentence AUROC | fresh 1 | fresh 2 | fresh 3 "
          f"| max abs gap | all 3 within {HOLD_TOLERANCE} | image-text head: canonical phrase "
          "| fresh 1-3 | all 3 within |")
    print("|---|---|---|---|---|---|---|---|---|---|")

    def cell(a: float, read: str) -> str:
        if read.startswith("refused"):
            return read
        return f"{a:.3f}" + (f" (read as {read})" if read else "")

    for r in rows:
        paras = " | ".join(cell(a, x) for a, x in zip(r["paraphrase_auroc"], r["read_as"], strict=True))
        head_paras = ", ".join(f"{a:.3f}" for a in r["head_paraphrase_auroc"])
        print(f"| {r['type_id']} | {r['canonical_auroc']:.3f} | {paras} | {r['max_abs_gap']:.3f} "
              f"| {'yes' if r['holds'] else 'no'} | {r['head_canonical_auroc']:.3f} | {head_paras} "
              f"| {'yes' if r['head_holds'] else 'no'} |")
    print()
    print(f"Typed, read by the learned scorer: {n_hold}/{len(rows)} types have all 3 fresh "
          f"paraphrases within {HOLD_TOLERANCE} AUROC of the canonical sentence ({n_not_worse}/"
          f"{len(rows)} have none more than {HOLD_TOLERANCE} below it); {n_read} of "
          f"{len(all_gaps)} paraphrases were read as a trained difference ({n_read_right} as the "
          f"right one), {n_refused} refused; mean gap (paraphrase - canonical) {mean_gap:+.3f}, mean |gap| "
          f"{mean_abs_gap:.3f}; mean canonical AUROC {np.mean([r['canonical_auroc'] for r in rows]):.3f}, "
          f"mean fresh AUROC {np.nanmean([a for r in rows for a in r['paraphrase_auroc']]):.3f}. "
          f"Image-text head alone: {n_head_hold}/{len(rows)} types hold, mean canonical phrase "
          f"AUROC {np.mean([r['head_canonical_auroc'] for r in rows]):.3f}, mean fresh "
          f"{np.mean([a for r in rows for a in r['head_paraphrase_auroc']]):.3f}. Type head on "
          f"the canonical difference, mean AUROC by floor: " + ", ".join(
              f"{name} {np.mean([r['type_head_auroc_by_floor'][name] for r in rows if r['type_head_auroc_by_floor']]):.3f}"
              for name in ("calibrated", "logit(0.05)", "none")) + ". "
          f"Unrelated claims ({'UNRELATED3' if args.set == 'fresh3' else 'UNRELATED2'}) read "
          f"as a trained difference: {len(unrelated_read)}/{len(unrelated)} {unrelated_read}. "
          f"Model: {_model_name(args.model)}; wording set {args.set}; "
          f"{time.perf_counter() - t_all:.0f} s.")
    if args.json:
        out = {
            "model": _model_name(args.model),
            "settings": {"types": len(rows), "n_per_side": args.n_per_side, "seed": args.seed,
                         "s": args.s, "size": args.size, "base": args.base, "split": "heldout",
                         "tolerance": HOLD_TOLERANCE},
            "types": rows,
            "n_hold": n_hold,
            "n_not_worse": n_not_worse,
            "n_head_hold": n_head_hold,
            "n_read": n_read,
            "n_read_right": n_read_right,
            "n_refused": n_refused,
            "mean_gap": mean_gap,
            "mean_abs_gap": mean_abs_gap,
            "wording_set": args.set,
            "unrelated_read": unrelated_read,
        }
        Path(args.json).write_text(json.dumps(out, indent=1), encoding="utf-8")
        print(f"wrote {args.json}", file=sys.stderr)


# -- reading: how free wordings are mapped onto trained differences --------------------------------

# Wordings for tuning READ_AS_SIMILARITY / READ_AS_MARGIN (tellapart.propose.learned), written
# apart from FRESH (the open-vocabulary test never tunes anything): `check_dev` asserts both
# are new to training and disjoint from each other.
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


def cmd_reading(args: argparse.Namespace) -> None:
    """Development-set table of READ_AS_SIMILARITY x READ_AS_MARGIN.

    Positives: each type's held-out scorer phrase (kept out of scorer training, so the
    adapter never saw it), read against a bank *without* the held-out phrases, as at
    training time; plus DEV_WORDINGS, read against the full bank. Negatives: DEV_UNRELATED.
    A reading is right when it names the type the wording was written for.
    """
    from tellapart.propose import learned as lp
    from tellapart.synth.differences import DIFFERENCES
    from tellapart.train.data import type_info

    _set_threads(args.threads)
    model = _load_model(args.model)
    fresh = {_norm(p) for ps in FRESH.values() for p in ps}
    assert not fresh & {_norm(w) for w in [*DEV_WORDINGS.values(), *DEV_UNRELATED]}, \
        "development wordings overlap the open-vocabulary test"
    known = training_texts(model)
    in_training = [w for w in [*DEV_WORDINGS.values(), *DEV_UNRELATED] if _norm(w) in known]
    assert not in_training, f"development wordings that are training texts: {in_training}"

    def bank(holdout: bool) -> tuple[list[str], list[str], np.ndarray]:
        # as `reading_phrases` builds it: trained phrases, then the written wordings
        owners, phrases = [], []
        for tid in model.type_ids:
            info = type_info(DIFFERENCES.create(tid), holdout_paraphrase=holdout)
            owners += [tid] * len(info.reading_phrases)
            phrases += info.reading_phrases
        return owners, phrases, model.text_embeddings(phrases)

    def nearest(owners: list[str], phrases: list[str], emb: np.ndarray,
                text: str) -> tuple[str, float, float]:
        # the rule `read_as_trained` applies, before its thresholds
        r = lp.nearest_type(owners, phrases, emb @ model.text_embeddings([text])[0])
        return r.type_id, r.similarity, r.margin

    train_bank, full_bank = bank(True), bank(False)
    positives: list[tuple[str, str, tuple[str, float, float]]] = []
    for tid in model.type_ids:
        for phrase in type_info(DIFFERENCES.create(tid), holdout_paraphrase=True).heldout_phrases:
            positives.append((tid, phrase, nearest(*train_bank, phrase)))
    for tid, phrase in DEV_WORDINGS.items():
        if tid in model.type_ids:
            positives.append((tid, phrase, nearest(*full_bank, phrase)))
    negatives = [(w, nearest(*full_bank, w)) for w in DEV_UNRELATED]
    print(f"| similarity >= | margin >= | wordings read (of {len(positives)}) | read right "
          f"| read wrong | unrelated claims read (of {len(negatives)}) |")
    print("|---|---|---|---|---|---|")
    for tau in (0.6, 0.65, 0.7, 0.75, 0.8, 0.85):
        for margin in (0.0, 0.05, 0.1):
            read = [(tid, r) for tid, _, r in positives if r[1] >= tau and r[2] >= margin]
            right = sum(tid == r[0] for tid, r in read)
            neg = sum(r[1] >= tau and r[2] >= margin for _, r in negatives)
            mark = " (thresholds in use)" if (tau, margin) == (lp.READ_AS_SIMILARITY, lp.READ_AS_MARGIN) else ""
            print(f"| {tau}{mark} | {margin} | {len(read)} | {right} | {len(read) - right} | {neg} |")
    # the whole rule of read_as_trained: the thresholds in use plus the opposite margin
    def full_rule(owners: list[str], phrases: list[str], emb: np.ndarray, text: str) -> str | None:
        found = lp.nearest_and_opposite(owners, phrases, emb @ model.text_embeddings([text])[0])
        reading = lp.reading_from(*found)
        return None if reading is None else reading.type_id

    holdout_phrases = {p for t in model.type_ids
                       for p in type_info(DIFFERENCES.create(t), holdout_paraphrase=True).heldout_phrases}
    full = [(tid, full_rule(*(train_bank if phrase in holdout_phrases else full_bank), phrase))
            for tid, phrase, _ in positives]
    full_neg = [full_rule(*full_bank, w) for w in DEV_UNRELATED]
    n_full = sum(got is not None for _, got in full)
    print(f"| {lp.READ_AS_SIMILARITY} with the opposite margin {lp.OPPOSITE_MARGIN} (in use) | "
          f"{lp.READ_AS_MARGIN} | {n_full} | {sum(t == got for t, got in full)} | "
          f"{sum(got is not None and t != got for t, got in full)} | "
          f"{sum(got is not None for got in full_neg)} |")
    print()
    print("Wordings at the thresholds in use:")
    for tid, phrase, (got, sim, margin) in positives:
        ok = sim >= lp.READ_AS_SIMILARITY and margin >= lp.READ_AS_MARGIN
        print(f"- {tid}: {phrase!r} -> {got if ok else 'not read'} (nearest {got}, "
              f"similarity {sim:.2f}, margin {margin:.2f})")
    # the written wordings against the bank that holds them: each should be read as its own type
    own = other = total = 0
    for tid in model.type_ids:
        for wording in DIFFERENCES.create(tid).wordings:
            reading = lp.read_as_trained(model, wording)
            total += 1
            own += reading is not None and reading.type_id == tid
            other += reading is not None and reading.type_id != tid
    print(f"Written wordings read as their own type: {own} of {total}; as another type: {other}.")
    # the shipped rule whole (similarity, then direction), on the wordings the bank lacks
    dev = [(tid, lp.read_as_trained(model, phrase)) for tid, phrase in DEV_WORDINGS.items()
           if tid in model.type_ids]
    by_direction = [(tid, r) for tid, r in dev if r is not None and r.direction is not None]
    unrelated = [w for w in DEV_UNRELATED if lp.read_as_trained(model, w) is not None]
    print(f"read_as_trained (with the direction rule, DIRECTION_CONFIDENCE "
          f"{lp.DIRECTION_CONFIDENCE}): {sum(r is not None for _, r in dev)} of {len(dev)} "
          f"DEV_WORDINGS read, {sum(r is not None and r.type_id == t for t, r in dev)} right, "
          f"{len(by_direction)} by direction ({sum(r.type_id == t for t, r in by_direction)} right); "
          f"unrelated claims read: {len(unrelated)} of {len(DEV_UNRELATED)} {unrelated}.")
    print(f"Model: {_model_name(args.model)}.")


# -- opposites: typed claims tested on sets that show the opposite --------------------------------

OPPOSITE_TESTS = (("darker", "brighter"), ("warmer", "cooler"), ("lower_contrast", "higher_contrast"))


def cmd_opposites(args: argparse.Namespace) -> None:
    """A claim of a type with an opposite, typed in 9 fresh wordings, tested on held-out sets
    that show the type and on sets that show its opposite.

    On the opposite a claim should score AUROC below 0.5 (the test then finds nothing or
    flags it contradicted); a wording scored above it would be confirmed against the data.
    """
    from tellapart.synth import DiffSpec, make_task
    from tellapart.synth.differences import create_difference
    from tellapart.verify.learned import LearnedScorer

    _set_threads(args.threads)
    model = _load_model(args.model)
    scorer = LearnedScorer(model)
    print("| claim type | set A shows | canonical sentence | 9 fresh wordings (FRESH, FRESH2, FRESH3): "
          "AUROC, * = read as a trained difference, refused | wordings at AUROC >= 0.6 |")
    print("|---|---|---|---|---|")
    n_wrong = n_unread = 0
    for k, (claim_type, opposite) in enumerate(OPPOSITE_TESTS):
        wordings = [p for fresh in (FRESH, FRESH2, FRESH3) for p in fresh[claim_type]]
        texts = [create_difference(claim_type).sentence, *(typed_sentence(p) for p in wordings)]
        hyps = [scorer.interpret(text) for text in texts]
        for shown in (claim_type, opposite):
            task = make_task([DiffSpec(shown, s=0.8)], n_per_side=100, size=128, base="mixed",
                             seed=args.seed * 1000 + 777 + k, task_id=f"opposite-{shown}",
                             split="heldout")
            images = np.stack([*task.images_a, *task.images_b])
            is_a = np.arange(len(images)) < len(task.images_a)
            aucs = typed_aurocs(model, model.embed(images), is_a, hyps)
            cells = []
            for j in range(1, len(texts)):
                hyp, a = hyps[j], aucs[j]
                if hyp is None:
                    cells.append("refused")
                else:
                    cells.append(f"{a:.2f}{'*' if hyp.params.get('read_as') or hyp.concept.startswith('diff:') else ''}")
            high = sum(1 for j in range(1, len(texts)) if aucs[j] >= 0.6)
            if shown == opposite:
                n_wrong += high
                n_unread += sum(1 for j in range(1, len(texts))
                                if hyps[j] is not None and not hyps[j].concept.startswith("diff:"))
            print(f"| {claim_type} | {shown} | {aucs[0]:.3f} | {' '.join(cells)} | "
                  f"{high if shown == opposite else '-'} |")
    print()
    print(f"Wordings scored AUROC >= 0.6 on sets showing the opposite: {n_wrong} of 27 "
          f"({n_unread} tested by the image-text head). Model: {_model_name(args.model)}.")


# -- direction: can a probe on the text side tell a two-way wording's direction? ---------------------


def cmd_direction(args: argparse.Namespace) -> None:
    """The direction probe of ``tellapart.propose.learned.direction_probability``, checked.

    For each pair of types that are each other's ``opposite``: 10-fold cross-validated
    accuracy of the same logistic regression (``DIRECTION_C``) on the pair's reading phrases,
    the share of phrases it is sure of (``DIRECTION_CONFIDENCE``) and its accuracy on those;
    then the probe fitted on all of them (as shipped) on the development paraphrases of FRESH
    and FRESH2 of either type.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from tellapart.propose import learned as lp
    from tellapart.synth.differences import DIFFERENCES
    from tellapart.train.data import type_info

    _set_threads(args.threads)
    model = _load_model(args.model)
    pairs = sorted({tuple(sorted((t, DIFFERENCES.create(t).opposite))) for t in model.type_ids
                    if DIFFERENCES.create(t).opposite})
    sure = lp.DIRECTION_CONFIDENCE
    print(f"| pair | phrases | 10-fold accuracy | sure (p >= {sure} either way) | right when sure "
          "| FRESH/FRESH2 paraphrases: right | sure | right when sure |")
    print("|---|---|---|---|---|---|---|---|")
    for first, second in pairs:
        phrases = {t: type_info(DIFFERENCES.create(t), holdout_paraphrase=False).reading_phrases
                   for t in (first, second)}
        texts = phrases[first] + phrases[second]
        labels = np.array([1] * len(phrases[first]) + [0] * len(phrases[second]))
        emb = model.text_embeddings(texts)
        folds = StratifiedKFold(n_splits=10, shuffle=True, random_state=args.seed)
        p = cross_val_predict(LogisticRegression(C=lp.DIRECTION_C, max_iter=5000), emb, labels,
                              cv=folds, method="predict_proba")[:, 1]
        right = (p > 0.5) == labels
        is_sure = np.maximum(p, 1 - p) >= sure
        dev = [(w, t) for fresh in (FRESH, FRESH2) for t in (first, second) for w in fresh.get(t, ())]
        dev_p = [lp.direction_probability(model, parse_phrase(w), first) for w, _ in dev]
        dev_right = [(q > 0.5) == (t == first) for q, (_, t) in zip(dev_p, dev, strict=True)]
        dev_sure = [max(q, 1 - q) >= sure for q in dev_p]
        print(f"| {first} / {second} | {len(texts)} | {right.mean():.3f} | {is_sure.mean():.2f} | "
              f"{right[is_sure].sum()}/{is_sure.sum()} | {sum(dev_right)}/{len(dev)} | "
              f"{sum(dev_sure)} | {sum(r for r, s in zip(dev_right, dev_sure, strict=True) if s)}/{sum(dev_sure)} |")
    print(f"Model: {_model_name(args.model)}.")


def parse_phrase(wording: str) -> str:
    """The per-image phrase of a test wording, as the learned scorer reads it typed as a claim."""
    from tellapart.models.text import parse_claim

    return parse_claim(typed_sentence(wording)).phrase


# -- floor-activity: is the detector at rest on the set a claim does not name? -----------------------


def cmd_floor_activity(args: argparse.Namespace) -> None:
    """For every significant trained-difference claim of a ``tellapart bench`` output: the share
    of the *other* set's images (all of them, seen whole) whose type logit is above the
    claim's floor, split by whether the claim named a true difference and whether it led its
    task. The evidence for ``tellapart.verify.verifier.OTHER_SET_ABOVE_FLOOR``."""
    import json

    from PIL import Image

    from tellapart.propose.learned import type_floor_logits

    _set_threads(args.threads)
    model = _load_model(args.model)
    floors = type_floor_logits(model)
    rows: list[tuple[str, str, str, bool, bool, float]] = []
    for results in sorted(Path(args.bench).glob("*/results.jsonl")):
        suite = results.parent.name
        for line in results.read_text().splitlines():
            task = json.loads(line)
            significant = [f for f in task["findings"] if f["significant"]]
            claims = [f for f in significant if f["concept"].startswith("diff:")]
            if not claims:
                continue
            folder = results.parent / "tasks" / task["task_id"]
            logits = {}
            for side in ("a", "b"):
                images = np.stack([np.asarray(Image.open(f).convert("RGB"))
                                   for f in sorted((folder / side).glob("*.png"))])
                logits[side.upper()] = model.type_logits(model.embed(images))  # (N, T)
            for f in claims:
                k = model.type_index(f["concept"])
                assert k is not None, f["concept"]
                other = logits["B" if f["more_in"] == "A" else "A"][:, k]
                rows.append((suite, task["task_id"], f["concept"], bool(f["correct"]),
                             f is significant[0], float(np.mean(other > floors[k]))))
    print("| claims | n | other set above the floor on <= 10 % | 10-50 % | > 50 % |")
    print("|---|---|---|---|---|")
    for name, keep in (("name a true difference", lambda r: r[3]),
                       ("name none", lambda r: not r[3]),
                       ("name none and lead their task", lambda r: not r[3] and r[4])):
        sel = [r[5] for r in rows if keep(r)]
        print(f"| {name} | {len(sel)} | {sum(v <= 0.1 for v in sel)} | "
              f"{sum(0.1 < v <= 0.5 for v in sel)} | {sum(v > 0.5 for v in sel)} |")
    print()
    for suite, task_id, concept, correct, first, share in rows:
        if share > 0.5:
            print(f"- {suite} {task_id} {concept}: other set above the floor on {share:.0%}"
                  f"{', leads its task' if first else ''}{', names a true difference' if correct else ''}")
    print(f"Model: {_model_name(args.model)}; bench output {args.bench}.")


# -- ceiling: what the verifier could confirm with a perfect detector ------------------------------


def cmd_ceiling(args: argparse.Namespace) -> None:
    """Oracle and type-head-only accuracies on tasks written by ``tellapart bench``.

    For every task folder under ``--tasks`` (``BENCH_OUT/<suite>/tasks``):

    - oracle: a perfect per-image detector of each true difference (1 on the images the
      difference was applied to, 0 elsewhere, from ``truth.json``), tested with the
      verifier's own held-out design (two folds, one-sided Mann-Whitney on each held-out
      fold, ``p = 2 min_h p_h``, Benjamini-Hochberg over the true differences at 0.05). A
      task counts when any true difference is significant; multi-difference recall counts
      every significant one. Only true claims are tested, so this bounds what any proposer
      and scorer can reach under this verifier at this sample size.
    - type head, all types on all images: every trained type in both directions (one-sided
      Mann-Whitney on the floored type-head logits, as the learned scorer scores them), BH
      over all of them at ``--alpha``; top-1 / top-5 by AUROC among the significant ones.
    """
    from PIL import Image

    from tellapart import stats
    from tellapart.propose.learned import type_floor_logits
    from tellapart.verify.verifier import cross_fit_p_value, split_folds

    _set_threads(args.threads)
    model = _load_model(args.model)
    floors = type_floor_logits(model)
    rows: list[dict[str, Any]] = []
    for task_dir in sorted(Path(args.tasks).iterdir()):
        truth_file = task_dir / "truth.json"
        if not truth_file.is_file():
            continue
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        if not truth["differences"]:
            continue
        n = int(truth["n_per_side"])
        files = [f"a/{i:04d}.png" for i in range(n)] + [f"b/{i:04d}.png" for i in range(n)]
        is_a = np.arange(2 * n) < n
        folds = split_folds(is_a, 0)
        oracle_p = []
        for d in truth["differences"]:
            hit = set(d["affected"])
            score = np.array([1.0 if f in hit else 0.0 for f in files])
            more = is_a if d["target"] == "A" else ~is_a
            fold_p = [stats.mannwhitney_p(score[more & (folds == h)], score[~more & (folds == h)],
                                          "greater") for h in range(2)]
            oracle_p.append(cross_fit_p_value(fold_p))
        oracle_sig = stats.benjamini_hochberg(oracle_p) <= 0.05
        images = np.stack([np.asarray(Image.open(task_dir / f).convert("RGB")) for f in files])
        logits = np.maximum(model.type_logits(model.embed(images)), floors)  # (2n, T)
        keys, ps, aucs = [], [], []
        for k, tid in enumerate(model.type_ids):
            for side in "AB":
                more = is_a if side == "A" else ~is_a
                x, y = logits[more, k], logits[~more, k]
                keys.append((tid, side))
                ps.append(stats.mannwhitney_p(x, y, "greater"))
                aucs.append(stats.auroc(x, y))
        q = stats.benjamini_hochberg(ps)
        top = [keys[i] for i in np.argsort(-np.array(aucs), kind="stable") if q[i] <= args.alpha][:5]
        true = {(d["type_id"], d["target"]) for d in truth["differences"]}
        rows.append({"task": task_dir.name, "n_true": len(true), "oracle": bool(oracle_sig.any()),
                     "oracle_recall": float(oracle_sig.mean()),
                     "type_acc1": bool(top) and top[0] in true,
                     "type_acc5": any(t in true for t in top),
                     "type_recall5": len(true & set(top)) / len(true)})
    multi = [r for r in rows if r["n_true"] > 1]

    def mean(key: str, of: list[dict[str, Any]]) -> str:
        return f"{np.mean([r[key] for r in of]):.3f}" if of else "n/a"

    print(f"| tasks ({args.tasks}) | n | oracle Acc@1 | oracle recall (multi) | type head, all types "
          f"on all images: Acc@1 | Acc@5 | recall@5 (multi) |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {Path(args.tasks).parent.name} | {len(rows)} | {mean('oracle', rows)} "
          f"| {mean('oracle_recall', multi)} | {mean('type_acc1', rows)} | {mean('type_acc5', rows)} "
          f"| {mean('type_recall5', multi)} |")
    print(f"Model: {_model_name(args.model)}; type-head family at alpha {args.alpha}.")


# -- independent: edits written here with PIL, on held-out photographs ------------------------------


def _edit_red_box(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageDraw

    w, h = img.size
    side = max(4, int(0.12 * w))
    x, y = int(rng.integers(0, w - side)), int(rng.integers(0, h - side))
    out = img.copy()
    ImageDraw.Draw(out).rectangle([x, y, x + side, y + side], fill=(220, 20, 20))
    return out


def _edit_text(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageDraw

    out = img.copy()
    w, h = img.size
    ImageDraw.Draw(out).text((int(rng.integers(2, w // 3)), int(rng.integers(h // 3, 2 * h // 3))),
                             "SAMPLE", fill=(255, 255, 255))
    return out


def _edit_jpeg(img: Any, rng: np.random.Generator) -> Any:
    import io

    from PIL import Image

    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=8)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _edit_darker(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageEnhance

    return ImageEnhance.Brightness(img).enhance(0.55)


def _edit_gray(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageOps

    return ImageOps.grayscale(img).convert("RGB")


def _edit_blur(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageFilter

    return img.filter(ImageFilter.GaussianBlur(2.0))


def _edit_upside_down(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageOps

    return ImageOps.flip(img)


def _edit_black_border(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageOps

    w, h = img.size
    return ImageOps.expand(img.resize((w - 16, h - 16)), border=8, fill=(0, 0, 0))


# (edit, its function, the synth difference types that count as naming it, judged by the
# benchmark's judge exactly as `tellapart bench` judges findings). Fixed before the first run.
INDEPENDENT_EDITS: list[tuple[str, Callable[[Any, np.random.Generator], Any], tuple[str, ...]]] = [
    ("small red square (PIL rectangle)", _edit_red_box,
     ("tiny_rectangles", "occluding_patch", "stamp")),
    ("white text 'SAMPLE' (PIL default font)", _edit_text, ("text_watermark",)),
    ("JPEG quality 8 (PIL)", _edit_jpeg, ("jpeg",)),
    ("darker, brightness x0.55 (PIL ImageEnhance)", _edit_darker, ("darker",)),
    ("grayscale (PIL ImageOps)", _edit_gray, ("grayscale", "less_saturated")),
    ("Gaussian blur radius 2 (PIL)", _edit_blur, ("blur",)),
    ("upside down (PIL ImageOps.flip)", _edit_upside_down, ("upside_down",)),
    ("8 px black border (PIL ImageOps.expand)", _edit_black_border, ("frame",)),
]


def _more_edits() -> list[tuple[str, Callable[[Any, np.random.Generator], Any], tuple[str, ...]]]:
    # 12 more edits, written in session 5 by a writer who never saw the synth code (and fixed,
    # with the types that count as naming them, before the first run)
    sys.path.insert(0, str(Path(__file__).parent))
    from independent_edits_more import MORE_EDITS

    return list(MORE_EDITS)


def _third_edits() -> list[tuple[str, Callable[[Any, np.random.Generator], Any], tuple[str, ...]]]:
    # 16 edits written in session 7 by a writer who saw no file of the repository (and fixed,
    # with the types that count as naming them, before the first run): a test set only
    sys.path.insert(0, str(Path(__file__).parent))
    from independent_edits_third import THIRD_EDITS

    return list(THIRD_EDITS)


def cmd_independent(args: argparse.Namespace) -> None:
    """`compare` on held-out photographs changed by edits written here with PIL, not by synth.

    Set A and set B are different crops of the held-out bundled photographs
    (``BaseSampler("photos", split="heldout")``); every set-A image gets the edit. Default
    proposers (learned + measurements). A row names the first significant finding and
    whether the benchmark's judge matches it to one of the difference types listed for that
    edit (fixed before the first run).
    """
    from PIL import Image

    from tellapart import compare
    from tellapart.bench.judge import Judge, Truth
    from tellapart.synth.bases import BaseSampler
    from tellapart.synth.differences import create_difference

    judge = Judge()
    edits = {"original": INDEPENDENT_EDITS, "more": _more_edits(), "third": _third_edits(),
             "all": [*INDEPENDENT_EDITS, *_more_edits()]}[args.edits]

    sampler = BaseSampler("photos", args.size, "heldout")
    print(f"| edit on set A ({args.n_per_side} held-out photo crops per side, {args.size} px) "
          "| first significant finding | concept | AUROC | proposer | names the edit "
          "| first finding naming it (rank, AUROC) |")
    print("|---|---|---|---|---|---|---|")
    n_first = n_any = 0
    with tempfile.TemporaryDirectory(prefix="tellapart_indep_") as tmp:
        for k, (name, edit, accepted) in enumerate(edits):
            folders = {side: Path(tmp) / f"edit{k}" / side for side in "ab"}
            for side_no, (side, folder) in enumerate(folders.items()):
                folder.mkdir(parents=True)
                for i in range(args.n_per_side):
                    rng = np.random.default_rng([args.seed, k, side_no, i])
                    img = Image.fromarray(sampler.sample(rng)[0]).convert("RGB")
                    if side == "a":
                        img = edit(img, rng)
                    img.save(folder / f"{i:04d}.png")
            report = compare(folders["a"], folders["b"], progress=False, cache="", jobs=args.jobs,
                             seed=args.seed, quarter_views=not args.whole_only)
            truths = []
            for tid in accepted:
                diff = create_difference(tid)
                truths.append(Truth(tid, "A", diff.sentence, tuple(diff.paraphrases), diff.phrase))
            sig = [f for f in report.findings if f.significant]
            hits = [r for r, f in enumerate(sig, start=1)
                    if any(judge.judge(f.description, f.more_in, t, f.concept).match for t in truths)]
            n_first += bool(hits) and hits[0] == 1
            n_any += bool(hits)
            top = sig[0] if sig else None
            print(f"| {name} | {top.description if top else 'none'} | {top.concept if top else ''} "
                  f"| {f'{top.auroc:.3f}' if top else ''} | {top.proposer if top else ''} "
                  f"| {'yes' if hits and hits[0] == 1 else 'no'} | "
                  + (f"{sig[hits[0] - 1].description} ({hits[0]}, {sig[hits[0] - 1].auroc:.3f})"
                     if hits else "none") + " |",
                  flush=True)
    print()
    print(f"{n_first}/{len(edits)} edits named by the first significant finding, "
          f"{n_any}/{len(edits)} by some significant finding. Model: "
          f"{_model_name(args.model)}.")


def _caption(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageDraw, ImageFont

    w, h = img.size
    font = ImageFont.load_default(size=int(rng.integers(14, 19)))
    xy = (int(rng.integers(5, w - 90)), int(rng.integers(5, h - 25)))
    ImageDraw.Draw(img).text(xy, "SAMPLE", fill=(255, 255, 255), font=font)
    return img


def _red_square(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageDraw

    w, h = img.size
    side = int(rng.integers(9, 13))
    x, y = int(rng.integers(0, w - side)), int(rng.integers(0, h - side))
    ImageDraw.Draw(img).rectangle([x, y, x + side, y + side], fill=(230, 20, 20))
    return img


def _dots(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageDraw

    draw, (w, h), r = ImageDraw.Draw(img), img.size, 3
    for _ in range(int(rng.integers(5, 9))):
        x, y = int(rng.integers(r, w - r)), int(rng.integers(r, h - r))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    return img


def _corner_logo(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageDraw, ImageFont

    del rng
    draw, (w, h), side = ImageDraw.Draw(img), img.size, 22
    draw.ellipse([w - side - 6, h - side - 6, w - 6, h - 6], outline=(255, 255, 255), width=2)
    draw.text((w - side + 1, h - side - 2), "C", fill=(255, 255, 255),
              font=ImageFont.load_default(size=14))
    return img


SMALL_MARKS: list[tuple[str, Callable[[Any, np.random.Generator], Any], tuple[str, ...]]] = [
    ("white 'SAMPLE' caption, 14-18 px font", _caption, ("text_watermark",)),
    ("red square, 9-12 px", _red_square, ("tiny_rectangles", "occluding_patch", "stamp")),
    ("5-8 coloured dots, radius 3 px", _dots, ("circles",)),
    ("22-px circle logo in the bottom-right corner", _corner_logo, ("stamp", "corner_marker")),
]


def cmd_small_marks(args: argparse.Namespace) -> None:
    """Marks of a fixed pixel size on photographs larger than the model's input."""
    from PIL import Image

    from tellapart import compare
    from tellapart.bench.judge import Judge, Truth
    from tellapart.synth.bases import BaseSampler
    from tellapart.synth.differences import create_difference

    judge = Judge()
    print("| size | mark on set A | repeat | first significant finding | AUROC | names the mark "
          "| first finding naming it (rank, AUROC) |")
    print("|---|---|---|---|---|---|---|")
    totals = {size: [0, 0, 0] for size in args.sizes}
    for size in args.sizes:
        sampler = BaseSampler("photos", size, "heldout")
        for k, (name, edit, accepted) in enumerate(SMALL_MARKS):
            truths = []
            for tid in accepted:
                diff = create_difference(tid)
                truths.append(Truth(tid, "A", diff.sentence, tuple(diff.paraphrases), diff.phrase))
            for rep in range(args.reps):
                with tempfile.TemporaryDirectory(prefix="tellapart_marks_") as tmp:
                    for side_no, side in enumerate("ab"):
                        folder = Path(tmp) / side
                        folder.mkdir()
                        for i in range(args.n_per_side):
                            rng = np.random.default_rng([5, rep, k, side_no, i])
                            img = Image.fromarray(sampler.sample(rng)[0]).convert("RGB")
                            if side == "a":
                                img = edit(img, rng)
                            img.save(folder / f"{i:04d}.png")
                    report = compare(Path(tmp) / "a", Path(tmp) / "b", progress=False, cache="",
                                     jobs=args.jobs, seed=rep, quarter_views=not args.whole_only)
                sig = [f for f in report.findings if f.significant]
                hits = [r for r, f in enumerate(sig, start=1)
                        if any(judge.judge(f.description, f.more_in, t, f.concept).match for t in truths)]
                totals[size][0] += 1
                totals[size][1] += bool(hits) and hits[0] == 1
                totals[size][2] += bool(hits)
                top = sig[0] if sig else None
                print(f"| {size} | {name} | {rep} | {top.description if top else 'none'} "
                      f"| {f'{top.auroc:.3f}' if top else ''} | {'yes' if hits and hits[0] == 1 else 'no'} | "
                      + (f"{sig[hits[0] - 1].description} ({hits[0]}, {sig[hits[0] - 1].auroc:.3f})"
                         if hits else "none") + " |", flush=True)
    print()
    for size, (n, first, anywhere) in totals.items():
        print(f"{size} px: {first}/{n} named by the first significant finding, {anywhere}/{n} by "
              f"some significant finding" + (" (whole images only)" if args.whole_only else "")
              + f". Model: {_model_name(args.model)}.")


# -- scale -----------------------------------------------------------------------------------------


def _best_of(repeats: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(max(1, repeats)):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def cmd_scale(args: argparse.Namespace) -> None:
    import torch

    _set_threads(args.threads)
    model = _load_model(args.model)
    dim = model.config.embed_dim
    rng = np.random.default_rng(args.seed)

    images = rng.integers(0, 256, size=(256, 128, 128, 3), dtype=np.uint8)
    model.embed(images[:16])  # warm-up
    enc_s = _best_of(args.repeats, lambda: model.embed(images))
    enc_rate = len(images) / enc_s

    rows: list[tuple[int, float, float]] = []
    for n in args.sizes:
        ea = rng.standard_normal((n, dim)).astype(np.float32)
        eb = rng.standard_normal((n, dim)).astype(np.float32)
        ta, tb = torch.from_numpy(ea)[None], torch.from_numpy(eb)[None]

        def run_compare(ta: torch.Tensor = ta, tb: torch.Tensor = tb) -> None:
            with torch.no_grad():
                model.compare(ta, tb)

        def run_describe(ea: np.ndarray = ea, eb: np.ndarray = eb) -> None:
            model.describe(ea, eb, n=8)

        run_compare()  # warm-up (allocations of this size)
        cmp_s = _best_of(args.repeats, run_compare)
        desc_s = _best_of(args.repeats, run_describe)
        rows.append((n, cmp_s, desc_s))
        print(f"n={n}: compare {cmp_s:.4f} s, describe {desc_s:.4f} s", file=sys.stderr)

    ns = np.array([r[0] for r in rows], dtype=np.float64)
    cs = np.array([r[1] for r in rows], dtype=np.float64)
    slope, intercept = (np.polyfit(ns, cs, 1) if len(rows) >= 2 else (float("nan"), float("nan")))
    pred = slope * ns + intercept
    ss_res = float(np.sum((cs - pred) ** 2))
    ss_tot = float(np.sum((cs - cs.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")

    threads = torch.get_num_threads()
    print(f"| images per side n (random {dim}-d embeddings, {threads} torch thread(s), best of "
          f"{args.repeats}) | comparator s | comparator s per 1000 images (2n in all) "
          "| describe(n=8) s (comparator + beam search) |")
    print("|---|---|---|---|")
    for n, cmp_s, desc_s in rows:
        print(f"| {n} | {cmp_s:.4f} | {cmp_s / (2 * n) * 1000:.4f} | {desc_s:.3f} |")
    print()
    print(f"linear fit of comparator seconds vs n: {slope * 1000:.4f} s per 1000 images per side "
          f"({slope * 500:.4f} s per 1000 images in all) + {intercept:.4f} s; R^2 = {r2:.4f}.")
    print(f"encoder: {enc_rate:.0f} images/s (256 random 128x128 uint8 images, best of "
          f"{args.repeats}; {1000 / enc_rate:.2f} s per 1000 images). Model: {_model_name(args.model)}.")

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5.5, 4.0), dpi=120)
        ax.loglog(ns, cs, "o", label="comparator (measured)")
        ax.loglog(ns, [r[2] for r in rows], "s", label="describe, n=8 (measured)")
        grid = np.geomspace(ns.min(), ns.max(), 100)
        fit = slope * grid + intercept
        ok = fit > 0
        ax.loglog(grid[ok], fit[ok], "-",
                  label=f"linear fit: {slope * 1000:.3g} s/1000 per side + {intercept:.3g} s "
                        f"(R$^2$={r2:.3f})")
        ax.set_xlabel("images per side")
        ax.set_ylabel(f"seconds (best of {args.repeats})")
        ax.set_title(f"Set comparator cost, {threads} CPU thread(s)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(args.plot)
        plt.close(fig)
        print(f"wrote {args.plot}", file=sys.stderr)


# -- cold ------------------------------------------------------------------------------------------


def cmd_cold(args: argparse.Namespace) -> None:
    from tellapart.models.shipped import ENV_VAR, META_FILE, WEIGHTS_FILE, describer_dir
    from tellapart.synth import DiffSpec, make_task, write_task
    from tellapart.synth.differences import DIFFERENCES

    env = dict(os.environ)
    if args.model:
        env[ENV_VAR] = str(Path(args.model).resolve())  # the CLI's learned parts load this folder
    folder = Path(env[ENV_VAR]).expanduser() if env.get(ENV_VAR, "").strip() else describer_dir()
    proposers: list[str] = [p for item in args.proposers for p in re.split(r"[,\s]+", item) if p]
    uses_model = "learned" in proposers
    if uses_model and not ((folder / META_FILE).is_file() and (folder / WEIGHTS_FILE).is_file()):
        raise SystemExit(f"the learned proposer needs describer weights in {folder}; none are "
                         "there (pass --model FOLDER, or use --proposers measurements)")
    if args.difference not in DIFFERENCES:
        raise SystemExit(f"unknown difference {args.difference!r}; known: {', '.join(DIFFERENCES.list())}")

    with tempfile.TemporaryDirectory(prefix="tellapart_cold_") as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        task = make_task([DiffSpec(args.difference, s=args.s)], n_per_side=args.n, size=args.size,
                         base=args.base, seed=args.seed, task_id="cold")
        task_dir = write_task(task, root / "task", contact_sheet=False)
        gen_s = time.perf_counter() - t
        report_path = root / "report.json"
        cmd = [sys.executable, "-m", "tellapart", "compare", str(task_dir / "a"), str(task_dir / "b"),
               "--proposers", *proposers, "--no-cache", "--json", str(report_path), "--quiet",
               "--jobs", str(args.jobs), *(["--whole-images-only"] if args.whole_only else [])]
        if args.threads > 0:
            for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
                env[var] = str(args.threads)
        print("$ " + " ".join(cmd), file=sys.stderr)
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
        wall_s = time.perf_counter() - t
        if proc.returncode != 0:
            raise SystemExit(f"compare failed ({proc.returncode}): "
                             f"{(proc.stderr or proc.stdout).decode()[-2000:]}")
        report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))

    n_imgs = report["set_a"]["n_images"] + report["set_b"]["n_images"]
    timing = report.get("timing_s", {})
    print(f"| `tellapart compare`, cold (--no-cache, new process), {report['set_a']['n_images']} + "
          f"{report['set_b']['n_images']} PNG {args.size}x{args.size}, one difference "
          f"({args.difference}, s={args.s}), proposers {' '.join(proposers)}, --jobs {args.jobs}"
          + (" --whole-images-only" if args.whole_only else "") + " | wall s | images/s | generation s |")
    print("|---|---|---|---|")
    print(f"| | {wall_s:.1f} | {n_imgs / wall_s:.0f} | {gen_s:.1f} |")
    if timing:
        print()
        print("stage seconds from the report: " + ", ".join(f"{k} {v:.2f}" for k, v in timing.items()))
    print()
    top = report["findings"][:args.top]
    print("| rank | finding | concept | more in | AUROC | q | significant | proposer |")
    print("|---|---|---|---|---|---|---|---|")
    for f in top:
        print(f"| {f['rank']} | {f['description']} | {f['concept']} | {f['more_in']} "
              f"| {f['auroc']:.3f} | {f['q_value']:.2g} | {'yes' if f['significant'] else 'no'} "
              f"| {f['proposer']} |")
    if not top:
        print("| - | (no findings) | | | | | | |")
    n_sig = sum(1 for f in report["findings"] if f["significant"])
    true_key = f"diff:{args.difference}"
    hit = next((f for f in report["findings"]
                if f["concept"] == true_key or f["concept"].startswith(true_key + ":")), None)
    print()
    if uses_model:
        print(f"the injected difference as a learned concept ({true_key}): "
              + (f"rank {hit['rank']}, AUROC {hit['auroc']:.3f}, "
                 f"{'significant' if hit['significant'] else 'not significant'}"
                 if hit else "not among the findings"))
    print(f"{n_sig} significant of {len(report['findings'])} findings; truth: "
          f"{'; '.join(task.sentences)}."
          + (f" Describer: {folder}." if uses_model else ""))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name, fn in (("openvocab", cmd_openvocab), ("reading", cmd_reading), ("ceiling", cmd_ceiling),
                     ("independent", cmd_independent), ("scale", cmd_scale), ("cold", cmd_cold),
                     ("opposites", cmd_opposites), ("small-marks", cmd_small_marks),
                     ("floor-activity", cmd_floor_activity), ("direction", cmd_direction)):
        p = sub.add_parser(name)
        p.set_defaults(func=fn)
        p.add_argument("--model", default=None,
                       help="saved describer folder (default: the shipped weights)")
        p.add_argument("--threads", type=int, default=0,
                       help="torch threads (0: library default)")
        p.add_argument("--seed", type=int, default=0)
    ov = sub.choices["openvocab"]
    ov.add_argument("--types", type=int, default=20)
    ov.add_argument("--n-per-side", type=int, default=100)
    ov.add_argument("--s", type=float, default=0.8, help="difference strength")
    ov.add_argument("--size", type=int, default=128)
    ov.add_argument("--base", default="mixed")
    ov.add_argument("--json", default=None, help="write the results here")
    ov.add_argument("--set", choices=["fresh", "fresh2", "fresh3"], default="fresh",
                    help="test wordings: FRESH (session 3), FRESH2 (session 5, other writer) or "
                         "FRESH3 (session 6, a writer blind to the repository)")
    sub.choices["floor-activity"].add_argument(
        "--bench", required=True, help="a `tellapart bench --out` folder (BENCH_OUT/<suite>/results.jsonl)")
    ce = sub.choices["ceiling"]
    ce.add_argument("--tasks", required=True, help="a suite's task folders, BENCH_OUT/<suite>/tasks")
    ce.add_argument("--alpha", type=float, default=0.05)
    ind = sub.choices["independent"]
    ind.add_argument("--n-per-side", type=int, default=40)
    ind.add_argument("--size", type=int, default=128)
    ind.add_argument("--jobs", type=int, default=2, help="`compare` worker processes")
    ind.add_argument("--edits", choices=["original", "more", "all", "third"], default="all",
                     help="the 8 edits of session 4, the 12 written in session 5, all 20 of "
                          "them, or the 16 written blind in session 7 (a test set)")
    ind.add_argument("--whole-only", action="store_true",
                     help="see every image whole only (no quarter views of large images)")
    sm = sub.choices["small-marks"]
    sm.add_argument("--sizes", type=int, nargs="+", default=[384, 512])
    sm.add_argument("--reps", type=int, default=3, help="repeats with other images and seeds")
    sm.add_argument("--n-per-side", type=int, default=40)
    sm.add_argument("--jobs", type=int, default=2, help="`compare` worker processes")
    sm.add_argument("--whole-only", action="store_true",
                    help="see every image whole only (no quarter views of large images)")
    sc = sub.choices["scale"]
    sc.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000, 3000, 10000])
    sc.add_argument("--repeats", type=int, default=3)
    sc.add_argument("--plot", default=None, help="save a log-log plot here (e.g. benchmarks/comparator_scaling.png)")
    co = sub.choices["cold"]
    co.add_argument("--n", type=int, default=1000, help="images per side")
    co.add_argument("--size", type=int, default=128)
    co.add_argument("--base", default="mixed")
    co.add_argument("--difference", default="tiny_rectangles")
    co.add_argument("--s", type=float, default=0.8)
    co.add_argument("--proposers", nargs="+", default=["learned", "measurements"])
    co.add_argument("--jobs", type=int, default=2, help="`tellapart compare --jobs`")
    co.add_argument("--top", type=int, default=5, help="findings listed")
    co.add_argument("--whole-only", action="store_true",
                    help="run `compare --whole-images-only` (no quarter views of large images)")
    args = parser.parse_args(argv)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
