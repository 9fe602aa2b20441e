"""``tellapart train --from-concepts``: teach the sentence decoder to *write* learned concepts.

A concept of the library (:mod:`tellapart.models.concepts`) keeps the describer embeddings of
the images it was learned from: those showing it and the other set's. This stage fine-tunes
the set comparator and the sentence decoder of an exported describer on set pairs drawn from
those rows, with the concept's sentence ("Set A images have a red heart sticker",
:meth:`Concept.sentence`) as the target, mixed with synthetic training tasks (replay) so that
it does not forget the 46 trained differences:

- *concept pairs*: per step ``concept_pairs`` pairs; each draws ``min_per_side`` to
  ``max_per_side`` rows showing one concept against as many of the other set's rows, on a
  random side; with chance ``p_cross`` the other side shows another concept instead, and
  both concepts' sentences are targets;
- *replay*: a fixed set of ``replay_cache`` synthetic tasks (every curriculum level alike),
  embedded once by the frozen encoder; per step ``replay_tasks`` of them, each with its true
  differences' sentences as targets (cross-entropy, weight ``replay_weight``) and the
  starting model's next-word distribution on those sentences as a teacher (KL divergence,
  weight ``distill_weight``).

Everything reads frozen, cached embeddings, so a step costs no encoder pass and the stage
runs on a CPU. The image encoder, the image-text scorer, the type head and the type classifier
are not trained: every per-image embedding and detector is bit for bit the starting
describer's, so the exported weights record the starting describer's embedding identity
(:func:`tellapart.models.weights.embedding_sha256`) and the concept library stays usable with
them. Words of concept names the vocabulary lacks are appended to it (existing ids keep their
meaning; new rows start at the mean word embedding).

Usage::

    tellapart train --from-concepts --out runs/fc1                  # the user library, 600 steps
    tellapart train --from-concepts --library lib --describer runs/d1/final --out runs/fc1 --steps 300
    tellapart train --from-concepts --out runs/fc1 --resume runs/fc1/ckpt.pt --steps 900
    TELLAPART_DESCRIBER=runs/fc1/final tellapart compare A B

The checkpoint ``OUT/ckpt.pt`` holds the model, optimiser, step and settings; resuming is exact
(every step's randomness is a function of (seed, step)). The replay cache is kept in
``OUT/replay.npz`` (numpy arrays, no pickle) and rebuilt when its settings differ.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..config import known_fields
from ..models.concept_library import ConceptLibrary, library_dir, load_library
from ..models.concepts import EMBEDDING_BLOCK, Concept
from ..models.describer import Describer, DescriberConfig
from ..models.tokenizer import WordTokenizer, split_words
from ..models.weights import embedding_sha256, load_describer, read_meta, save_describer
from .curriculum import LEVELS
from .data import TaskSampler
from .loop import run_steps

Log = Callable[[str], None] | None


REPLAY_FORMAT = "tellapart-replay/2"
"""Version of the replay cache: raised whenever the generator draws other tasks from the same
settings (2: the "training" base split and the "sideways" difference)."""

@dataclass
class ConceptStageConfig:
    """Knobs of ``train --from-concepts`` (saved in the checkpoint and the exported weights)."""

    seed: int = 0
    steps: int = 1200
    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup_steps: int = 50
    train_comparator: bool = True  # False: the decoder alone learns the concepts
    concept_pairs: int = 16  # concept set pairs per step
    min_per_side: int = 5
    max_per_side: int = 20
    p_cross: float = 0.25  # chance the other side shows another concept
    p_mix: float = 0.0  # chance a pair's rows showing a concept borrow other photographs' content
    replay_tasks: int = 8  # synthetic tasks per step
    replay_cache: int = 384  # synthetic tasks embedded once
    replay_per_side: int = 8
    replay_pool: int = 256  # base images the replay tasks are made from
    replay_weight: float = 1.0  # cross-entropy on the replay tasks' true sentences
    distill_weight: float = 1.0  # KL divergence to the starting model on the same sentences
    p_canonical: float = 0.5
    ckpt_every: int = 100
    log_every: int = 20

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConceptStageConfig:
        return cls(**known_fields(cls, data))


class ConceptStageError(RuntimeError):
    """The stage cannot run (no usable concept, a checkpoint of another run)."""


# ---- the model ---------------------------------------------------------------------------


def concept_words(concepts: Sequence[Concept]) -> list[str]:
    """Every word of the concepts' sentences (both sets), in order of first appearance."""
    words: dict[str, None] = {}
    for concept in concepts:
        for set_name in ("A", "B"):
            words.update(dict.fromkeys(split_words(concept.sentence(set_name))))
    return list(words)


def grow_vocabulary(model: Describer, words: Sequence[str], seed: int = 0) -> Describer:
    """``model`` with the ``words`` its tokenizer lacks appended to its vocabulary.

    Existing ids keep their meaning; each new word's embedding (tied to its output row)
    starts at the mean of the existing rows plus a little noise, so no new word is favoured
    before training. Returns ``model`` itself when no word is new.
    """
    new = [w for w in dict.fromkeys(words) if w not in model.tokenizer.index]
    if not new:
        return model
    tokenizer = WordTokenizer(model.tokenizer.vocab + new)
    config = DescriberConfig.from_json({**model.config.to_json(), "vocab_size": len(tokenizer)})
    grown = Describer(config, tokenizer, known_sentences=model.known_sentences,
                      type_ids=model.type_ids, type_sentences=model.type_sentences,
                      type_floor=model.type_floor, type_words=model.type_words)
    state = model.state_dict()
    old = state["decoder.wte.weight"]  # (V, d)
    gen = torch.Generator().manual_seed(seed)
    rows = old.mean(dim=0, keepdim=True) + 0.02 * torch.randn(len(new), old.shape[1], generator=gen)
    state["decoder.wte.weight"] = torch.cat([old, rows.to(old.dtype)])
    state["decoder.lm_head.weight"] = state["decoder.wte.weight"]
    grown.load_state_dict(state)
    return grown.to(model.device)


def trainable_parameters(model: Describer, train_comparator: bool) -> list[torch.nn.Parameter]:
    """Freeze everything but the decoder (and the comparator); returns what stays trainable."""
    for p in model.parameters():
        p.requires_grad_(False)
    parts: list[torch.nn.Module] = [model.decoder] + ([model.comparator] if train_comparator else [])
    params = [p for part in parts for p in part.parameters()]
    for p in params:
        p.requires_grad_(True)
    return params


# ---- data --------------------------------------------------------------------------------


@dataclass
class ConceptRows:
    """The cached embeddings of one concept: (n_pos, D) rows showing it, (n_neg, D) others."""

    concept: Concept
    positive: np.ndarray
    negative: np.ndarray


def concept_rows(library: ConceptLibrary, sha256: str, embed_dim: int,
                 min_rows: int) -> tuple[list[ConceptRows], list[str]]:
    """The library's concepts this describer can learn from, and one line per one it cannot.

    A concept is used when it keeps its training rows, was learned with a describer of
    embedding identity ``sha256`` and has at least ``min_rows`` rows on each side.
    """
    usable: list[ConceptRows] = []
    skipped = list(library.errors)
    for concept in library.concepts:
        training = concept.training
        emb = None if training is None else training.raw.get(EMBEDDING_BLOCK)
        why = None
        if concept.describer_sha256 != sha256:
            why = f"learned with other describer weights ({concept.describer_sha256[:12]})"
        elif training is None or emb is None or emb.shape[1] != embed_dim:
            why = "keeps no describer embeddings of its training images"
        elif min(int(training.positive.sum()), int((~training.positive).sum())) < min_rows:
            why = f"fewer than {min_rows} training images on a side"
        if why is not None:
            skipped.append(f"concept {concept.id}: {why}; skipped")
            continue
        assert training is not None and emb is not None
        usable.append(ConceptRows(concept, emb[training.positive].astype(np.float32),
                                  emb[~training.positive].astype(np.float32)))
    return usable, skipped


@dataclass
class ReplayCache:
    """Synthetic tasks embedded once: (R, 2n, D) embeddings (set A rows first) and each
    task's true differences as (type id, set) pairs."""

    embeddings: np.ndarray
    truths: list[list[tuple[str, str]]]

    def save(self, path: Path, key: str) -> None:
        flat = [f"{t}|{s}" for task in self.truths for t, s in task]
        np.savez(path, embeddings=self.embeddings, truths=np.array(flat, dtype=np.str_),
                 counts=np.array([len(t) for t in self.truths]), key=np.array(key))

    @classmethod
    def load(cls, path: Path, key: str) -> ReplayCache | None:
        """The cache in ``path`` when it was made with settings ``key``, else None."""
        if not path.is_file():
            return None
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key:
                return None
            flat = [str(v).split("|") for v in data["truths"]]
            ends = np.cumsum(data["counts"])
            truths = [[(t, s) for t, s in flat[e - c:e]] for c, e in zip(data["counts"], ends, strict=True)]
            return cls(np.asarray(data["embeddings"], dtype=np.float32), truths)


def build_replay(model: Describer, sampler: TaskSampler, cfg: ConceptStageConfig,
                 log: Log = None) -> ReplayCache:
    """``cfg.replay_cache`` synthetic tasks, every curriculum level alike, embedded by ``model``."""
    rng = np.random.default_rng([cfg.seed, 7919])
    emb, truths = [], []
    t0 = time.perf_counter()
    for k in range(cfg.replay_cache):
        images, _, task_truths = sampler.task(LEVELS[k % len(LEVELS)], cfg.replay_per_side, rng)
        emb.append(model.embed(images))
        truths.append(task_truths)
        if log is not None and (k + 1) % 64 == 0:
            log(f"replay cache: {k + 1}/{cfg.replay_cache} tasks ({time.perf_counter() - t0:.0f} s)")
    return ReplayCache(np.stack(emb), truths)


def _draw_side(rows: np.ndarray, rng: np.random.Generator, cfg: ConceptStageConfig) -> np.ndarray:
    n = int(rng.integers(cfg.min_per_side, cfg.max_per_side + 1))
    return rows[rng.choice(len(rows), size=min(n, len(rows)), replace=False)]


def _mixed(rows: ConceptRows, shown: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``shown`` rows plus how other images of the concept's other set depart from their mean:
    the concept's shift on other content, so a few dozen images stand for more."""
    other = rows.negative[rng.choice(len(rows.negative), size=len(shown))]
    return shown + (other - rows.negative.mean(axis=0))


def concept_pair(concepts: Sequence[ConceptRows], rng: np.random.Generator,
                 cfg: ConceptStageConfig) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """One set pair (set A rows, set B rows) and its target sentences."""
    k = int(rng.integers(len(concepts)))
    shown = _draw_side(concepts[k].positive, rng, cfg)
    if cfg.p_mix > 0 and rng.random() < cfg.p_mix:
        shown = _mixed(concepts[k], shown, rng)
    if len(concepts) > 1 and rng.random() < cfg.p_cross:
        j = int(rng.choice([i for i in range(len(concepts)) if i != k]))
        other = _draw_side(concepts[j].positive, rng, cfg)
        targets = [(concepts[k].concept, "A"), (concepts[j].concept, "B")]
    else:
        other = _draw_side(concepts[k].negative, rng, cfg)
        targets = [(concepts[k].concept, "A")]
    if rng.random() < 0.5:  # the concept on set B: swap the sides and the sentences
        shown, other = other, shown
        targets = [(c, "B" if s == "A" else "A") for c, s in targets]
    return shown, other, [c.sentence(s) for c, s in targets]


def _padded(sets: Sequence[np.ndarray], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, N, D) zero-padded embeddings and (B, N) masks of sets of different sizes."""
    width = max(len(s) for s in sets)
    out = np.zeros((len(sets), width, sets[0].shape[1]), dtype=np.float32)
    mask = np.zeros((len(sets), width), dtype=bool)
    for i, s in enumerate(sets):
        out[i, :len(s)] = s
        mask[i, :len(s)] = True
    return torch.from_numpy(out).to(device), torch.from_numpy(mask).to(device)


# ---- training ----------------------------------------------------------------------------


def _lr_at(cfg: ConceptStageConfig, step: int) -> float:
    """Linear warm-up, then cosine decay to a tenth over the run."""
    warm = min(1.0, (step + 1) / max(1, cfg.warmup_steps))
    t = min(1.0, step / max(1, cfg.steps))
    return cfg.lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


class ConceptStage:
    """The model, its starting copy (the teacher), the data and the optimiser of one run.

    Parameters
    ----------
    base : str or Path
        Folder of the exported describer to start from.
    library : ConceptLibrary
        The concepts to learn.
    cfg : ConceptStageConfig
    out : str or Path
        Output folder (``ckpt.pt``, ``replay.npz``, ``metrics.jsonl``, ``final/``).
    log : callable, optional
        Receives progress lines.
    """

    def __init__(self, base: str | Path, library: ConceptLibrary, cfg: ConceptStageConfig,
                 out: str | Path, log: Log = None) -> None:
        self.cfg, self.out, self.log_line = cfg, Path(out), log
        self.out.mkdir(parents=True, exist_ok=True)
        self.base = Path(base)
        self.base_meta = read_meta(self.base)
        start = load_describer(self.base)
        self.concepts, self.skipped = concept_rows(library, embedding_sha256(self.base_meta),
                                                   start.config.embed_dim, cfg.min_per_side)
        for line in self.skipped:
            self._say(line)
        if not self.concepts:
            raise ConceptStageError(
                f"no concept of library {library.folder} can be learned with the describer in "
                f"{self.base} ({len(library.concepts)} concept(s); {len(self.skipped)} skipped)")
        torch.manual_seed(cfg.seed)
        self.teacher = start.eval()
        self.teacher_vocab = len(start.tokenizer)
        self.model = grow_vocabulary(copy.deepcopy(start), concept_words(
            [c.concept for c in self.concepts]), seed=cfg.seed).eval()
        self.params = trainable_parameters(self.model, cfg.train_comparator)
        self.opt = torch.optim.AdamW(self.params, lr=cfg.lr, weight_decay=cfg.weight_decay,
                                     betas=(0.9, 0.98))
        self.sampler = TaskSampler(start.config.image_size, seed=cfg.seed + 104_729,
                                   pool_size=cfg.replay_pool)
        self.replay = self._replay_cache()
        self.step = 0
        self.elapsed = 0.0

    def _say(self, line: str) -> None:
        if self.log_line is not None:
            self.log_line(line)

    def _replay_cache(self) -> ReplayCache:
        cfg = self.cfg
        key = json.dumps([REPLAY_FORMAT, embedding_sha256(self.base_meta), cfg.seed,
                          cfg.replay_cache, cfg.replay_per_side, cfg.replay_pool])
        path = self.out / "replay.npz"
        cache = ReplayCache.load(path, key)
        if cache is None:
            cache = build_replay(self.teacher, self.sampler, cfg, self._say)
            cache.save(path, key)
        return cache

    # -- state --------------------------------------------------------------------------------
    def library_key(self) -> list[str]:
        return [c.concept.id for c in self.concepts]

    def state_dict(self) -> dict[str, Any]:
        return {"stage": "from-concepts", "config": self.cfg.to_json(),
                "base_sha256": self.base_meta["weights_sha256"], "concepts": self.library_key(),
                "tokenizer": self.model.tokenizer.to_json(), "model": self.model.state_dict(),
                "optimizer": self.opt.state_dict(), "step": self.step, "elapsed": self.elapsed}

    def save_checkpoint(self) -> Path:
        path = self.out / "ckpt.pt"
        tmp = path.with_suffix(".tmp")
        torch.save(self.state_dict(), tmp)
        tmp.replace(path)  # never leave a half-written checkpoint
        return path

    def load_checkpoint(self, path: str | Path) -> None:
        state = torch.load(path, map_location=self.model.device, weights_only=False)
        if state.get("stage") != "from-concepts":
            raise ConceptStageError(f"{path} is not a checkpoint of train --from-concepts")
        if state["base_sha256"] != self.base_meta["weights_sha256"]:
            raise ConceptStageError(f"{path} started from other describer weights "
                                    f"({state['base_sha256'][:12]}) than {self.base}")
        if state["concepts"] != self.library_key():
            raise ConceptStageError(f"{path} learned concepts {state['concepts']}, the library "
                                    f"now gives {self.library_key()}: start a new run")
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])
        self.step, self.elapsed = int(state["step"]), float(state["elapsed"])

    # -- one step -----------------------------------------------------------------------------
    def _tokens(self, sentences: Sequence[str]) -> torch.Tensor:
        tok = self.model.tokenizer
        seqs = [tok.encode(s) for s in sentences]
        out = torch.full((len(seqs), max(len(s) for s in seqs)), tok.pad_id, dtype=torch.long)
        for i, s in enumerate(seqs):
            out[i, :len(s)] = torch.tensor(s)
        return out.to(self.model.device)

    def _concept_loss(self, rng: np.random.Generator) -> torch.Tensor:
        pairs = [concept_pair(self.concepts, rng, self.cfg) for _ in range(self.cfg.concept_pairs)]
        emb_a, mask_a = _padded([p[0] for p in pairs], self.model.device)
        emb_b, mask_b = _padded([p[1] for p in pairs], self.model.device)
        owners = [i for i, p in enumerate(pairs) for _ in p[2]]
        prefix = self.model.compare(emb_a, emb_b, mask_a, mask_b)
        return self.model.sentence_loss(prefix[owners], self._tokens([s for p in pairs for s in p[2]]))

    def _replay_losses(self, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        cfg = self.cfg
        picks = rng.choice(len(self.replay.truths), size=min(cfg.replay_tasks, len(self.replay.truths)),
                           replace=False)
        sentences, owners = [], []
        for i, task in enumerate(picks):
            for type_id, target in self.replay.truths[int(task)]:
                sentences.append(self.sampler.target_sentence(type_id, target, rng, cfg.p_canonical))
                owners.append(i)
        emb = torch.from_numpy(self.replay.embeddings[picks]).to(self.model.device)  # (R, 2n, D)
        n = emb.shape[1] // 2
        tokens = self._tokens(sentences)  # words of the trained sentences: all in both vocabularies
        logits = self.model.decoder(self.model.compare(emb[:, :n], emb[:, n:])[owners], tokens[:, :-1])
        keep = tokens[:, 1:] != self.model.tokenizer.pad_id  # (M, T-1)
        ce = F.cross_entropy(logits[keep].float(), tokens[:, 1:][keep])
        with torch.no_grad():
            teacher = self.teacher.decoder(self.teacher.compare(emb[:, :n], emb[:, n:])[owners],
                                           tokens[:, :-1])[keep].float()
        student = F.log_softmax(logits[keep].float(), dim=-1)[:, :self.teacher_vocab]
        kl = F.kl_div(student, F.log_softmax(teacher, dim=-1), log_target=True, reduction="batchmean")
        return ce, kl

    def train_step(self) -> dict[str, float]:
        """One optimisation step; returns its losses."""
        cfg = self.cfg
        rng = np.random.default_rng([cfg.seed, self.step])
        lr = _lr_at(cfg, self.step)
        for group in self.opt.param_groups:
            group["lr"] = lr
        loss_concept = self._concept_loss(rng)
        ce, kl = self._replay_losses(rng)
        loss = loss_concept + cfg.replay_weight * ce + cfg.distill_weight * kl
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.opt.step()
        self.step += 1
        return {"loss": loss.item(), "loss_concept": loss_concept.item(), "loss_replay": ce.item(),
                "kl_replay": kl.item(), "lr": lr}

    def run(self, steps: int | None = None) -> dict[str, float]:
        """Train until ``steps`` (default ``cfg.steps``) steps in all; returns the last losses."""
        target = self.cfg.steps if steps is None else steps

        def timed_step() -> dict[str, float]:
            t0 = time.perf_counter()
            losses = self.train_step()
            self.elapsed += time.perf_counter() - t0
            return losses

        def log_window(window: list[dict[str, float]]) -> dict[str, float]:
            mean = {k: round(float(np.mean([w[k] for w in window])), 5) for k in window[0]}
            self._metrics({"step": self.step, "elapsed_s": round(self.elapsed, 1), **mean})
            return mean

        return run_steps(timed_step, lambda: self.step, target, self.cfg.log_every,
                         self.cfg.ckpt_every, log_window, self.save_checkpoint)

    def _metrics(self, record: dict[str, Any]) -> None:
        with open(self.out / "metrics.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
        self._say(json.dumps(record))

    def export(self, folder: str | Path | None = None, dtype: str | None = None) -> Path:
        """Save the fine-tuned describer (a folder for ``$TELLAPART_DESCRIBER``)."""
        extra = dict(self.base_meta.get("extra", {}))
        extra["concept_stage"] = {
            "config": self.cfg.to_json(), "steps": self.step, "elapsed_s": round(self.elapsed, 1),
            "concepts": {c.concept.id: c.concept.name for c in self.concepts},
            "base_weights_sha256": self.base_meta["weights_sha256"]}
        # the encoder and every per-image head are the base's, unchanged: concepts learned
        # with the base (or with this) read the same embeddings and detectors from either
        extra["embeds_as"] = embedding_sha256(self.base_meta)
        return save_describer(self.model, folder or self.out / "final", extra=extra,
                              dtype=dtype or str(self.base_meta.get("weights_dtype", "float32")))


def run_stage(base: str | Path, library: str | Path | None, cfg: ConceptStageConfig,
              out: str | Path, resume: str | Path | None = None, log: Log = None,
              dtype: str | None = None) -> dict[str, Any]:
    """Fine-tune, checkpoint and export; returns a summary (the command's last line)."""
    folder = library_dir(str(library) if library is not None else None)
    stage = ConceptStage(base, load_library(folder), cfg, out, log)
    if resume is not None:
        stage.load_checkpoint(resume)
    losses = stage.run()
    final = stage.export(dtype=dtype)
    return {"final": str(final), "step": stage.step, "concepts": len(stage.concepts),
            "skipped": len(stage.skipped), "losses": losses}


def main_from_args(args: Any) -> int:
    """``tellapart train --from-concepts``: the parsed arguments of ``tellapart train``."""
    from ..models.shipped import describer_dir

    if args.threads is not None:
        torch.set_num_threads(max(1, args.threads))
    cfg = ConceptStageConfig(seed=args.seed)
    if args.resume:  # the run's own settings; only its length may change
        saved = torch.load(args.resume, map_location="cpu", weights_only=False).get("config", {})
        cfg = dataclasses.replace(cfg, **{f.name: saved[f.name] for f in fields(cfg) if f.name in saved})
    names = ("steps",) if args.resume else ("steps", "lr", "ckpt_every", "log_every")
    for name in names:
        if getattr(args, name, None) is not None:
            setattr(cfg, name, getattr(args, name))
    log = None if args.no_progress else (lambda line: print(line, file=sys.stderr, flush=True))
    try:
        summary = run_stage(args.describer or describer_dir(), args.library, cfg, args.out,
                            resume=args.resume, log=log,
                            dtype=None if args.export_dtype == "float32" else args.export_dtype)
    except ConceptStageError as exc:
        raise SystemExit(f"tellapart train --from-concepts: {exc}") from None
    print(json.dumps(summary), flush=True)
    return 0
