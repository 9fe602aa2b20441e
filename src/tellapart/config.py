"""Settings, resolved once (defaults < config file < explicit arguments) and written into every report."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any


@dataclass
class Settings:
    """All knobs of a comparison. Every report carries the resolved values."""

    alpha: float = 0.05  # FDR level (Benjamini-Hochberg) deciding `significant`
    seed: int = 0  # seeds the proposal/held-out split and everything random
    top: int = 10  # findings shown in the terminal table (JSON/HTML keep all tested)
    min_images: int = 8  # fewer usable images in a set stops the run (exit code 2)
    shortlist: int = 8  # hypotheses per proposer and fold sent to held-out testing
    proposers: list[str] = field(default_factory=lambda: ["learned", "measurements"])
    # "auto": the medical measurements too when any image is DICOM or NIfTI; "on"; "off"
    medical_measurements: str = "auto"
    hypotheses: list[str] = field(default_factory=list)  # user-typed claims to test
    group_threshold: float = 0.8  # |Spearman r| between per-image scores that groups findings
    group_side_effects: bool = True  # list a finding the ones above it account for under them
    # a measurement finding whose gap a confirmed edit above it reproduces at least this share
    # of is listed under that edit's finding (None: never)
    edit_side_effect_share: float | None = 0.5
    n_examples: int = 4  # example images per set and finding
    min_effect: float | None = None  # significant findings with held-out AUROC below it are negligible
    overall: bool = True  # the global two-sample test, explained shares and counterfactual checks
    jobs: int = 0  # worker processes for decoding/measuring; 0 = all cores
    engine: str = "local"  # where the per-image stage runs: "local" or "ray" (the tellapart[ray] extra)
    ray_address: str | None = None  # --engine ray: None = a new local Ray instance; "auto", "ray://host:10001"
    cache: str | None = None  # SQLite cache file; None = default location, "" = no cache
    max_pixels: int = 100_000_000  # larger images are refused as decompression bombs
    dicom_window: str = "file"  # DICOM grey levels: "file" (its own window), "percentile", "full"
    dicom_frame: str = "first"  # a multi-frame DICOM gives its "first", "middle" or "max" frame
    nifti_view: str = "orthogonal"  # a 3-D NIfTI as "orthogonal" central slices, "axial", "mip"
    # concept library folder: None = the user's (tellapart.models.concept_library), "" = none
    library: str | None = None
    header_evidence: bool = True  # test differences in DICOM/NIfTI technical header attributes
    quarter_views: bool = True  # the describer also sees large images as 4 quarters + 4 corners (small marks)
    # Optional backends, off unless named in `proposers` (clip, vlm) or, for the clip scorer
    # of typed claims, given a model. See docs/backends.md.
    clip_model: str | None = None  # CLIP/SigLIP: a save_pretrained folder or a cached Hugging Face id
    api_base: str | None = None  # OpenAI-compatible chat-completions endpoint of the vlm proposer
    api_key_env: str = "TELLAPART_API_KEY"  # environment variable holding that endpoint's key
    vlm_model: str | None = None  # the image-captioning model served at api_base
    llm_model: str | None = None  # the model that writes hypotheses from captions; None: vlm_model
    vlm_rounds: int = 3  # rounds per proposal fold, each captioning up to 20 images per set
    max_requests: int = 500  # most requests sent to api_base in one comparison (cached answers are free)
    api_timeout: float = 60.0  # seconds one request may take before it is retried
    api_cache: str | None = None  # SQLite file of answers; None: beside the feature cache, "": none
    group_a: str | None = None  # manifest group for set A
    group_b: str | None = None
    progress: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def checked_fields(cls: type, data: dict[str, Any], what: str) -> dict[str, Any]:
    """A copy of ``data`` once every key is checked to name a field of the dataclass ``cls``:
    a config read back from JSON with a misspelt or foreign key is an error, never ignored.

    Raises
    ------
    ValueError
        "unknown {what} key(s): ..." naming the keys that are not fields.
    """
    unknown = set(data) - {f.name for f in fields(cls)}
    if unknown:
        raise ValueError(f"unknown {what} key(s): {', '.join(sorted(unknown))}")
    return dict(data)


def known_fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The items of ``data`` that name a field of the dataclass ``cls``, the rest dropped: for
    configs stored in checkpoints, which older code may have written with keys the class no
    longer has (a config a user writes is read with :func:`checked_fields`)."""
    known = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in known}


def resolve_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Defaults, then a TOML config file (top-level keys or a ``[tellapart]`` table), then overrides.

    ``None`` overrides are ignored, so CLI flags that were not given keep lower layers.
    Unknown keys are an error: a misspelt setting must not be silently ignored.
    """
    known = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    if config_file is not None:
        with open(config_file, "rb") as fh:
            data = tomllib.load(fh)
        data = data.get("tellapart", data)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown setting(s) in {config_file}: {', '.join(sorted(unknown))}")
        values.update(data)
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
