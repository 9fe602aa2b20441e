"""Text stage: teach the image-text scorer's text side more ways to say each difference.

Usage::

    tellapart train --tune-text src/tellapart/data/describer --out out/run_t1 --export-dtype float16
    # -> out/run_t1/final: the same describer with a retrained text adapter

Only ``scorer.txt_adapter`` (the residual linear map on frozen MiniLM embeddings) is trained;
the encoder, the comparator, the decoder, the type head (and type classifier) and the scorer's
image side stay as they were, so the type floors stay valid. The images are labelled single images
from the training split (:meth:`TaskSampler.labelled_images`), embedded once by the frozen
encoder; the phrases are each type's trained phrases plus its ``wordings``. The per-image
loss is the one full training uses for the image-text head (binary cross-entropy of every
image against every phrase, positives weighted up). Each type's held-out scorer phrase stays
out, as in full training, so ``heldout_auroc`` measures unseen wordings.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from ..models import text as text_side
from .curriculum import LEVELS, Level
from .data import SamplerOptions, TaskSampler

if TYPE_CHECKING:
    from ..models.describer import Describer


@dataclass
class TextStageConfig:
    """Settings of the text stage (defaults: the recipe of the shipped weights)."""

    n_images: int = 2000  # labelled training images, split evenly over `levels`
    levels: tuple[int, ...] = (0, 1)  # curriculum levels the images' strengths come from
    steps: int = 300
    batch: int = 512  # images per step; every phrase is in every step
    lr: float = 1e-3
    pos_weight: float = 4.0  # as full training: positives are rare among all phrases
    seed: int = 4242
    val_images: int = 1000  # images drawn with another seed to measure the held-out phrases
    curriculum: tuple[Level, ...] = LEVELS  # what the level indices in `levels` refer to
    sampler: SamplerOptions = SamplerOptions()  # the types and bases drawn (weights unused)


def stage_phrases(sampler: TaskSampler) -> tuple[list[str], list[int]]:
    """Every type's trained phrases and wordings (held-out phrases excluded), with owner indices."""
    pairs = [(phrase, k) for k, info in enumerate(sampler.types) for phrase in info.reading_phrases]
    return [p for p, _ in pairs], [k for _, k in pairs]


def _labelled(model: Describer, sampler: TaskSampler, n: int, levels: tuple[Level, ...],
              rng: np.random.Generator) -> tuple[torch.Tensor, np.ndarray]:
    parts, labels = [], []
    for i, level in enumerate(levels):
        count = n // len(levels) + (1 if i < n % len(levels) else 0)
        images, lab = sampler.labelled_images(count, level, rng)
        parts.append(model.embed(images))  # (count, D)
        labels.append(lab)
    return torch.from_numpy(np.concatenate(parts)), np.concatenate(labels)


def _heldout_auroc(model: Describer, sampler: TaskSampler, emb: torch.Tensor,
                   labels: np.ndarray) -> float:
    """Mean AUROC of each type's held-out phrase: its images against all others."""
    from ..stats import auroc

    phrases = [(k, p) for k, info in enumerate(sampler.types) for p in info.heldout_phrases]
    if not phrases:
        return float("nan")
    scores = model.score_texts(emb.numpy(), [p for _, p in phrases])  # (N, H)
    values = []
    for j, (k, _) in enumerate(phrases):
        positive = labels[:, k] > 0
        if positive.any() and (~positive).any():
            values.append(auroc(scores[positive, j], scores[~positive, j]))
    return float(np.mean(values))


def tune_text_adapter(model: Describer, cfg: TextStageConfig | None = None,
                      log: Any = None) -> dict[str, Any]:
    """Retrain ``model.scorer.txt_adapter`` in place; returns a summary for the model's metadata.

    Parameters
    ----------
    model : Describer
        A trained describer whose ``type_ids`` are the synth registry's types.
    cfg : TextStageConfig, optional
    log : callable, optional
        Called with one progress line at a time (``print`` to see them).

    Returns
    -------
    dict
        The settings, phrase count, loss before and after, held-out phrase AUROC before and
        after, and seconds taken.
    """
    cfg = cfg or TextStageConfig()
    t0 = time.perf_counter()
    torch.manual_seed(cfg.seed)
    options = replace(cfg.sampler, type_weights=())
    levels = tuple(cfg.curriculum[i] for i in cfg.levels)
    sampler = options.sampler(model.config.image_size, cfg.seed, 512)
    if sampler.type_ids != model.type_ids:
        raise ValueError("the describer's difference types are not the synth registry's: "
                         "the text stage needs a model trained on this version of the suite")
    model.eval()
    rng = np.random.default_rng([cfg.seed, 1])
    emb, labels = _labelled(model, sampler, cfg.n_images, levels, rng)
    val_sampler = options.sampler(model.config.image_size, cfg.seed + 1, 256)
    val_emb, val_labels = _labelled(model, val_sampler, cfg.val_images, levels,
                                    np.random.default_rng([cfg.seed, 2]))
    phrases, owners = stage_phrases(sampler)
    txt = torch.from_numpy(text_side.encode(phrases))  # (P, 384)
    target = torch.from_numpy(labels[:, owners])  # (N, P)
    scorer = model.scorer
    adapter = scorer.txt_adapter
    trainable: list[torch.Tensor] = [adapter.weight, adapter.bias]
    frozen = [p for p in model.parameters() if all(p is not q for q in trainable)]
    for param in frozen:
        param.requires_grad_(False)
    for tensor in trainable:
        tensor.requires_grad_(True)
    opt = torch.optim.AdamW(trainable, lr=cfg.lr, weight_decay=0.0)
    pos_w = torch.full((len(phrases),), cfg.pos_weight)

    def loss_on(rows: torch.Tensor) -> torch.Tensor:
        logits = scorer(emb[rows], txt)  # (B, P)
        return F.binary_cross_entropy_with_logits(logits, target[rows], pos_weight=pos_w)

    everything = torch.arange(emb.shape[0])
    with torch.no_grad():
        loss_before = float(loss_on(everything))
    auroc_before = _heldout_auroc(model, val_sampler, val_emb, val_labels)
    gen = torch.Generator().manual_seed(cfg.seed)
    for step in range(cfg.steps):
        rows = torch.randint(0, emb.shape[0], (min(cfg.batch, emb.shape[0]),), generator=gen)
        loss = loss_on(rows)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if log is not None and (step % 100 == 0 or step == cfg.steps - 1):
            log(f"text stage step {step + 1}/{cfg.steps} loss {loss.item():.4f}")
    for param in frozen:
        param.requires_grad_(True)
    model.eval()
    with torch.no_grad():
        loss_after = float(loss_on(everything))
    auroc_after = _heldout_auroc(model, val_sampler, val_emb, val_labels)
    return {
        "config": asdict(cfg),
        "n_phrases": len(phrases),
        "loss_before": round(loss_before, 5),
        "loss_after": round(loss_after, 5),
        "heldout_phrase_auroc_before": round(auroc_before, 4),
        "heldout_phrase_auroc_after": round(auroc_after, 4),
        "seconds": round(time.perf_counter() - t0, 1),
    }
