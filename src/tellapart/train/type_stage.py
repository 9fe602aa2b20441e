"""Type stage: fit the describer's type classifier on the frozen encoder's embeddings.

Usage::

    tellapart train --tune-types src/tellapart/data/describer --out out/run_k1 --seed 1 --export-dtype float16
    # -> out/run_k1/final: the same describer with a fitted type classifier and new floors

Why a stage after training: the jointly trained type head is one linear map, fitted on the
few labelled images of each step; its outputs for look-alike marks move together (tiny
rectangles fire the "dots" output as much as their own, triangles the "stars" one), and the
subtler types are detected worse than a hidden layer on the same features can. Here the
encoder stays frozen, so every image is embedded once, and a small MLP
(:class:`~tellapart.models.describer.TypeClassifier`) is fitted on many labelled images
(:meth:`TaskSampler.stacked_images`: training split, every curriculum level, up to three
differences per image as in tasks) with the joint training's per-image loss (binary
cross-entropy against every type, positives weighted up). The per-type floors are then
calibrated again for the new logits. The encoder, the comparator (which keeps reading the
type head it was trained with), the decoder and the image-text scorer do not change.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from .curriculum import LEVELS, Level
from .data import SamplerOptions, TaskSampler
from .floors import calibrate_type_floor

if TYPE_CHECKING:
    from ..models.describer import Describer


@dataclass
class TypeStageConfig:
    """Settings of the type stage (defaults: the recipe of the shipped weights)."""

    images_per_level: int = 40_000  # labelled training images at each curriculum level
    # P(an image has 0, 1, 2, 3 differences): task images carry stacks, so the classifier sees them
    count_p: tuple[float, ...] = (0.1, 0.5, 0.25, 0.15)
    chunk: int = 1000  # images drawn and embedded at a time
    pool_size: int = 1024  # base images in memory (the validation pool is a quarter)
    pool_every: int = 4  # chunks between redrawing the base-image pool
    hidden: int = 512  # width of the classifier's hidden layer
    epochs: int = 20
    batch: int = 512
    lr: float = 1e-3
    weight_decay: float = 1e-2
    pos_weight: float = 4.0  # as full training: positives are rare among all types
    seed: int = 1
    val_images: int = 2000  # per level, drawn with another seed, to measure the classifier
    floor_images: int = 2000  # validation-pool images the type floors are calibrated on
    levels: tuple[Level, ...] = LEVELS  # the strengths of each block of images
    sampler: SamplerOptions = SamplerOptions()  # the types and bases drawn (weights unused)


def labelled_embeddings(model: Describer, sampler: TaskSampler, per_level: int, chunk: int,
                        pool_every: int, seed: int, count_p: tuple[float, ...],
                        curriculum: tuple[Level, ...] = LEVELS,
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, D) embeddings, (N, T) labels and (N,) level index of labelled images.

    The images come from :meth:`TaskSampler.stacked_images` (``count_p``: the probabilities
    of 0, 1, 2, ... differences per image) at the strengths of each level of ``curriculum``.

    Each level's images come in chunks; the sampler's pool of base images is redrawn every
    ``pool_every`` chunks so that many base images are seen. A pure function of ``seed``.
    """
    rng = np.random.default_rng([seed, 99])
    embs, labels, levels = [], [], []
    for li, level in enumerate(curriculum):
        done = 0
        for c in range(-(-per_level // chunk)):
            if c % pool_every == 0:
                sampler.reset_pool(np.random.default_rng([seed, 7, li, c]))
            n = min(chunk, per_level - done)
            images, lab = sampler.stacked_images(n, level, rng, count_p)
            embs.append(model.embed(images))  # (n, D)
            labels.append(lab)
            levels.append(np.full(n, li))
            done += n
    return np.concatenate(embs), np.concatenate(labels), np.concatenate(levels)


def mean_type_auroc(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean over types (with both classes present) of the AUROC of its logit for its images."""
    from ..stats import auroc

    values = []
    for k in range(labels.shape[1]):
        positive = labels[:, k] > 0.5
        if positive.any() and (~positive).any():
            values.append(auroc(logits[positive, k], logits[~positive, k]))
    return float(np.mean(values)) if values else float("nan")


def fit_type_classifier(model: Describer, cfg: TypeStageConfig | None = None,
                        log: Any = None) -> dict[str, Any]:
    """Give ``model`` a fitted type classifier and recalibrated floors, in place.

    Parameters
    ----------
    model : Describer
        A trained describer with a type head whose ``type_ids`` are the synth registry's.
    cfg : TypeStageConfig, optional
    log : callable, optional
        Called with one progress line at a time (``print`` to see them).

    Returns
    -------
    dict
        The settings, the number of images, the validation mean type AUROC per level of
        the type head and of the classifier, and seconds taken.
    """
    from ..models.describer import TypeClassifier

    cfg = cfg or TypeStageConfig()
    if model.type_head is None:
        raise ValueError("the type stage needs a describer with a type head")
    t0 = time.perf_counter()
    torch.manual_seed(cfg.seed)
    size = model.config.image_size
    options = replace(cfg.sampler, type_weights=())
    sampler = options.sampler(size, cfg.seed, cfg.pool_size)
    if sampler.type_ids != model.type_ids:
        raise ValueError("the describer's difference types are not the synth registry's: "
                         "the type stage needs a model trained on this version of the suite")
    model.eval()
    emb, labels, _ = labelled_embeddings(model, sampler, cfg.images_per_level, cfg.chunk,
                                         cfg.pool_every, cfg.seed, cfg.count_p, cfg.levels)
    val_sampler = options.sampler(size, cfg.seed + 10_007, max(1, cfg.pool_size // 4))
    val_emb, val_labels, val_level = labelled_embeddings(
        model, val_sampler, cfg.val_images, cfg.chunk, cfg.pool_every, cfg.seed + 10_007,
        cfg.count_p, cfg.levels)
    if log is not None:
        log(f"type stage: {len(emb)} training and {len(val_emb)} validation images embedded "
            f"in {time.perf_counter() - t0:.0f} s")

    with torch.no_grad():  # the jointly trained head's logits, for comparison
        head_logits = model.type_head(torch.from_numpy(val_emb).to(model.device)).float().cpu().numpy()
    classifier = TypeClassifier(model.config.embed_dim, cfg.hidden, len(model.type_ids))
    _train_classifier(classifier, emb, labels, cfg, log)
    model.type_classifier = classifier.to(model.device)
    model.config.type_classifier_hidden = cfg.hidden  # saved weights then load with it
    model.eval()

    by_level = _auroc_by_level(head_logits, model.type_logits(val_emb), val_labels, val_level,
                               cfg.levels)
    model.type_floor = calibrate_type_floor(model, val_sampler, n_images=cfg.floor_images,
                                            seed=cfg.seed, level=cfg.levels[-1])
    return {
        "config": asdict(cfg),
        "n_images": int(len(emb)),
        "val_mean_type_auroc": by_level,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _train_classifier(classifier: torch.nn.Module, emb: np.ndarray, labels: np.ndarray,
                      cfg: TypeStageConfig, log: Any) -> None:
    """Fit ``classifier`` to the labels of the embeddings (binary cross-entropy against every
    type, positives weighted up); it is left in eval mode."""
    x = torch.from_numpy(emb.astype(np.float32))  # (N, D)
    y = torch.from_numpy(labels.astype(np.float32))  # (N, T)
    opt = torch.optim.AdamW(classifier.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    pos_w = torch.full((y.shape[1],), cfg.pos_weight)
    gen = torch.Generator().manual_seed(cfg.seed)
    classifier.train()
    for epoch in range(cfg.epochs):
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), cfg.batch):
            rows = order[start:start + cfg.batch]
            loss = F.binary_cross_entropy_with_logits(classifier(x[rows]), y[rows], pos_weight=pos_w)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if log is not None and (epoch % 5 == 4 or epoch == cfg.epochs - 1):
            log(f"type stage epoch {epoch + 1}/{cfg.epochs} loss {loss.item():.4f}")
    classifier.eval()


def _auroc_by_level(head_logits: np.ndarray, new_logits: np.ndarray, labels: np.ndarray,
                    level_of: np.ndarray, levels: tuple[Level, ...] = LEVELS,
                    ) -> dict[str, dict[str, float]]:
    """Per level, the mean type AUROC of the joint type head and of the classifier."""
    by_level: dict[str, dict[str, float]] = {}
    for li, level in enumerate(levels):
        rows = level_of == li
        by_level[level.name] = {
            "type_head": round(mean_type_auroc(head_logits[rows], labels[rows]), 4),
            "classifier": round(mean_type_auroc(new_logits[rows], labels[rows]), 4),
        }
    return by_level
