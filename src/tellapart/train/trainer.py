"""``tellapart train``: train the learned difference describer on synthetic tasks.

Usage::

    tellapart train --out runs/d1 --minutes 170                 # the shipped model, 2 CPU cores
    tellapart train --out runs/d1 --resume runs/d1/ckpt.pt --minutes 30
    tellapart train --out runs/g1 --device cuda --n-tasks 16 --workers 14 --minutes 18 \
        --text-cache text_cache.npz --export-dtype float16                   # on a GPU box
    python -m tellapart.train --out out/t --model tiny --steps 20         # smoke run
    tellapart train --config configs/describer.toml [--resume]        # the whole recipe
    tellapart train --tune-types runs/d1/final --out runs/k1 --seed 1     # then the type stage
    tellapart train --from-concepts --library LIB --out runs/c1          # write learned concepts

Each step draws ``n_tasks`` synthetic set pairs (``n_per_side`` images per set) at the
curriculum's level and trains everything at once from one encoder pass per image:

- the image-text scorer on per-image labels (which differences each image got, worded
  by a random phrase of that type), binary cross-entropy against every type;
- the comparator + decoder on the set pair, one target sentence per true difference.

Every ``val_every`` steps a fixed, seeded set of validation tasks at the current level is
described; ``recall`` (true differences found among the top ``n_true + 1`` sentences)
drives promotion. Metrics go to ``OUT/metrics.jsonl``, the latest state to ``OUT/ckpt.pt``
(resume is exact for ``--steps`` runs: every step's randomness is a function of
(seed, step)), and the final weights to ``OUT/final/`` (safetensors + JSON).

Step data is made in this process by default; ``--workers N`` makes it in N worker
processes (:mod:`tellapart.train.loader`) with the very same result, to feed a GPU.
``--text-cache FILE`` (or ``TELLAPART_TEXT_CACHE``) serves the frozen text side from a file
written by ``python -m tellapart.train.text_cache``, so MiniLM need not be installed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..config import known_fields
from ..models import text as text_side
from ..models.describer import Describer, DescriberConfig
from ..models.tokenizer import WordTokenizer, normalize_sentence
from ..models.weights import save_describer
from ..stats import auroc
from ..types import swap_sets
from . import rloo
from .curriculum import LEVELS, PROMOTE_AT, Curriculum
from .data import Level, SamplerOptions, pool_rng, type_words
from .floors import calibrate_type_floor
from .loader import ParallelSteps, StepData, StepSpec, prepare_step


@dataclass
class TrainConfig:
    """Knobs of one training run (saved in the checkpoint)."""

    model: str = "small"  # describer size: "tiny" or "small"
    seed: int = 0
    device: str = "cpu"
    n_tasks: int = 4  # set pairs per step
    n_per_side: int = 8  # images per set in training tasks (validation uses 16)
    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup_steps: int = 100
    scorer_weight: float = 1.0  # weight of the per-image loss against the sentence loss
    type_head_weight: float = 1.0  # weight of the per-image type-classification aid (0: none)
    type_stats: bool = True  # the comparator reads each set's mean type probabilities
    aux_images: int = 0  # extra single images per step, each with one random difference (dense labels)
    pos_weight: float = 4.0  # per-image positives are rare among all types
    pool_size: int = 1024  # base images in memory
    pool_every: int = 300  # steps between redrawing the base-image pool
    val_every: int = 200
    val_tasks: int = 32
    val_per_side: int = 16
    ckpt_every: int = 200
    log_every: int = 20
    p_canonical: float = 0.5  # share of targets in the canonical wording (rest: paraphrases)
    holdout_paraphrase: bool = True
    levels: list[dict[str, Any]] | None = None  # the curriculum's levels (None: LEVELS)
    promote_at: list[float] | None = None  # validation recall to leave each level but the last
    start_level: int = 0  # the curriculum level a new run starts at (a warm start may skip some)
    sampler: dict[str, Any] = field(default_factory=dict)  # SamplerOptions (default: general types)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def curriculum_levels(self) -> tuple[Level, ...]:
        """The curriculum's levels: :data:`LEVELS` unless the run names its own."""
        return LEVELS if self.levels is None else tuple(Level.from_dict(d) for d in self.levels)

    def new_curriculum(self) -> Curriculum:
        """The curriculum of a new run, at ``start_level``."""
        levels = self.curriculum_levels()
        thresholds = PROMOTE_AT if self.promote_at is None else tuple(self.promote_at)
        if len(thresholds) != len(levels) - 1:
            raise ValueError(f"{len(levels)} curriculum levels need {len(levels) - 1} promotion "
                             f"thresholds (promote_at), got {len(thresholds)}")
        if not 0 <= self.start_level < len(levels):
            raise ValueError(f"start_level {self.start_level} is not a level index "
                             f"(0..{len(levels) - 1})")
        return Curriculum(level=self.start_level, levels=levels, thresholds=thresholds)

    def sampler_options(self) -> SamplerOptions:
        return SamplerOptions.from_dict(self.sampler)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainConfig:
        return cls(**known_fields(cls, data))


def _lr_at(cfg: TrainConfig, step: int, progress: float) -> float:
    """Linear warm-up, constant, then cosine decay over the last 30 % of the run."""
    warm = min(1.0, (step + 1) / max(1, cfg.warmup_steps))
    if progress <= 0.7:
        return cfg.lr * warm
    t = min(1.0, (progress - 0.7) / 0.3)
    return cfg.lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def _auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """AUROC (:func:`tellapart.stats.auroc`) of the label-1 scores against the label-0 ones.

    NaN without both classes, or when a score is NaN (a diverged model), so one bad
    validation type does not stop a run: ``validate`` averages with ``nanmean``.
    """
    positive = labels > 0.5
    if positive.all() or not positive.any() or np.isnan(scores).any():
        return float("nan")
    return auroc(scores[positive], scores[~positive])


class Trainer:
    """Owns the model, optimiser, data, curriculum and logs of one run.

    Parameters
    ----------
    cfg : TrainConfig
        Run settings.
    out : str or Path
        Output folder (checkpoints, metrics, final weights).
    progress : bool
        Show a progress bar on stderr.
    workers : int
        Processes making step data; 0 makes it in this process. Results do not depend on it.
    """

    def __init__(self, cfg: TrainConfig, out: str | Path, progress: bool = True,
                 workers: int = 0) -> None:
        if workers < 0:
            raise ValueError(f"workers must be >= 0, got {workers}")
        self.cfg = cfg
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.progress = progress
        self.workers = workers
        self._loader: ParallelSteps | None = None
        self.device = torch.device(cfg.device)
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("--device cuda given but torch sees no CUDA device")
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # every step has the same shapes
        torch.manual_seed(cfg.seed)
        torch.set_flush_denormal(True)  # denormal Adam moments slow CPU steps several-fold
        probe = DescriberConfig.named(cfg.model, vocab_size=5)
        self.curriculum = cfg.new_curriculum()
        options = cfg.sampler_options()
        self.sampler = options.sampler(probe.image_size, cfg.seed, cfg.pool_size,
                                       cfg.holdout_paraphrase)
        # validation measures the task distribution itself, not the weighted training draw
        self.val_sampler = replace(options, type_weights=()).sampler(
            probe.image_size, cfg.seed + 10_007, max(64, cfg.pool_size // 4),
            cfg.holdout_paraphrase)
        self.tokenizer = WordTokenizer.build(self.sampler.all_sentences())
        mcfg = DescriberConfig.named(cfg.model, vocab_size=len(self.tokenizer))
        if cfg.type_head_weight > 0:
            mcfg.n_types = len(self.sampler.type_ids)
            mcfg.type_stats = cfg.type_stats
        swap = swap_sets
        self.model = Describer(
            mcfg, self.tokenizer, known_sentences=self.sampler.known_sentences(),
            type_ids=list(self.sampler.type_ids),
            type_sentences=[(t.sentences[0], swap(t.sentences[0])) for t in self.sampler.types],
            type_words={t: type_words(d) for t, d in self.sampler.diffs.items()})
        self.model.to(self.device)
        # fused AdamW: one kernel per step instead of ~10 passes over every tensor
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr, fused=True,
                                     weight_decay=cfg.weight_decay, betas=(0.9, 0.98))
        self.step = 0
        self.elapsed = 0.0
        self.pool_epoch = 0
        self.truth_table = self.sampler.sentence_truths()
        # frozen text side: every training phrase embedded once
        phrases = sorted({p for t in self.sampler.types for p in t.image_phrases + t.heldout_phrases})
        self.phrase_index = {p: i for i, p in enumerate(phrases)}
        self.phrase_emb = torch.from_numpy(text_side.encode(phrases)).to(self.device)  # (P, 384)
        self._val_cache: dict[int, list[tuple[np.ndarray, np.ndarray, list[tuple[str, str]]]]] = {}
        self._stop_requested = False

    def request_stop(self) -> None:
        """Ask :meth:`run` to stop after the step in progress, as when the sitting's time is
        up (a checkpoint, no final validation); safe to call from a signal handler."""
        self._stop_requested = True

    # -- state ------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "train_config": self.cfg.to_json(),
            "model_config": self.model.config.to_json(),
            "tokenizer": self.tokenizer.to_json(),
            "model": self.model.state_dict(),
            "optimizer": self.opt.state_dict(),
            "curriculum": self.curriculum.state_dict(),
            "step": self.step,
            "elapsed": self.elapsed,
        }

    def save_checkpoint(self, path: str | Path | None = None) -> Path:
        path = Path(path) if path is not None else self.out / "ckpt.pt"
        tmp = path.with_suffix(".tmp")
        torch.save(self.state_dict(), tmp)
        tmp.replace(path)  # never leave a half-written checkpoint
        return path

    def load_checkpoint(self, path: str | Path) -> None:
        state = torch.load(path, map_location=self.device, weights_only=False)
        if state["tokenizer"] != self.tokenizer.to_json():
            raise RuntimeError(
                f"checkpoint {path} was trained with a different vocabulary (the synthetic "
                "sentences changed); start a new run instead of resuming"
            )
        if state["model_config"] != self.model.config.to_json():
            raise RuntimeError(f"checkpoint {path} holds a {state['model_config']} model, "
                               f"not {self.model.config.to_json()}")
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])
        self.curriculum.load_state_dict(state["curriculum"])
        self.step = int(state["step"])
        self.elapsed = float(state["elapsed"])

    # -- one step ---------------------------------------------------------------------------------
    def _ensure_pool(self) -> None:
        epoch = self.step // self.cfg.pool_every
        if epoch != self.pool_epoch:
            self.sampler.reset_pool(pool_rng(self.cfg.seed, epoch))
            self.pool_epoch = epoch

    def _autocast(self) -> Any:
        if self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return torch.autocast("cpu", enabled=False)

    def step_spec(self) -> StepSpec:
        """The settings that decide each step's data."""
        cfg = self.cfg
        return StepSpec(seed=cfg.seed, image_size=self.sampler.image_size,
                        pool_size=cfg.pool_size, pool_every=cfg.pool_every,
                        holdout_paraphrase=cfg.holdout_paraphrase, n_tasks=cfg.n_tasks,
                        n_per_side=cfg.n_per_side, p_canonical=cfg.p_canonical,
                        aux_images=cfg.aux_images, levels=self.curriculum.levels,
                        sampler=self.cfg.sampler_options())

    def _step_data(self) -> StepData:
        if self.workers == 0:
            self._ensure_pool()
            return prepare_step(self.sampler, self.step_spec(), self.step, self.curriculum.level)
        if self._loader is None:
            self._loader = ParallelSteps(self.step_spec(), self.workers)
        return self._loader.get(self.step, self.curriculum.level)

    def close(self) -> None:
        """Stop data workers, if any (a later step starts them again)."""
        if self._loader is not None:
            self._loader.close()
            self._loader = None

    def train_step(self, progress: float = 0.0) -> dict[str, float]:
        """One optimisation step; returns its losses (and ``data_s``, the wait for its data)."""
        cfg = self.cfg
        t0 = time.perf_counter()
        data = self._step_data()
        data_s = time.perf_counter() - t0
        n_t, n2 = data.images.shape[:2]
        n = data.n_per_side
        flat = torch.from_numpy(data.images.reshape(n_t * n2, *data.images.shape[2:]))
        if data.slot >= 0 and self.device.type == "cpu":
            flat = flat.clone()  # the shared slot is reused once released
        images = flat.to(self.device)
        if self._loader is not None:
            self._loader.release(data)
        labels = torch.from_numpy(data.labels.reshape(n_t * n2, -1)).to(self.device)  # (N, K)
        txt = self.phrase_emb[[self.phrase_index[w] for w in data.words]]  # (K, 384)
        owners = data.owners
        tokens = self._pad([self.tokenizer.encode(s) for s in data.sentences])  # (M, T)

        self.model.train()
        lr = _lr_at(cfg, self.step, progress)
        for group in self.opt.param_groups:
            group["lr"] = lr
        n_main = images.shape[0]
        if data.aux_images is not None and data.aux_labels is not None:
            # single labelled images join the encoder pass and the per-image losses only
            images = torch.cat([images, torch.from_numpy(data.aux_images).to(self.device)])
            labels = torch.cat([labels, torch.from_numpy(data.aux_labels).to(self.device)])
        with self._autocast():
            emb_all = self.model.encoder(images)  # (N + M, D)
            emb = emb_all[:n_main]  # (N, D) the task images
            logits = self.model.scorer(emb_all, txt).float()  # (N + M, K)
            pos_w = torch.full((logits.shape[1],), cfg.pos_weight, device=self.device)
            loss_img = F.binary_cross_entropy_with_logits(logits, labels, pos_weight=pos_w)
            loss_type = torch.zeros((), device=self.device)
            if self.model.type_head is not None:
                loss_type = F.binary_cross_entropy_with_logits(
                    self.model.type_head(emb_all).float(), labels, pos_weight=pos_w)  # (N + M, K)
            sets = emb.view(n_t, n2, -1)  # (T, 2n, D)
            prefix = self.model.compare(sets[:, :n], sets[:, n:])  # (T, P, d)
            loss_txt = self.model.sentence_loss(prefix[owners], tokens)
            loss = loss_txt + cfg.scorer_weight * loss_img + cfg.type_head_weight * loss_type
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.opt.step()
        self.step += 1
        return {"loss": loss.item(), "loss_txt": loss_txt.item(), "loss_img": loss_img.item(),
                "loss_type": loss_type.item(), "lr": lr, "level": float(self.curriculum.level), "data_s": data_s}

    def _pad(self, seqs: list[list[int]]) -> torch.Tensor:
        width = max(len(s) for s in seqs)
        if width > self.model.config.block_size:
            raise ValueError(f"a target sentence has {width} tokens, over block_size "
                             f"{self.model.config.block_size}")
        out = torch.full((len(seqs), width), self.tokenizer.pad_id, dtype=torch.long)
        for i, s in enumerate(seqs):
            out[i, : len(s)] = torch.tensor(s)
        return out.to(self.device)

    # -- validation -------------------------------------------------------------------------------
    def _val_tasks(self, level_index: int) -> list[tuple[np.ndarray, np.ndarray, list[tuple[str, str]]]]:
        if level_index not in self._val_cache:
            rng = np.random.default_rng([self.cfg.seed, 424242, level_index])
            level: Level = self.curriculum.levels[level_index]
            self._val_cache[level_index] = [
                self.val_sampler.task(level, self.cfg.val_per_side, rng) for _ in range(self.cfg.val_tasks)
            ]
        return self._val_cache[level_index]

    @torch.no_grad()
    def validate(self, level_index: int | None = None) -> dict[str, float]:
        """Describe the fixed validation tasks of a level; recall, top-1 and scorer AUROC."""
        level_index = self.curriculum.level if level_index is None else level_index
        tasks = self._val_tasks(level_index)
        n = self.cfg.val_per_side
        hits = found = total = 0
        type_hits = type_found = 0
        all_emb, all_lab = [], []
        for images, labels, truths in tasks:
            emb = self.model.embed(images)
            all_emb.append(emb)
            all_lab.append(labels)
            said = self.model.describe(emb[:n], emb[n:], n=len(truths) + 1, beam_width=6)
            claims = [self.truth_table.get(normalize_sentence(s), set()) for s, _ in said]
            true = set(truths)
            if claims and claims[0] & true:
                hits += 1
            got = set().union(*claims) if claims else set()
            found += len(true & got)
            total += len(true)
            if self.model.type_head is not None:
                by_type = self.model.describe_types(emb[:n], emb[n:], n=len(truths) + 1)
                t_claims = [self.truth_table.get(normalize_sentence(s), set()) for s, _ in by_type]
                if t_claims and t_claims[0] & true:
                    type_hits += 1
                type_found += len(true & set().union(*t_claims)) if t_claims else 0
        emb_all = np.concatenate(all_emb)
        lab_all = np.concatenate(all_lab)
        seen, unseen = [], []
        for k, info in enumerate(self.sampler.types):
            if lab_all[:, k].sum() == 0:
                continue
            scores = self.model.score_texts(emb_all, [info.image_phrases[0]] + info.heldout_phrases)
            seen.append(_auroc(scores[:, 0], lab_all[:, k]))
            if info.heldout_phrases:
                unseen.append(_auroc(scores[:, 1], lab_all[:, k]))
        return {
            "level": float(level_index),
            "top1": hits / len(tasks),
            "recall": found / max(1, total),
            "type_top1": type_hits / len(tasks),
            "type_recall": type_found / max(1, total),
            "scorer_auroc": float(np.nanmean(seen)) if seen else float("nan"),
            "scorer_auroc_unseen_wording": float(np.nanmean(unseen)) if unseen else float("nan"),
        }

    # -- the loop ---------------------------------------------------------------------------------
    def log(self, record: dict[str, Any]) -> None:
        with open(self.out / "metrics.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")

    def run(self, steps: int | None = None, minutes: float | None = None,
            wall_minutes: float | None = None,
            sitting_minutes: float | None = None) -> dict[str, float]:
        """Train until ``steps`` total steps or ``minutes`` total minutes; returns the last validation.

        Parameters
        ----------
        steps : int, optional
            Total steps (counting those before a resume).
        minutes : float, optional
            Total time spent in training steps (validation and checkpoints not counted).
        wall_minutes : float, optional
            Wall-clock limit of this call, validation and checkpoints included; the
            learning-rate schedule also completes by then. For a machine lent for a fixed time.
        sitting_minutes : float, optional
            Stop after the first step that ends this many minutes into the call (or after
            :meth:`request_stop`), with a checkpoint and no final validation (an empty dict
            is returned); the schedule is that of ``steps``, so resuming the checkpoint goes
            on exactly as if uninterrupted.
        """
        if steps is None and minutes is None and wall_minutes is None:
            raise ValueError("give steps, minutes or wall_minutes")
        budget_s = minutes * 60.0 if minutes is not None else None
        wall_s = wall_minutes * 60.0 if wall_minutes is not None else None
        started = time.perf_counter()
        sitting_s = sitting_minutes * 60.0 if sitting_minutes is not None else None
        try:
            return self._run(steps, budget_s, wall_s, started, sitting_s)
        finally:
            self.close()

    def _run(self, steps: int | None, budget_s: float | None, wall_s: float | None,
             started: float, sitting_s: float | None = None) -> dict[str, float]:
        bar = _Bar(self.progress, steps, budget_s or wall_s)
        last_val: dict[str, float] = {}
        window: list[dict[str, float]] = []
        while True:
            progress = max(self.step / steps if steps else 0.0,
                           self.elapsed / budget_s if budget_s else 0.0,
                           (time.perf_counter() - started) / wall_s if wall_s else 0.0)
            if progress >= 1.0:
                break
            t0 = time.perf_counter()
            losses = self.train_step(progress)
            self.elapsed += time.perf_counter() - t0
            window.append(losses)
            if self.step % self.cfg.log_every == 0:
                mean = {k: float(np.mean([w[k] for w in window])) for k in window[0]}
                self.log({"step": self.step, "elapsed_s": round(self.elapsed, 1), **mean})
                bar.update(self.step, progress, self.elapsed, mean, self.curriculum.current.name)
                window = []
            if self.step % self.cfg.val_every == 0:
                last_val = self._validate_and_promote()
            if self.step % self.cfg.ckpt_every == 0:
                self.save_checkpoint()
            if self._stop_requested or (sitting_s is not None
                                        and time.perf_counter() - started >= sitting_s):
                bar.close()
                self.save_checkpoint()
                return {}
        bar.close()
        if not last_val or last_val.get("step") != self.step:
            last_val = self._validate_and_promote(promote=False)
        self.save_checkpoint()
        return last_val

    def _validate_and_promote(self, promote: bool = True) -> dict[str, float]:
        t0 = time.perf_counter()
        val = self.validate()
        easy = self.validate(0) if self.curriculum.level > 0 else val
        record: dict[str, Any] = {"step": self.step, "val": val, "val_easy": easy,
                                  "val_s": round(time.perf_counter() - t0, 1)}
        # the describer proposes from its decoder and its type head: either may carry a level
        if promote and self.curriculum.update(max(val["recall"], val["type_recall"]), self.step):
            record["promoted_to"] = self.curriculum.current.name
        self.log(record)
        if self.progress:
            print(f"\nstep {self.step}: level {self.curriculum.levels[int(val['level'])].name} recall "
                  f"{val['recall']:.2f} top1 {val['top1']:.2f} type recall {val['type_recall']:.2f} "
                  f"type top1 {val['type_top1']:.2f} scorer AUROC {val['scorer_auroc']:.3f} "
                  f"(unseen wording {val['scorer_auroc_unseen_wording']:.3f}); easy recall "
                  f"{easy['recall']:.2f}" + (f" -> promoted to {record['promoted_to']}"
                                             if "promoted_to" in record else ""), file=sys.stderr)
        return {**val, "step": float(self.step), "easy_recall": easy["recall"], "easy_top1": easy["top1"]}

    def init_from(self, path: str | Path) -> list[str]:
        """Warm start: copy every parameter of ``path`` whose name and shape match.

        ``path`` is a checkpoint (``OUT/ckpt.pt``: same vocabulary required) or a folder of
        exported weights, such as the shipped describer's (``"shipped"``). Exported weights
        carry their vocabulary and type ids, so a run that adds difference types (and their
        words) keeps every row it shares with them: a word's embedding and output row, a
        type's head and classifier row. The optimizer, step and curriculum start fresh.
        Returns the names of the parameters that kept their fresh values (in whole or in part).
        """
        source, vocab, type_ids = self._warm_start_source(path)
        own = self.model.state_dict()
        rows = {"decoder.wte.weight": self._row_map(vocab, self.tokenizer.vocab),
                "decoder.lm_head.weight": self._row_map(vocab, self.tokenizer.vocab)}
        for name in ("type_head.weight", "type_head.bias", "type_classifier.out.weight",
                     "type_classifier.out.bias"):
            rows[name] = self._row_map(type_ids, self.model.type_ids)
        fresh = []
        for name, value in own.items():
            old = source.get(name)
            if old is not None and old.shape == value.shape and (
                    name not in rows or all(i == j for j, i in enumerate(rows[name]))):
                own[name] = old.to(value.dtype)
            elif old is not None and name in rows and old.shape[1:] == value.shape[1:]:
                grown = value.clone()
                for new_row, old_row in enumerate(rows[name]):
                    if old_row is not None:
                        grown[new_row] = old[old_row].to(value.dtype)
                own[name] = grown
                fresh.append(name)
            else:
                fresh.append(name)
        self.model.load_state_dict(own)
        return fresh

    def _warm_start_source(self, path: str | Path) -> tuple[dict[str, torch.Tensor], list[str],
                                                            list[str]]:
        """(state dict, vocabulary, type ids) of a checkpoint or an exported weights folder."""
        from ..models.weights import DEFAULT_DIR, load_describer

        folder = Path(DEFAULT_DIR) if str(path) == "shipped" else Path(path)
        if folder.is_dir():
            model = load_describer(folder)
            state = {k: v.float() if v.is_floating_point() else v
                     for k, v in model.state_dict().items()}
            return state, list(model.tokenizer.vocab), list(model.type_ids)
        saved = torch.load(path, map_location=self.device, weights_only=False)
        if saved["tokenizer"] != self.tokenizer.to_json():
            raise RuntimeError(f"checkpoint {path} was trained with a different vocabulary")
        return saved["model"], list(self.tokenizer.vocab), list(self.model.type_ids)

    @staticmethod
    def _row_map(old: list[str], new: list[str]) -> list[int | None]:
        """For each item of ``new``, its row in ``old`` (None when ``old`` lacks it)."""
        where = {item: i for i, item in enumerate(old)}
        return [where.get(item) for item in new]

    def export(self, folder: str | Path | None = None, extra: dict[str, Any] | None = None,
               dtype: str = "float32") -> Path:
        """Calibrate the type floors and save the model (safetensors + JSON, ``dtype`` storage)."""
        if self.model.type_head is not None:
            self.model.type_floor = calibrate_type_floor(self.model, self.val_sampler, seed=self.cfg.seed,
                                                         level=self.curriculum.levels[-1])
        info = {"train_config": self.cfg.to_json(), "steps": self.step,
                "elapsed_s": round(self.elapsed, 1), "curriculum": self.curriculum.state_dict()}
        info.update(extra or {})
        return save_describer(self.model, folder or self.out / "final", extra=info, dtype=dtype)


class _Bar:
    """A one-line progress display on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, enabled: bool, steps: int | None, budget_s: float | None) -> None:
        self.enabled = enabled
        self.steps = steps
        self.budget_s = budget_s
        self.tty = sys.stderr.isatty()

    def update(self, step: int, frac: float, elapsed: float, losses: dict[str, float],
               level: str) -> None:
        if not self.enabled:
            return
        width = 24
        filled = int(width * min(1.0, frac))
        eta = elapsed / frac - elapsed if frac > 0 else float("nan")
        line = (f"[{'#' * filled}{'.' * (width - filled)}] {100 * frac:5.1f}% step {step} "
                f"level {level} loss {losses['loss']:.3f} (txt {losses['loss_txt']:.3f} "
                f"img {losses['loss_img']:.3f}) data wait {1000 * losses.get('data_s', 0.0):.0f} ms "
                f"{elapsed / 60:.1f} min, eta {eta / 60:.1f} min")
        print(("\r" + line) if self.tty else line, end="" if self.tty else "\n", file=sys.stderr,
              flush=True)

    def close(self) -> None:
        if self.enabled and self.tty:
            print(file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tellapart train", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", help="output folder (checkpoints, metrics, final weights); with "
                   "--config, default $XDG_CACHE_HOME/tellapart/train/<recipe name>")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, help="train for this many minutes in total")
    budget.add_argument("--steps", type=int, help="train until this many steps in total")
    p.add_argument("--wall-minutes", type=float,
                   help="also stop this call after this many wall-clock minutes, validation "
                        "included (the learning-rate schedule ends by then too)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--resume", nargs="?", const=RESUME_RECIPE,
                   help="checkpoint to continue from (OUT/ckpt.pt); with --config, no value: "
                        "go on with the recipe's run in OUT")
    p.add_argument("--export-from", metavar="CKPT",
                   help="train nothing: export checkpoint CKPT to OUT/final (type floors calibrated)")
    p.add_argument("--tune-text", metavar="DIR",
                   help="train only the image-text scorer's text adapter of the exported weights "
                        "in DIR on the trained phrases and each type's wordings "
                        "(tellapart.train.text_stage); write OUT/final")
    p.add_argument("--tune-types", metavar="DIR",
                   help="fit only a type classifier on the frozen embeddings of the exported "
                        "weights in DIR and recalibrate the type floors "
                        "(tellapart.train.type_stage); write OUT/final")
    p.add_argument("--from-concepts", action="store_true",
                   help="fine-tune the comparator and sentence decoder of exported weights "
                        "(--describer) on the concept library (--library) mixed with synthetic "
                        "replay, so the decoder writes the concepts (tellapart.train.concept_stage; "
                        "--steps, --lr, --seed, --resume OUT/ckpt.pt); write OUT/final")
    p.add_argument("--library", metavar="DIR",
                   help="with --from-concepts: the concept library (default: the user library)")
    p.add_argument("--describer", metavar="DIR",
                   help="with --from-concepts: the weights to start from (default: "
                        "$TELLAPART_DESCRIBER or the shipped weights)")
    p.add_argument("--init-from", metavar="CKPT",
                   help="warm start from a checkpoint of an older architecture: parameters whose "
                        "name and shape match are copied, the rest start fresh")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--config", metavar="FILE",
                   help="a training recipe (TOML, e.g. configs/describer.toml): every stage and "
                        "setting from the file (tellapart.train.recipe); other options but "
                        "--out, --resume, --workers and --no-progress are refused with it")
    p.add_argument("--model", default="small", choices=["tiny", "small"], help="model size")
    p.add_argument("--sitting-minutes", type=float,
                   help="with --config: stop after this many minutes with a checkpoint; "
                        "--resume then goes on exactly")
    p.add_argument("--n-tasks", type=int, help="set pairs per step (default 4; more on a GPU)")
    p.add_argument("--n-per-side", type=int, help="images per set in training tasks (default 8)")
    p.add_argument("--aux-images", type=int,
                   help="extra single images per step, each with one random difference, for dense "
                        "per-image supervision (default 0)")
    p.add_argument("--lr", type=float, help="peak learning rate (default 1e-3)")
    p.add_argument("--type-images", type=int,
                   help="with --tune-types: labelled images per curriculum level (default 40000)")
    p.add_argument("--val-every", type=int, help="steps between validations (default 200)")
    p.add_argument("--val-tasks", type=int, help="validation tasks per level (default 32)")
    p.add_argument("--val-per-side", type=int, help="images per set in validation tasks (default 16)")
    p.add_argument("--pool-size", type=int, help="base images kept in memory (default 1024)")
    p.add_argument("--pool-every", type=int, help="steps between redrawing the pool (default 300)")
    p.add_argument("--ckpt-every", type=int, help="steps between checkpoints (default 200)")
    p.add_argument("--log-every", type=int, help="steps between metrics lines (default 20)")
    p.add_argument("--workers", type=int, default=0,
                   help="processes making step data (default 0: in this process); the "
                        "results do not depend on it")
    p.add_argument("--threads", type=int, help="torch CPU threads of this process")
    p.add_argument("--text-cache", metavar="FILE",
                   help="precomputed text embeddings (python -m tellapart.train.text_cache); "
                        "default: $TELLAPART_TEXT_CACHE")
    p.add_argument("--export-dtype", default="float32", choices=["float32", "float16"],
                   help="storage type of the exported weights (float16 halves the file)")
    p.add_argument("--no-progress", action="store_true", help="no progress display")
    rloo.add_arguments(p)
    return p


def _run_stage(args: argparse.Namespace, source: str, key: str,
               fit: Callable[[Describer, Any], dict[str, Any]]) -> int:
    """Load the exported weights in ``source``, run one stage on them, write ``OUT/final``.

    The stage's summary goes into the weights' metadata under ``extra[key]`` and is printed
    as the command's last line.
    """
    from ..models.weights import load_describer, read_meta

    if args.threads is not None:
        torch.set_num_threads(max(1, args.threads))
    model = load_describer(source)
    log = None if args.no_progress else (lambda line: print(line, file=sys.stderr, flush=True))
    summary = fit(model, log)
    extra = dict(read_meta(source).get("extra", {}))
    extra[key] = summary
    folder = save_describer(model, Path(args.out) / "final", extra=extra, dtype=args.export_dtype)
    print(json.dumps({"final": str(folder), key: summary}), flush=True)
    return 0


def _tune_text(args: argparse.Namespace) -> int:
    from .text_stage import TextStageConfig, tune_text_adapter

    cfg = TextStageConfig(seed=TextStageConfig.seed + args.seed)
    if args.steps is not None:
        cfg.steps = args.steps
    if args.lr is not None:
        cfg.lr = args.lr
    return _run_stage(args, args.tune_text, "text_stage",
                      lambda model, log: tune_text_adapter(model, cfg, log=log))


def _tune_types(args: argparse.Namespace) -> int:
    from .type_stage import TypeStageConfig, fit_type_classifier

    cfg = TypeStageConfig(seed=args.seed)
    if args.lr is not None:
        cfg.lr = args.lr
    if args.pool_size is not None:
        cfg.pool_size = args.pool_size
    if args.type_images is not None:
        cfg.images_per_level = args.type_images
        cfg.val_images = max(1, args.type_images // 20)
        cfg.floor_images = min(cfg.floor_images, max(1, args.type_images))
    return _run_stage(args, args.tune_types, "type_stage",
                      lambda model, log: fit_type_classifier(model, cfg, log=log))


def _train_config(args: argparse.Namespace) -> TrainConfig:
    """The run's settings: the defaults, then every option given on the command line."""
    cfg = TrainConfig(model=args.model, seed=args.seed, device=args.device)
    for name in ("n_tasks", "n_per_side", "aux_images", "lr", "val_every", "val_tasks", "val_per_side",
                 "pool_size", "pool_every", "ckpt_every", "log_every"):
        value = getattr(args, name)
        if value is not None:
            setattr(cfg, name, value)
    return cfg


def _weights_stage(args: argparse.Namespace) -> int | None:
    """Run the stage asked for that starts from exported weights (``--from-concepts``,
    ``--tune-text``, ``--tune-types``) and return its exit code; None when none is asked for."""
    if args.from_concepts:
        if args.export_from or args.init_from or args.tune_text or args.tune_types:
            raise SystemExit("tellapart train: --from-concepts takes exported weights (--describer) "
                             "and resumes only its own checkpoint")
        from .concept_stage import main_from_args

        return main_from_args(args)
    if args.tune_text:
        if args.resume or args.export_from or args.init_from or args.tune_types:
            raise SystemExit("tellapart train: --tune-text takes exported weights and no checkpoint "
                             "(and runs apart from --tune-types)")
        return _tune_text(args)
    if args.tune_types:
        if args.resume or args.export_from or args.init_from:
            raise SystemExit("tellapart train: --tune-types takes exported weights and no checkpoint")
        return _tune_types(args)
    return None


RESUME_RECIPE = "<recipe run>"
"""``--resume`` given without a checkpoint: continue a recipe's run (``--config``)."""


def check_run_without_recipe(args: argparse.Namespace) -> None:
    """What a run without ``--config`` needs: an output folder and a checkpoint to resume."""
    if args.config is not None:
        raise SystemExit("tellapart train: a recipe (--config) is run by tellapart.train.cli.main")
    if args.out is None:
        raise SystemExit("tellapart train: --out is required (or --config FILE)")
    if args.sitting_minutes is not None:
        raise SystemExit("tellapart train: --sitting-minutes goes with a recipe (--config)")
    if args.resume == RESUME_RECIPE:
        raise SystemExit("tellapart train: --resume needs a checkpoint (OUT/ckpt.pt) unless "
                         "--config gives a recipe")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``tellapart train``; returns the exit code."""
    args = build_parser().parse_args(argv)
    check_run_without_recipe(args)
    if args.steps is None and args.minutes is None and args.wall_minutes is None:
        args.minutes = 170.0
    if args.text_cache:
        n_texts = text_side.use_text_cache(args.text_cache)
        print(f"text embeddings: {n_texts} from {args.text_cache}", file=sys.stderr)
    if args.rloo:  # a stage of its own: exported weights in, OUT/final out
        if args.from_concepts:
            raise SystemExit("tellapart train: --rloo and --from-concepts are separate runs")
        return rloo.run_rloo(args)
    cfg = _train_config(args)
    if args.resume and args.export_from:
        raise SystemExit("tellapart train: --resume and --export-from exclude each other")
    done = _weights_stage(args)
    if done is not None:
        return done
    if args.resume or args.export_from:
        saved = torch.load(args.resume or args.export_from, map_location="cpu",
                           weights_only=False)["train_config"]
        cfg = TrainConfig.from_json({**saved, "device": args.device})
    if args.threads is not None:
        torch.set_num_threads(max(1, args.threads))
    trainer = Trainer(cfg, args.out, progress=not args.no_progress, workers=args.workers)
    if args.export_from:
        trainer.load_checkpoint(args.export_from)
        folder = trainer.export(dtype=args.export_dtype)
        print(json.dumps({"final": str(folder), "step": trainer.step}), flush=True)
        return 0
    if args.resume:
        trainer.load_checkpoint(args.resume)
    elif args.init_from:
        fresh = trainer.init_from(args.init_from)
        print(f"warm start from {args.init_from}; {len(fresh)} tensors start fresh: "
              f"{', '.join(fresh[:6])}", file=sys.stderr)
    print(f"describer {cfg.model}: {trainer.model.n_params() / 1e6:.2f} M parameters, "
          f"{len(trainer.sampler.types)} difference types, vocabulary {len(trainer.tokenizer)}, "
          f"device {cfg.device}, data workers {args.workers}", file=sys.stderr)
    val = trainer.run(steps=args.steps, minutes=args.minutes, wall_minutes=args.wall_minutes)
    folder = trainer.export(extra={"validation": val}, dtype=args.export_dtype)
    print(json.dumps({"final": str(folder), "step": trainer.step, "validation": val}), flush=True)
    return 0
