"""The optional ``clip`` backend: a pretrained CLIP or SigLIP image-text model.

Usage::

    backend = load_clip("openai/clip-vit-base-patch32")     # or a local folder
    image_emb = image_embeddings(backend, ctx, records)      # (N, D), unit length
    text_emb = backend.embed_texts(["a photo of a dog"])     # (M, D), unit length
    scores = backend.similarity(image_emb, text_emb)         # (N, M) logits

Weights come from a local folder (``save_pretrained`` layout: config.json, the weights, the
tokenizer and the image processor files) or from the Hugging Face cache, always with
``local_files_only``: nothing is downloaded during a comparison. A miss is one line naming
the command that fetches the weights once. Any model that ``transformers.AutoModel`` loads
with ``get_image_features`` and ``get_text_features`` works (CLIP, SigLIP, SigLIP 2);
SigLIP-family models get their text padded to the model's length, as they were trained.

Install with ``pip install 'tellapart[clip]'`` (transformers; torch is already a dependency).
"""

from __future__ import annotations

import functools
import os
import sys
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..context import DataContext
from ..types import ImageRecord

INSTALL_HINT = "pip install 'tellapart[clip]'"
PROMPT_TEMPLATE = "a photo of {}."
"""How a per-image phrase is worded for the text encoder (CLIP's own zero-shot template)."""

_SIGLIP_TYPES = ("siglip", "siglip2")
_MAX_CACHED_IMAGES = 200_000


class ClipUnavailable(RuntimeError):
    """The clip backend cannot run: transformers is missing or the weights are not local."""


@dataclass(eq=False)
class ClipBackend:
    """A loaded image-text model with its tokenizer and image processor.

    Attributes
    ----------
    name : str
        The folder or Hugging Face id it was loaded from (written into reports).
    model_type : str
        The transformers model type ("clip", "siglip", ...).
    """

    name: str
    model_type: str
    model: Any
    tokenizer: Any
    processor: Any
    batch_size: int = 32
    _text_cache: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def sigmoid(self) -> bool:
        """SigLIP family: image-text logits are independent sigmoids, not one softmax."""
        return self.model_type in _SIGLIP_TYPES

    def embed_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """(N, D) float32 unit-length embeddings of (H, W, 3) images (uint8, or float in [0, 1])."""
        import torch

        out = []
        for start in range(0, len(images), self.batch_size):
            chunk = [_as_uint8(im) for im in images[start:start + self.batch_size]]
            pixels = self.processor(images=chunk, return_tensors="pt")
            with torch.inference_mode():
                values = pixels["pixel_values"].to(self.model.device)
                feats = _features(self.model.get_image_features(pixel_values=values))
            out.append(_unit(feats))
        dim = int(self.model.config.projection_dim) if hasattr(self.model.config, "projection_dim") else 0
        return np.concatenate(out) if out else np.zeros((0, dim), dtype=np.float32)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """(M, D) float32 unit-length text embeddings (cached per text)."""
        import torch

        todo = [t for t in dict.fromkeys(texts) if t not in self._text_cache]
        for start in range(0, len(todo), 256):
            chunk = todo[start:start + 256]
            tokens = self.tokenizer(chunk, return_tensors="pt", truncation=True,
                                    **self._padding())
            inputs = {k: v.to(self.model.device) for k, v in tokens.items()
                      if k in ("input_ids", "attention_mask")}
            if self.sigmoid:  # SigLIP pools its last token and was trained without a mask
                inputs.pop("attention_mask", None)
            with torch.inference_mode():
                feats = _unit(_features(self.model.get_text_features(**inputs)))
            self._text_cache.update(zip(chunk, feats, strict=True))
        return np.stack([self._text_cache[t] for t in texts]) if texts else np.zeros((0, 0), np.float32)

    def _padding(self) -> dict[str, Any]:
        if not self.sigmoid:
            return {"padding": True}
        length = getattr(self.model.config.text_config, "max_position_embeddings", 64)
        return {"padding": "max_length", "max_length": int(length)}

    def similarity(self, image_emb: np.ndarray, text_emb: np.ndarray) -> np.ndarray:
        """(N, M) image-text logits: cosine times the model's learnt scale (plus its bias)."""
        scale = float(np.exp(float(self.model.logit_scale.detach().reshape(-1)[0])))
        bias = getattr(self.model, "logit_bias", None)
        offset = float(bias.detach().reshape(-1)[0]) if bias is not None else 0.0
        return (image_emb.astype(np.float64) @ text_emb.astype(np.float64).T) * scale + offset


def _as_uint8(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = np.clip(np.rint(arr.astype(np.float32) * 255.0), 0, 255).astype(np.uint8)
    return arr


def _features(output: Any) -> Any:
    """The projected features: a tensor (transformers 4) or a model output's pooled tensor (5)."""
    if hasattr(output, "pooler_output") and not hasattr(output, "shape"):
        return output.pooler_output
    return output


def _unit(feats: Any) -> np.ndarray:
    arr = feats.detach().float().cpu().numpy()
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return (arr / np.maximum(norms, 1e-12)).astype(np.float32)


def fetch_command(name: str) -> str:
    """The one command that puts ``name``'s weights into the Hugging Face cache."""
    return f"hf download {name}"


def unavailable_reason(name: str | None) -> str | None:
    """Why :func:`load_clip` would fail for ``name`` (checked before any image is read), or None."""
    if not name:
        return "the clip backend needs a model: --clip-model FOLDER or a Hugging Face id"
    try:
        import transformers  # noqa: F401
    except ImportError:
        return f"the clip backend needs transformers: {INSTALL_HINT}"
    if os.path.isdir(name):
        if not os.path.isfile(os.path.join(name, "config.json")):
            return f"--clip-model {name} is a folder without config.json (a save_pretrained folder is needed)"
        return None
    if os.path.exists(name) or name.startswith((".", "/", "~")):
        return f"--clip-model {name}: no such folder"
    return None if _in_hf_cache(name) else (
        f"no weights for {name!r} in the Hugging Face cache (tellapart never downloads them); "
        f"fetch them once with: {fetch_command(name)}")


def _in_hf_cache(name: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    try:
        found = try_to_load_from_cache(name, "config.json")
    except Exception:  # a malformed repo id is a miss, said in one line by the caller
        return False
    return isinstance(found, str)


@functools.lru_cache(maxsize=2)
def load_clip(name: str) -> ClipBackend:
    """The model, tokenizer and image processor of ``name`` (a folder or a cached Hugging Face id).

    Loaded once per process and name (the proposer and the scorer share it), on the CPU
    unless ``TELLAPART_CLIP_DEVICE`` names another torch device (``cuda``).

    Raises
    ------
    ClipUnavailable
        transformers is not installed or the weights are not local; the message is one
        line with the command that fixes it.
    """
    reason = unavailable_reason(name)
    if reason is not None:
        raise ClipUnavailable(reason)
    from transformers import AutoImageProcessor, AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # a one-off "missing torchvision" note is not the user's business
    from . import text as text_side  # the loading-progress switch shared with the text encoder

    try:
        with text_side._library_progress_bars(text_side._show_loading_progress):
            model = AutoModel.from_pretrained(name, local_files_only=True)
            tokenizer = AutoTokenizer.from_pretrained(name, local_files_only=True)
            processor = AutoImageProcessor.from_pretrained(name, local_files_only=True)
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ClipUnavailable(f"cannot load the clip model {name!r} ({first}); "
                              f"fetch it once with: {fetch_command(name)}") from None
    if not (hasattr(model, "get_image_features") and hasattr(model, "get_text_features")):
        raise ClipUnavailable(f"{name!r} is a {type(model).__name__}, not an image-text model "
                              "with get_image_features/get_text_features (CLIP, SigLIP)")
    device = os.environ.get("TELLAPART_CLIP_DEVICE", "cpu")
    model = model.to(device).eval()
    return ClipBackend(name=name, model_type=str(model.config.model_type), model=model,
                       tokenizer=tokenizer, processor=processor)


@dataclass
class EmbedTotals:
    """Images encoded by any clip backend in this process, and the seconds it took."""

    images: int = 0
    seconds: float = 0.0


TOTALS = EmbedTotals()
"""Process-wide totals; a run's cost is the change over the run (:class:`tellapart.verify.clip.ClipScorer`)."""

_image_caches: weakref.WeakKeyDictionary[ClipBackend, dict[str, np.ndarray]] = weakref.WeakKeyDictionary()


def image_embeddings(backend: ClipBackend, ctx: DataContext,
                     records: Sequence[ImageRecord]) -> np.ndarray:
    """(N, D) embeddings of ``records``, each image encoded once per model and process
    (keyed by file content), with a progress bar when ``ctx.settings.progress``."""
    cache = _image_caches.setdefault(backend, {})
    keys = [r.content_hash for r in records]
    todo = list(dict.fromkeys(k for k in keys if k not in cache))
    if todo:
        if len(cache) + len(todo) > _MAX_CACHED_IMAGES:
            cache.clear()
        by_key = dict(zip(keys, records, strict=True))
        started = time.perf_counter()
        with _progress(bool(ctx.settings.progress) and len(todo) > backend.batch_size,
                       len(todo)) as advance:
            for start in range(0, len(todo), backend.batch_size):
                chunk = todo[start:start + backend.batch_size]
                emb = backend.embed_images([ctx.load(by_key[k]).rgb for k in chunk])
                cache.update(zip(chunk, emb, strict=True))
                advance(len(chunk))
        TOTALS.seconds += time.perf_counter() - started
        TOTALS.images += len(todo)
    return np.stack([cache[k] for k in keys])


class _progress:
    """A rich progress bar over images embedded (a no-op when off)."""

    def __init__(self, show: bool, total: int) -> None:
        self.show, self.total = show, total
        self._bar: Any = None

    def __enter__(self) -> Any:
        if not self.show:
            return lambda n: None
        from rich.progress import Progress

        self._bar = Progress(transient=True, console=_stderr_console())
        self._bar.start()
        task = self._bar.add_task("CLIP: embedding images", total=self.total)
        return lambda n: self._bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(file=sys.stderr)


def clip_prompt(phrase: str) -> str:
    """The text-encoder prompt of a per-image phrase ("dogs on grass" -> "a photo of dogs on grass.")."""
    phrase = " ".join(phrase.strip().rstrip(".").split())
    return PROMPT_TEMPLATE.format(phrase)
