"""Hand-written vocabulary of the benchmark judge: concept cues, what each difference type accepts.

A *cue* is a regular expression for words that name one visual concept, with a polarity:
``+1`` when the words say the sentence's subject set has more of the concept ("darker" is
``-1`` for ``brightness``, "brighter" ``+1``). Cues are tried in order and every match blanks
its words, so specific cues listed first ("darkened corners" -> vignette) keep general ones
("dark" -> brightness) from firing on the same words.

A cue of kind ``"noun"`` names the concept without a direction ("contrast", "saturation"):
it counts only with a modifier in the three words before it ("higher contrast", "less
saturation"); a cue of kind ``"thing"`` names something present ("rectangles", "watermark")
and counts as present unless a negator comes before it ("no rectangles", "fewer boxes").

``ACCEPTS`` says which concepts name each difference type, and with which sign: a type
accepts its own specific concept and, following the synth's ``concept`` grouping, the
general concept it belongs to ("blurrier" names ``motion_blur``; "less saturated" names
``grayscale``), but never the specific concept of a sibling type ("salt-and-pepper" does
not name gaussian ``noise``).

This vocabulary is independent on purpose: it never reads the measurement classes' words
(:mod:`tellapart.measure`) or the difference types' phrases (:mod:`tellapart.synth`), so the
judge cannot agree with a finding merely because both were worded from the same table.
Plain helpers that carry no vocabulary (such as :func:`tellapart.types.swap_sets`) are shared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

CueKind = Literal["word", "noun", "thing"]


@dataclass(frozen=True)
class Cue:
    concept: str
    polarity: int
    pattern: re.Pattern[str]
    kind: CueKind = "word"


_C = "colou?r"


def _cues(concept: str, *specs: tuple[int, str] | tuple[int, str, CueKind]) -> list[Cue]:
    out = []
    for spec in specs:
        kind: CueKind = spec[2] if len(spec) == 3 else "word"  # type: ignore[misc]
        out.append(Cue(concept, spec[0], re.compile(spec[1], re.IGNORECASE), kind))
    return out


# Order matters: specific, multi-word cues first (see the module docstring).
CUES: list[Cue] = [
    # -- spatial / layout (before brightness, frame and faded) --------------------------------
    *_cues(
        "light_leak",
        (1, r"\blight[- ]leaks?\b"),
        (1, r"\b(?:bright |glowing |coloured |colored )?(?:glow\w*|flares?|haze)\b"),
        (1, r"\bwashed out by light\b"),
    ),
    *_cues(
        "half_darkened",
        (1, r"\b(?:one|a|each) (?:half|side)\b[^,;.]{0,40}?\b(?:dark\w*|dimm?\w*|shad\w*)"),
        (1, r"\b(?:dark\w*|dimm?\w*|shad\w*) on (?:one|a) (?:half|side)\b"),
        (1, r"\bhalf of [^,;.]{0,40}?\b(?:dark\w*|dimm?\w*|shad\w*)"),
        (1, r"\bdark\w* half\b"),
        (1, r"\bunevenly lit\b|\buneven (?:lighting|illumination)\b"),
        (1, r"\b(?:brighter|darker) (?:at|on) the (?:top|bottom|left|right)\b"),
    ),
    *_cues(
        "vignette",
        (1, r"\bvignett\w*"),
        (1, r"\b(?:dark\w*|shad\w*|dimm?\w*) (?:corners|edges|borders?)\b"),
        (1, r"\bcorners\b[^,;.]{0,40}?\b(?:dark\w*|shad\w*|dimm?\w*)"),
        (1, r"\b(?:dark\w*|fades? to dark) (?:toward|towards|around|at|near) the (?:edges?|borders?|corners?)\b"),
        (-1, r"\b(?:brighter|lighter) corners\b|\bcorners as bright as\b"),
    ),
    *_cues(
        "occlusion",
        (1, r"\boccl\w*"),
        (1, r"\bblocked out\b|\bopaque (?:block|patch|region)\b|\bsolid (?:block|region|patch)\b"),
        (1, r"\bsolid (?:block|region|patch|rectangle|shape)s? (?:hiding|covering|blocking)\b|\b(?:hiding|covering|blocking) part\b"),
        (1, r"\bopaque (?:square|rectangle|shape)s?\b"),
        (1, r"\bpatch(?:es)? (?:covering|hiding)\b|\b(?:large|big) patch(?:es)?\b|\bpatch\b"),
    ),
    *_cues(
        "marks_top_left",
        (1, r"\b(?:top|upper)[- ]left\b"),
    ),
    *_cues(
        "corner_marker",
        (1, r"\b(?:marker|mark|tag|badge|symbol|sign)s? (?:in|at|near|sits in) (?:a|one|the|each)\b[^,;.]{0,20}\bcorners?\b"),
        (1, r"\bcorner (?:marker|mark|tag|badge|symbol)s?\b"),
        (1, r"\b(?:marker|mark|tag|badge|symbol)s?\b[^,;.]{0,30}\bin (?:a|one) corner\b"),
    ),
    # -- geometry ------------------------------------------------------------------------------
    *_cues(
        "vertical_flip",
        (1, r"\b(?:inverted|reversed|flipped|turned) (?:top[- ]to[- ]bottom|vertically)\b"),
        (1, r"\bupside[- ]down\b|\bflipped vertically\b|\bvertically (?:flipped|mirrored|reversed)\b"),
        (1, r"\btop and bottom\b"),
    ),
    *_cues(
        "quarter_turn",
        (1, r"\b(?:turned|rotated|lying|displayed|shown|tipped) sideways\b|\bon (?:their|its) sides?\b"),
        (1, r"\bquarter[- ]turns?\b|\b(?:90|ninety|270)[- ]degrees?\b|\bright angle\b"),
    ),
    *_cues(
        "mirror",
        (1, r"\bhorizontal flip\w*|\breflected horizontally\b|\bhorizontal(?:ly)? reflect\w*|\bmirror\w*|\bflipped horizontally\b|\bhorizontally (?:flipped|reversed)\b"),
        (1, r"\bleft (?:and|to) right\b|\bleft-right (?:flip\w*|revers\w*)"),
    ),
    *_cues(
        "hue",
        (1, r"\bpsychedelic\b|\bwrong[- ]looking colou?rs\b|\bunnatural\b"),
        (1, r"\brotat\w* (?:around|round|to|through) (?:the )?(?:colou?r wheel|different hues?)"),
        (1, r"\b(?:shifted|rotated|different) (?:mean )?hues?\b|\bhue-shifted\b"),
        (1, r"\bhue\w*|\bcolou?r wheel\b|\bunnatural(?:,)? (?:hue-shifted )?colou?rs?\b"),
        (1, r"\bcolou?rs? (?:are )?(?:swapped|rotated)\b"),
    ),
    *_cues(
        "rotation",
        (1, r"\bcrooked\b|\bnot straight\b|\brotat\w*|\btilt\w*|\bturned by\b|\bnot level\b|\bask[e]w\b|\bslant\w*|\boff the upright\b"),
        (-1, r"\bupright\b|\blevel horizons?\b"),
    ),
    *_cues(
        "aspect_wide",
        (1, r"\bstretched (?:horizontally|sideways|wide)\b|\btoo wide\b|\bwiden\w*|\bsquash\w*(?: flat)?(?: and wide)?"),
        (1, r"\bpulled out sideways\b|\bhorizontally stretched\b|\bsqueezed vertically\b"),
    ),
    *_cues(
        "aspect_tall",
        (1, r"\bstretched (?:vertically|tall)\b|\btoo tall\b|\belongated\b|\bheightened\b"),
        (1, r"\bpulled out vertically\b|\bvertically stretched\b|\bsqueezed horizontally\b"),
    ),
    *_cues(
        "zoom",
        (-1, r"\bzoom(?:ed)? out\b|\bwider (?:shots?|views?|field of view)\b"),
        (1, r"\bcropped (?:more )?tightly\b|\btightly cropped\b|\benlarged crops?\b|\bcrops of\b"),
        (1, r"\bzoom(?:ed)? in\b|\bzoomed\b|\btight(?:er)? crops?\b|\bclose-?ups?\b|\bmagnifi\w*|\bcropped in\b"),
        (1, r"\bobjects (?:look|appear) (?:bigger|larger)\b"),
    ),
    *_cues(
        "translation",
        (1, r"\bshifted\b(?! hue)|\boff-?cent(?:re|er)\b|\btranslated\b|\bdisplaced\b|\boffset\b"),
        (1, r"\b(?:blank|empty) (?:band|strip|stripe|margin|edge)s?\b|\bmoved (?:sideways|up|down)\b"),
    ),
    # -- file-level measurements that name no difference type ----------------------------------
    *_cues(
        "file",
        (1, r"\bfile sizes?\b|\blarger files\b|\bsmaller files\b|\bbytes\b|\bfile format\b"),
        (1, r"\baspect ratio\b|\bin pixels\b|\b(?:landscape|portrait)-shaped\b"),
        (1, r"\bbit depth\b|\balpha channel\b|\btransparency\b|\bmulti-frame\b|\banimated\b"),
        (1, r"\bPNG files\b|\bJPEG files\b"),
    ),
    *_cues(
        "tonal_variety",
        (1, r"\b(?:luminance|tonal) entropy\b|\bvaried tones\b|\bdistinct tones\b"),
    ),
    *_cues(
        "colour_areas",
        (1, r"\b(?:red|orange|yellow|green|blue|cyan|purple|magenta)(?: or (?:red|orange|yellow|green|blue|cyan|purple|magenta))? areas\b"),
    ),
    # -- overlays and content -------------------------------------------------------------------
    *_cues(
        "grid",
        (1, r"\bgrids?(?: of [^,;.]{0,20}?lines| lines| pattern)?\b|\b(?:mesh|lattice)\b(?: of [^,;.]{0,30}?\blines\b)?", "thing"),
        (1, r"\bcheckered\b(?: line)?(?: grid)?", "thing"),
    ),
    *_cues(
        "frame",
        (1, r"\boutline around\b|\bborder lines?\b|\bframe[sd]?\b|\bborders?\b|\bmargins?\b", "thing"),
    ),
    *_cues(
        "text_watermark",
        (1, r"\btext (?:labels?|watermarks?|captions?)\b|\btext\b|\bwords?\b|\bletter\w*|\bcaptions?\b|\bwatermarks?\b|\blabels?\b|\bwritten\b|\bwriting\b", "thing"),
    ),
    *_cues(
        "stamp",
        (1, r"\blogo\w*|\bemblems?\b|\bstamps?\b|\bstamp-like\b|\bbadges?\b|\bseals?\b", "thing"),
    ),
    *_cues(
        "salt_pepper",
        (1, r"\bsalt[- ]and[- ]pepper(?: noise)?\b|\bimpulse noise\b|\bdead (?:and|or) hot pixels\b"),
        (1, r"\bisolated (?:black|white) (?:and|or) (?:black|white) (?:pixels|specks|dots)\b|\bsingle-pixel specks\b"),
    ),
    *_cues(
        "motion_blur",
        (1, r"\bmotion blur\w*|\bcamera (?:shake|moved|motion)\b|\bdirectional\b[^,;.]{0,20}(?:blur|streak\w*)"),
        (1, r"\bsmeared in one direction\b|\bstreak\w*"),
    ),
    *_cues(
        "oversharpened",
        (1, r"\bover-?sharpen\w*|\bsharpened\b|\bsharpening\b|\bhalos?\b|\b(?:exaggerated|harsh|artificially enhanced)\b[^,;.]{0,12}\bedges\b"),
        (1, r"\bedges are artificially enhanced\b"),
    ),
    *_cues(
        "tiny_rectangles",
        (1, r"\brectang\w*|\bboxes\b|\bsquares\b|\b(?:small|tiny|little) square\w*(?: shapes)?", "thing"),
    ),
    *_cues(
        "circles",
        (1, r"\bcircles?\b|\bcircular\b|\bdots?\b|\bround spots?\b|\bspots\b", "thing"),
    ),
    *_cues(
        "lines",
        (1, r"\blines?\b|\bstrokes?\b|\bscratch\w*", "thing"),
    ),
    *_cues(
        "stars",
        (1, r"\bstars?\b|\bstar-shaped\b", "thing"),
    ),
    *_cues(
        "triangles",
        (1, r"\btriang\w*|\bthree-cornered\b", "thing"),
    ),
    *_cues(
        "object_size",
        (1, r"\b(?:large|big|oversized|huge) (?:foreground )?(?:object|shape)s?\b|\bdominat\w*|\boversized\b"),
    ),
    *_cues(
        "object_count",
        (1, r"\bclutter\w*|\bbusier\b"),
        (-1, r"\bemptier\b|\bsparser\b"),
        (1, r"\b(?:objects|shapes|items|things)\b", "noun"),
    ),
    # -- colour ----------------------------------------------------------------------------------
    *_cues(
        "inversion",
        (1, r"\binverted gr[ae]y[- ]?scale\b|\bgr[ae]y[- ]?scale (?:of [^,;.]{0,20})?(?:is )?inverted\b"),
        (1, r"\breversed gr[ae]y[- ]?scale polarity\b|\bMONOCHROME1\b"),
        (1, r"\binver\w*|\bnegatives?\b|\bin negative\b"),
        (1, r"\blight and dark are (?:swapped|reversed|inverted)\b"),
    ),
    *_cues(
        "sepia",
        (1, r"\btinted brown\b|\bbrown(?:ish)? (?:tint|tone|cast)\b"),
        (1, r"\bsepia\w*|\bbrown\w*|\bantique\b|\bold[- ]photo\w*|\bvintage\b|\bold brown\b"),
    ),
    *_cues(
        "grayscale",
        (1, r"\bblack[- ]and[- ]white\b|\bgr[ae]y ?scale\b|\bmonochrome\b(?! colou?r wash)|\bno colou?r\b|\bcolou?rless\b"),
        (-1, r"\bin colou?r\b"),
    ),
    *_cues(
        "temperature",
        (1, r"\bwarm\w*(?:[,]? (?:\(more orange/yellow\) |reddish |orange |yellow )?(?:colou?r )?(?:cast|tint|tone)s?)?"),
        (-1, r"\b(?:cool\w*|cold)(?:[,]? (?:\(more blue\) |bluish |blue )?(?:colou?r )?(?:cast|tint|tone)s?)?"),
        (1, r"\b(?:more )?orange\b|\byellow\w*|\breddish\b"),
        (-1, r"\bblu(?:er|ish)\b|\bmore blue\b|\bblue (?:colou?r )?(?:cast|tint|tone)s?\b"),
        (1, r"\bgolden(?: (?:tones?|cast|tint))?\b"),
        (1, r"\bred[- ]to[- ]blue ratio\b|\bcolou?r temperature\b", "noun"),
    ),
    *_cues(
        "tint",
        (1, r"\btint\w*|\bcolou?r (?:cast|wash)\b|\bcolou?red glass\b|\bmonochrome colou?r wash\b"),
    ),
    *_cues(
        "posterization",
        (1, r"\binstead of smooth(?:er)? gradients\b"),
        (1, r"\bposteri[sz]\w*|\bbanding\b|\bquanti[sz]\w*|\bsmall palette\b|\bfew distinct colou?r levels\b"),
        (1, r"\bfewer distinct (?:colou?rs|tones)\b|\bonly a few (?:tones|colou?rs)\b|\bflat bands\b"),
        (-1, r"\bsmooth(?:er)? gradients\b|\bmore distinct (?:colou?rs|tones)\b"),
    ),
    *_cues(
        "saturation",
        (1, r"\bcolou?rs are (?:stronger|richer|more vivid|more saturated)\b"),
        (-1, r"\bcolou?rs are (?:weaker|duller|paler|more muted)\b"),
        (1, r"\b(?:stronger|punchier|richer|deeper|bolder)(?:,? (?:more )?\w+)?,? colou?rs\b"),
        (-1, r"\b(?:weaker|duller|paler|washed-out)(?:,? (?:more )?\w+)?,? colou?rs\b"),
        (-1, r"\bdrained\b|\bdesaturat\w*|\bmuted\b|\bdull(?:er)?\b|\bwashed-out colou?rs\b"),
        (1, r"\bvivid\b|\bvibrant\b|\brich(?:er)?(?:, more vivid)? colou?rs\b"),
        (1, r"\bsaturated\b|\bcolou?rful\b"),
        (1, r"\bsaturation\b|\bcolou?rfulness\b|\bcolou?rs\b|\bcolou?r\b", "noun"),
    ),
    # -- tone --------------------------------------------------------------------------------------
    *_cues(
        "faded",
        (1, r"\bfad\w*|\bwashed[- ]out\b|\bbleached\b|\bmilky\b|\blifted(?:,)? (?:blacks|shadows)\b|\b(?:greyish|grayish) shadows\b"),
        (1, r"\b(?:greyish|grayish|lifted) blacks\b|\blighter shadows\b"),
        (-1, r"\b(?:deep|rich)(?:er)? blacks\b|\bdarker shadows\b"),
    ),
    *_cues(
        "contrast",
        (1, r"\bcontrasty\b|\bpunch(?:y|ier)\b|\b(?:brighter|whiter|cleaner) whites\b"),
        (-1, r"\bflat(?:ter)?\b"),
        (1, r"\bcontrast\b|\btonal range\b|\brange of tones\b|\bdynamic range\b|\bspread of (?:pixel )?(?:intensities|brightness|tones)\b", "noun"),
        (1, r"\bstandard deviation of (?:brightness|luminance|intensit\w*)\b", "noun"),
    ),
    *_cues(
        "compression",
        (1, r"\blow (?:jpe?g )?quality\b"),
        (1, r"\bjpe?g\w*|\bcompress\w*|\bblock(?:ing|y)? artefacts?\b|\bblock(?:ing|y)? artifacts?\b|\bblocking\b"),
        (1, r"\bringing\b|\b8x8\b|\blow-quality\b"),
    ),
    *_cues(
        "pixelation",
        (-1, r"\bresolution\b", "noun"),
        (1, r"\blow-res\b|\bchunky\b"),
        (1, r"\bblocky\b(?!\s+(?:compression|jpe?g|artefacts?|artifacts?|#))"),
        (1, r"\bpixelat\w*|\bsquare pixels?\b[^,;.]{0,10}|\bpixel blocks\b|\bmosaic\w*|\bblown up\b|\bscaled up\b|\bupscal\w*"),
    ),
    *_cues(
        "noise",
        (1, r"\b(?:high[- ]frequency )?(?:pixel |sensor |random )?nois\w*|\bgrain\w*|\bspeckl\w*"),
        (-1, r"\bclean(?:er)?\b"),
    ),
    *_cues(
        "sharpness",
        (-1, r"\bblur\w*|\bout of focus\b|\bsoft(?:er)?\b|\bunsharp\b|\bsmear\w*|\bsmooth(?:er)?\b"),
        (1, r"\bsharp(?:er)?\b|\bcrisp(?:er)?\b"),
        (1, r"\b(?:fine )?detail\b|\bhigh[- ]frequency\b(?: detail| energy| content)?|\bedges?\b|\bedge (?:density|strength)\b|\blaplacian variance\b|\btexture\b", "noun"),
        (1, r"\bsharpness\b|\bfocus\b", "noun"),
    ),
    # -- medical: words no photograph finding uses, so the general suites judge as before ------
    *_cues(
        "wires",
        (1, r"\bwires?\b|\btubes?\b|\bcatheters?\b|\bsupport devices\b", "thing"),
    ),
    *_cues(
        "laterality",
        (1, r"\blaterality\b|\bside markers?\b|\b(?:an )?L or R\b|\bleft or right side marker\b", "thing"),
    ),
    *_cues(
        "burned_text",
        (1, r"\bburn(?:ed|t)[- ]in\b|\bburned into\b|\bannotat\w*|\boverlay text\b", "thing"),
    ),
    *_cues(
        "collimation",
        (1, r"\bcollimat\w*|\bshutter\w*|\bconed\b", "thing"),
    ),
    *_cues(
        "magnification",
        (1, r"\bAP (?:views?|projections?)\b|\banteroposterior\b|\bcentral (?:anatomy|structures)\b[^,;.]{0,12}\b(?:magnified|enlarged)\b"),
        (1, r"\b(?:heart|mediastinum)\b[^,;.]{0,20}\blarger\b|\b(?:enlarged|larger) (?:heart|cardiac)\b"),
    ),
    *_cues(
        "windowing",
        (-1, r"\b(?:wider|broader) (?:display )?window\b"),
        (1, r"\b(?:narrow\w*|tight\w*|smaller) (?:display )?window\w*|\bwindow(?:ed|ing)? (?:more )?tightly\b|\bwindow width is smaller\b"),
        (1, r"\bclipped (?:pixels|tones)\b|\btones clip\b"),
    ),
    *_cues(
        "ventricles",
        (1, r"\bventric\w*|\batroph\w*|\b(?:larger|enlarged|bigger) dark central structures?\b"),
        (-1, r"\bsmaller dark central structures?\b"),
    ),
    *_cues(
        "lesion_colour",
        (1, r"\bblue-?gr[ae]y\b|\bgreyish blue\b|\bbluish and dark\b|\bblue-white veil\b"),
    ),
    *_cues(
        "irregular_border",
        (1, r"\birregular\w*|\bragged\b|\bjagged\b|\bnotched\b"),
        (-1, r"\bsmoother outlines?\b|\bregular (?:lesion )?borders?\b"),
    ),
    *_cues(
        "lesion_size",
        (1, r"\b(?:larger|bigger|wider) (?:dark )?(?:lesions?|pigmented spots?)\b|\blesions? (?:are|is) (?:larger|bigger)\b"),
        (1, r"\blesions? (?:covers?|of) (?:more|greater)\b|\b(?:pigmented spot|lesion) is larger\b"),
        (-1, r"\bsmaller (?:dark )?lesions?\b"),
    ),
    *_cues(
        "cell_density",
        (1, r"\b(?:densely packed|crowded) cells\b|\bcells are (?:more )?crowded\b|\bhigher cell density\b"),
        (1, r"\bcells?\b|\bnuclei\b|\bcellularity\b", "thing"),
    ),
    *_cues(
        "brightness",
        (1, r"\bbright(?:er)?\b|\blight(?:er)?\b|\b(?:more|over)[- ]?exposed\b|\boverexposed\b"),
        (-1, r"\bdark(?:er)?\b|\bdimm?(?:er)?\b|\bunder-?exposed\b"),
        (1, r"\bbrightness\b|\bluminance\b|\bluma\b|\bexposure\b|\bintensity\b", "noun"),
    ),
]

# Words that, among the three before a cue, reverse it ("less bright", "no rectangles").
NEGATORS = frozenset(
    "less fewer lower low not no without lack lacks lacking reduced decreased weaker narrower "
    "smaller free absent".split()
)
# Words that give a direction to a noun cue ("higher contrast").
INTENSIFIERS = frozenset(
    "more higher high greater increased stronger larger wider bigger richer extra".split()
)

# type id -> {concept: sign}; sign +1: the concept is more present in the set that has the
# difference ("darker" has brightness -1).
ACCEPTS: dict[str, dict[str, int]] = {
    "brighter": {"brightness": 1},
    "darker": {"brightness": -1},
    "higher_contrast": {"contrast": 1, "faded": -1},
    "lower_contrast": {"contrast": -1, "faded": 1},
    "faded": {"faded": 1, "contrast": -1},
    "more_saturated": {"saturation": 1, "grayscale": -1},
    "less_saturated": {"saturation": -1},
    "grayscale": {"grayscale": 1, "saturation": -1},
    "sepia": {"sepia": 1, "saturation": -1},
    "warmer": {"temperature": 1},
    "cooler": {"temperature": -1},
    "color_tint": {"tint": 1},
    "hue_shift": {"hue": 1},
    "inverted": {"inversion": 1},
    "blur": {"sharpness": -1},
    "motion_blur": {"motion_blur": 1, "sharpness": -1},
    "sharpened": {"oversharpened": 1, "sharpness": 1},
    "noise": {"noise": 1},
    "salt_pepper": {"salt_pepper": 1, "noise": 1},
    "jpeg": {"compression": 1},
    "pixelated": {"pixelation": 1},
    "posterized": {"posterization": 1},
    "rotated": {"rotation": 1},
    "mirrored": {"mirror": 1},
    "upside_down": {"vertical_flip": 1},
    "sideways": {"quarter_turn": 1, "rotation": 1},
    "zoomed": {"zoom": 1},
    "stretched_wide": {"aspect_wide": 1},
    "stretched_tall": {"aspect_tall": 1},
    "shifted": {"translation": 1},
    "tiny_rectangles": {"tiny_rectangles": 1},
    "circles": {"circles": 1},
    "lines": {"lines": 1},
    "grid": {"grid": 1},
    "text_watermark": {"text_watermark": 1},
    "stamp": {"stamp": 1},
    "frame": {"frame": 1},
    "corner_marker": {"corner_marker": 1},
    "vignette": {"vignette": 1},
    "half_darkened": {"half_darkened": 1},
    "light_leak": {"light_leak": 1},
    "occluding_patch": {"occlusion": 1},
    "marks_top_left": {"marks_top_left": 1, "corner_marker": 1},
    "more_objects": {"object_count": 1},
    "large_object": {"object_size": 1},
    "stars": {"stars": 1},
    "triangles": {"triangles": 1},
    # medical
    "wires_tubes": {"wires": 1, "lines": 1},
    "burned_in_text": {"burned_text": 1, "text_watermark": 1},
    "laterality_marker": {"laterality": 1, "corner_marker": 1, "text_watermark": 1},
    "collimation": {"collimation": 1, "frame": 1},
    "inverted_grayscale": {"inversion": 1},
    "ap_magnification": {"magnification": 1, "zoom": 1},
    "window_level": {"windowing": 1, "contrast": 1},
    "enlarged_ventricles": {"ventricles": 1},
    "larger_lesion": {"lesion_size": 1},
    "lesion_color": {"lesion_colour": 1, "temperature": -1},
    "irregular_border": {"irregular_border": 1},
    "cell_density": {"cell_density": 1},
}

# Statements of the opposite of each type, about the subject ("these images"), used by the
# embedding judge to tell "darker" from "brighter" (an embedding alone barely does).
OPPOSITES: dict[str, tuple[str, ...]] = {
    "brighter": ("These images are darker than the other images", "These images are dimmer"),
    "darker": ("These images are brighter than the other images", "These images are lighter"),
    "higher_contrast": ("These images have lower contrast than the other images", "These images look flat"),
    "lower_contrast": ("These images have higher contrast than the other images", "These images are more contrasty"),
    "faded": ("These images have deeper blacks and more contrast", "These images look crisp and not faded"),
    "more_saturated": ("These images are less saturated than the other images", "These images have muted colours"),
    "less_saturated": ("These images are more saturated than the other images", "These images have more vivid colours"),
    "grayscale": ("These images are in full colour", "These images are more colourful than the other images"),
    "sepia": ("These images have no sepia tone", "These images are more colourful than the other images"),
    "warmer": ("These images have a cooler colour cast than the other images", "These images look more blue"),
    "cooler": ("These images have a warmer colour cast than the other images", "These images look more orange"),
    "color_tint": ("These images have no colour tint", "These images have neutral, untinted colours"),
    "hue_shift": ("These images have natural, unshifted hues",),
    "inverted": ("These images are not inverted", "These images have normal, positive colours"),
    "blur": ("These images are sharper than the other images", "These images are crisp and in focus"),
    "motion_blur": ("These images are sharper than the other images", "These images show no motion blur"),
    "sharpened": ("These images are blurrier than the other images", "These images are softer"),
    "noise": ("These images are cleaner than the other images", "These images are less noisy"),
    "salt_pepper": ("These images have no salt-and-pepper noise", "These images are cleaner than the other images"),
    "jpeg": ("These images have fewer compression artefacts", "These images are less compressed"),
    "pixelated": ("These images are less pixelated", "These images have a higher resolution"),
    "posterized": ("These images have smooth gradients", "These images use more distinct colours"),
    "rotated": ("These images are upright", "These images are not rotated"),
    "mirrored": ("These images are not mirrored",),
    "upside_down": ("These images are the right way up",),
    "sideways": ("These images are upright", "These images are the right way round"),
    "zoomed": ("These images are zoomed out", "These images are wider shots"),
    "stretched_wide": ("These images are not stretched horizontally",),
    "stretched_tall": ("These images are not stretched vertically",),
    "shifted": ("These images are centred, with no blank band",),
    "tiny_rectangles": ("These images have no rectangles", "These images have fewer tiny rectangles"),
    "circles": ("These images have no dots or circles", "These images have fewer dots"),
    "lines": ("These images have no lines drawn on them",),
    "grid": ("These images have no grid overlay",),
    "text_watermark": ("These images have no text watermark", "These images carry no text"),
    "stamp": ("These images have no logo stamp",),
    "frame": ("These images have no frame around the border",),
    "corner_marker": ("These images have no marker in the corner",),
    "vignette": ("These images have brighter corners", "These images have no vignette"),
    "half_darkened": ("These images are evenly lit",),
    "light_leak": ("These images have no light leak",),
    "occluding_patch": ("These images are not occluded", "These images have no patch covering the scene"),
    "marks_top_left": ("These images have no marks in the top-left corner",),
    "more_objects": ("These images contain fewer objects than the other images", "These scenes are less cluttered"),
    "large_object": ("These images contain no large object",),
    "stars": ("These images contain no stars",),
    "triangles": ("These images contain no triangles",),
    "wires_tubes": ("These images show no wires or tubes",),
    "burned_in_text": ("These images carry no burned-in text",),
    "laterality_marker": ("These images have no laterality marker",),
    "collimation": ("These images are not collimated, with no shutter bands",),
    "inverted_grayscale": ("These images have a standard grey scale, dark background and bright bone",),
    "ap_magnification": ("These images look like PA views, without magnification",),
    "window_level": ("These images use a wider display window, with no clipping",),
    "enlarged_ventricles": ("These images show small, normal ventricles",),
    "larger_lesion": ("These images show smaller lesions",),
    "lesion_color": ("These lesions are brown, with no blue-grey colour",),
    "irregular_border": ("These lesions have smooth, regular borders",),
    "cell_density": ("These images show sparser cells",),
}

# measurement name -> list of (type id, sign). Sign +1: higher values in the set that has the
# difference; -1: lower values there; 0: a difference in either direction is a claim that the
# finding's set has the difference (a colour tint toward green or toward magenta).
MEASUREMENT_TYPES: dict[str, list[tuple[str, int]]] = {
    "brightness_mean": [("brighter", 1), ("darker", -1)],
    "saturation_mean": [("more_saturated", 1), ("less_saturated", -1), ("grayscale", -1), ("sepia", -1)],
    "colorfulness": [("more_saturated", 1), ("less_saturated", -1), ("grayscale", -1), ("sepia", -1)],
    "neutral_fraction": [("grayscale", 1), ("less_saturated", 1), ("more_saturated", -1)],
    "warm_cast": [("warmer", 1), ("cooler", -1), ("lesion_color", -1)],
    "green_magenta_cast": [("color_tint", 0)],
    "sharpness": [("blur", -1), ("motion_blur", -1), ("sharpened", 1)],
    "edge_steepness": [("blur", -1), ("motion_blur", -1), ("sharpened", 1)],
    "detail_gradient": [("blur", -1), ("motion_blur", -1), ("sharpened", 1)],
    "noise_level": [("noise", 1), ("salt_pepper", 1)],
    "jpeg_blockiness": [("jpeg", 1)],
    "bits_per_pixel": [("jpeg", -1)],
    "pixelation": [("pixelated", 1)],
    "text_strokes": [
        ("text_watermark", 1), ("lines", 1), ("burned_in_text", 1), ("laterality_marker", 1),
        ("wires_tubes", 1),
    ],
    "saturated_blobs": [
        ("tiny_rectangles", 1), ("circles", 1), ("corner_marker", 1), ("marks_top_left", 1), ("stamp", 1),
    ],
    "edge_density": [("more_objects", 1), ("cell_density", 1)],
    "contrast_std": [
        ("higher_contrast", 1), ("lower_contrast", -1), ("faded", -1), ("window_level", 1),
    ],
    "dynamic_range": [
        ("higher_contrast", 1), ("lower_contrast", -1), ("faded", -1), ("window_level", 1),
    ],
    "brightness_p5": [("faded", 1), ("lower_contrast", 1), ("higher_contrast", -1)],
    "tonal_entropy": [("posterized", -1)],
    "vignetting": [("vignette", 1)],
    "border_width": [("frame", 1), ("shifted", 1), ("collimation", 1)],
    "frame_lines": [("frame", 1), ("collimation", 1)],
    "top_bottom_balance": [("half_darkened", 0)],
    "left_right_balance": [("half_darkened", 0)],
    "grayscale_file": [("grayscale", 1)],
    # Measured but naming no synthetic difference: decided as "no match" here rather than
    # left to words such as "(lower resolution)" in their sentences.
    "brightness_p95": [("brighter", 1), ("darker", -1)],
    "brightness_peak": [("brighter", 1), ("darker", -1)],
    "near_white_fraction": [],
    "near_black_fraction": [],
    "red_fraction": [],
    "yellow_fraction": [],
    "green_fraction": [],
    "blue_fraction": [("lesion_color", 1)],
    "purple_fraction": [],
    "width": [],
    "height": [],
    "aspect_ratio": [],
    "megapixels": [],
    "file_size_kib": [],
    "is_jpeg": [],
    "is_png": [],
    "bit_depth": [],
    "has_alpha": [],
    "animated": [],
    # the medical group
    "corner_annotation": [("burned_in_text", 1), ("laterality_marker", 1)],
    "thin_bright_lines": [("wires_tubes", 1)],
    "shutter_border": [("collimation", 1)],
    "black_padding": [],
    "field_of_view": [("ap_magnification", 1), ("larger_lesion", 1)],
    "clipped_fraction": [("window_level", 1)],
    "tone_skewness": [],
    "background_polarity": [("inverted_grayscale", 1)],
    "central_dark_area": [("enlarged_ventricles", 1), ("larger_lesion", 1)],
    "central_bright_area": [("ap_magnification", 1)],
    "dark_region_blueness": [("lesion_color", 1)],
    "outline_irregularity": [("irregular_border", 1)],
    "small_dark_spots": [("cell_density", 1)],
}
"""Explicit measurement -> difference table used for findings whose concept is
``"<measurement>:<higher|lower>"``. A measurement listed here decides alone (a type not in
its list is no match); measurements not listed (file size, colour-area fractions, ...) fall
through to the text judge."""
