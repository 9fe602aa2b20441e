"""Saving and loading a describer: safetensors weights + one JSON file (config, vocabulary, ...).

Usage::

    from tellapart.models.weights import save_describer, load_describer, load_default
    save_describer(model, "out/describer")            # model.safetensors + describer.json
    save_describer(model, "out/small", dtype="float16")   # half the file; loads as float32
    model = load_describer("out/describer")           # checks the content hash
    model = load_default()                            # the weights shipped in the package

A folder holds ``model.safetensors`` and ``describer.json``; the JSON records the format
version, the config, the tokenizer, the known training sentences and the SHA-256 of the
weights file, which is checked on load so a truncated or swapped file fails loudly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from ..io.decode import file_sha256
from .describer import Describer, DescriberConfig
from .shipped import DEFAULT_DIR, ENV_VAR, META_FILE, WEIGHTS_FILE, default_available, describer_dir
from .tokenizer import WordTokenizer
from .vocabulary import TypeWords

FORMAT_VERSION = "tellapart-describer/1"
MAX_WEIGHTS_BYTES = 30 * 1024 * 1024

__all__ = ["DEFAULT_DIR", "FORMAT_VERSION", "MAX_WEIGHTS_BYTES", "META_FILE", "WEIGHTS_FILE",
           "WeightsError", "default_available", "embedding_sha256", "load_default",
           "load_describer", "save_describer"]


class WeightsError(RuntimeError):
    """Describer weights are missing, corrupt, or do not match their metadata."""


def _safetensors() -> Any:
    try:
        import safetensors.torch as st
    except ImportError as exc:  # pragma: no cover - safetensors ships with transformers
        raise WeightsError("saving/loading describer weights needs `pip install safetensors`") from exc
    return st


_FLOAT16_MAX = 65504.0


def _to_storage(tensor: torch.Tensor, dtype: str) -> torch.Tensor:
    """``tensor`` as stored: float16 when asked for and it fits, else unchanged."""
    if dtype == "float32" or not tensor.is_floating_point():
        return tensor
    if tensor.numel() and float(tensor.abs().max()) > _FLOAT16_MAX:
        return tensor  # e.g. a large running variance: keep it exact rather than infinite
    return tensor.to(torch.float16)


def save_describer(
    model: Describer,
    folder: str | Path,
    extra: dict[str, Any] | None = None,
    dtype: str = "float32",
) -> Path:
    """Write ``model`` to ``folder`` (created if needed); returns the folder.

    Parameters
    ----------
    model : Describer
        The model; tied weights are stored once.
    folder : str or Path
        Destination folder.
    extra : dict, optional
        JSON-serialisable facts to keep beside the weights (training summary, metrics).
    dtype : {"float32", "float16"}
        Storage of floating-point tensors. float16 halves the file; loading converts back
        to float32 (tensors beyond float16's range stay float32).
    """
    if dtype not in ("float32", "float16"):
        raise ValueError(f"dtype must be 'float32' or 'float16', got {dtype!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: _to_storage(v.detach().to("cpu"), dtype).contiguous()
             for k, v in model.state_dict().items()}
    # lm_head shares its tensor with the token embedding; safetensors refuses shared storage
    state.pop("decoder.lm_head.weight", None)
    weights_path = folder / WEIGHTS_FILE
    _safetensors().save_file(state, str(weights_path), metadata={"format": FORMAT_VERSION})
    size = weights_path.stat().st_size
    if size > MAX_WEIGHTS_BYTES:
        raise WeightsError(f"weights are {size / 2**20:.1f} MiB, over the {MAX_WEIGHTS_BYTES / 2**20:.0f} MiB budget")
    meta = {
        "format": FORMAT_VERSION,
        "config": model.config.to_json(),
        "tokenizer": model.tokenizer.to_json(),
        "known_sentences": model.known_sentences,
        "type_ids": model.type_ids,
        "type_sentences": [list(pair) for pair in model.type_sentences],
        "type_floor": model.type_floor,
        "type_words": {tid: words.to_json() for tid, words in model.type_words.items()},
        "weights_sha256": file_sha256(weights_path),
        "weights_dtype": dtype,
        "n_params": model.n_params(),
        "extra": extra or {},
    }
    (folder / META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True), encoding="utf-8")
    return folder


def read_meta(folder: str | Path) -> dict[str, Any]:
    """The JSON metadata of a saved describer."""
    path = Path(folder) / META_FILE
    if not path.is_file():
        raise WeightsError(f"no describer at {folder}: {META_FILE} is missing")
    meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT_VERSION:
        raise WeightsError(
            f"{path} has format {meta.get('format')!r}; this tellapart reads {FORMAT_VERSION!r}"
        )
    return meta


def embedding_sha256(meta: dict[str, Any]) -> str:
    """The identity of the per-image embeddings and detectors of the describer with metadata
    ``meta``: the SHA-256 of the weights that first computed them.

    A describer fine-tuned without touching its image encoder and per-image heads (``tellapart
    train --from-concepts``) records its starting weights' identity as ``extra["embeds_as"]``;
    concepts (:mod:`tellapart.models.concepts`) are tied to this identity, so one learned with
    either describer is read by both.
    """
    return str(meta.get("extra", {}).get("embeds_as") or meta["weights_sha256"])


def load_describer(folder: str | Path, device: str = "cpu") -> Describer:
    """A describer from ``folder``, in eval mode, after checking the weights' SHA-256."""
    folder = Path(folder)
    meta = read_meta(folder)
    weights_path = folder / WEIGHTS_FILE
    if not weights_path.is_file():
        raise WeightsError(f"no describer weights at {weights_path}")
    digest = file_sha256(weights_path)
    if digest != meta.get("weights_sha256"):
        raise WeightsError(
            f"{weights_path} does not match {META_FILE} (sha256 {digest[:12]}..., expected "
            f"{str(meta.get('weights_sha256'))[:12]}...): the files are from different saves"
        )
    config = DescriberConfig.from_json(meta["config"])
    tokenizer = WordTokenizer.from_json(meta["tokenizer"])
    model = Describer(config, tokenizer, known_sentences=meta.get("known_sentences", {}),
                      type_ids=meta.get("type_ids") or None,
                      type_sentences=[tuple(p) for p in meta.get("type_sentences") or []] or None,
                      type_floor=meta.get("type_floor") or None,
                      type_words=_type_words(meta, folder))
    state = _safetensors().load_file(str(weights_path), device="cpu")
    state["decoder.lm_head.weight"] = state["decoder.wte.weight"]
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise WeightsError(
            f"weights at {weights_path} do not fit the config: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}"
        )
    return model.to(torch.device(device)).eval()


def _type_words(meta: dict[str, Any], folder: Path) -> dict[str, TypeWords]:
    """The per-type words of the metadata; a model with trained types must carry them, since
    inference reads wordings against them and never asks the generator."""
    raw = meta.get("type_words")
    if raw is None:
        if meta.get("type_ids"):
            raise WeightsError(
                f"{folder / META_FILE} has trained types but no 'type_words' (written by an older "
                "tellapart): export the weights again with `tellapart train --export-from CKPT`")
        return {}
    try:
        return {str(tid): TypeWords.from_json(words) for tid, words in raw.items()}
    except (AttributeError, ValueError) as exc:
        raise WeightsError(f"{folder / META_FILE}: malformed 'type_words': {exc}") from None


_defaults: dict[Path, Describer] = {}


def load_default() -> Describer:
    """The default describer: ``$TELLAPART_DESCRIBER`` or the shipped weights (loaded once)."""
    folder = describer_dir()
    if folder not in _defaults:
        if not default_available():
            raise WeightsError(
                f"no describer weights in {folder}; train some with `tellapart train --out DIR` "
                f"and point {ENV_VAR} at DIR/final"
            )
        _defaults[folder] = load_describer(folder)
    return _defaults[folder]
