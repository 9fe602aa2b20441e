"""RLOO: the verifier teaches the sentence decoder (REINFORCE with a leave-one-out baseline).

Usage::

    tellapart train --rloo shipped --out runs/r1 --steps 300 --rloo-config benchmarks/rloo_config.json
    tellapart train --rloo shipped --out runs/r1 --steps 600 --resume runs/r1/rloo_ckpt.pt
    TELLAPART_DESCRIBER=runs/r1/final tellapart compare A/ B/

Starting from exported describer weights (``shipped``: the package's), the image encoder
stays frozen, so every synthetic task's per-image embeddings are computed once and cached
(:class:`TaskCache`: safetensors + JSON in ``$XDG_CACHE_HOME/tellapart/rloo``, keyed by the
weights' hash and the task recipe). Each step, for ``batch_tasks`` cached tasks:

1. each set's images are split at random into a *proposal* half, which makes the decoder's
   prefix (:meth:`Describer.compare`), and a *held-out* half, which judges;
2. the decoder samples ``k`` sentences per task (temperature sampling);
3. each sentence is read as the ``learned`` proposer reads it (its set, its concept) and
   scored per image as the verifier scores it (:func:`tellapart.models.reading.claim_scores`)
   on the held-out images; its reward is the held-out separation ``2 * AUROC - 1`` in the
   direction it claims (:func:`sentence_rewards`). On *null* tasks (no true difference) a
   claim earns only a penalty for the separation it shows; a repeat of an earlier sample's
   claim within the ``k`` loses ``dup_penalty``; a sentence no claim can be read from earns
   ``invalid_reward``. An optional KL term (``kl_coef``) keeps the samples' likelihood under
   the starting decoder, so the language stays the trained language;
4. advantage ``A_i = R_i - mean of the other k - 1 rewards`` (:func:`loo_advantages`) times
   the gradient of the sentence's log-likelihood.

Outputs in ``--out``: ``rloo_log.jsonl`` (one line per ``log_every`` steps: reward and its
parts), ``rloo_ckpt.pt`` (exact resume: every step's randomness is a function of (seed,
step)) and ``final/`` (a describer folder for ``$TELLAPART_DESCRIBER``).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..config import checked_fields
from ..models.describer import Describer
from ..models.reading import claim_scores, learned_concept, names_one_set_twice, two_way_property
from ..models.text import parse_claim
from ..models.tokenizer import normalize_sentence
from ..stats import auroc
from ..types import Hypothesis
from .curriculum import LEVELS, Level
from .data import TaskSampler
from .loop import run_steps

CACHE_FORMAT = "tellapart-rloo-tasks/2"
"""Version of the cached tasks: raised whenever the generator draws other tasks from the same
settings (2: the "training" base split and the "sideways" difference)."""
NULL_LEVEL = Level("null", n_diffs=(0, 0), strength=(0.15, 1.0), prevalence=(0.25, 1.0),
                   n_distractors=(0, 2))
"""A task with no true difference: only distractors, applied alike to both sets."""


@dataclass
class RlooConfig:
    """Knobs of one RLOO run (saved in the checkpoint and the exported weights' metadata)."""

    seed: int = 0
    n_tasks: int = 400  # cached synthetic tasks
    n_per_side: int = 24  # images per set of a cached task (half make the prefix, half judge)
    p_null: float = 0.25  # share of cached tasks with no true difference
    levels: tuple[str, ...] = ("easy", "medium", "subtle", "hard")  # drawn uniformly
    pool_size: int = 512  # base images the cached tasks are made from
    k: int = 8  # sentences sampled per task
    batch_tasks: int = 8  # tasks per step
    temperature: float = 1.0
    lr: float = 3e-5
    weight_decay: float = 0.0
    kl_coef: float = 0.05  # weight of log p(sample) - log p_start(sample) subtracted from the reward
    null_penalty: float = 1.0  # times the separation a claim shows on a null task
    dup_penalty: float = 0.5  # a repeat of an earlier sample's claim in the same k
    invalid_reward: float = -0.5  # a sentence naming no set, or one set twice, or two-way
    train_comparator: bool = False  # also update the set comparator (default: decoder only)
    ckpt_every: int = 50
    log_every: int = 5

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["levels"] = list(self.levels)
        return d

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RlooConfig:
        values = checked_fields(cls, data, "RLOO config")
        if "levels" in values:
            values["levels"] = tuple(str(v) for v in values["levels"])
        return cls(**values)

    def cache_recipe(self) -> dict[str, Any]:
        """The settings that decide the cached tasks (and nothing else)."""
        return {"seed": self.seed, "n_tasks": self.n_tasks, "n_per_side": self.n_per_side,
                "p_null": self.p_null, "levels": list(self.levels), "pool_size": self.pool_size}


# -- the advantage ---------------------------------------------------------------------------------


def loo_advantages(rewards: np.ndarray) -> np.ndarray:
    """(B, k) rewards -> (B, k) advantages ``R_i - mean_{j != i} R_j`` within each row.

    Raises ValueError for ``k < 2`` (no other sample to form the baseline from).
    """
    r = np.asarray(rewards, dtype=np.float64)
    if r.ndim != 2 or r.shape[1] < 2:
        raise ValueError(f"rewards must be (B, k >= 2), got shape {r.shape}")
    k = r.shape[1]
    others = (r.sum(axis=1, keepdims=True) - r) / (k - 1)
    return r - others


# -- cached tasks ----------------------------------------------------------------------------------


@dataclass
class TaskCache:
    """Frozen per-image embeddings of synthetic tasks.

    Attributes
    ----------
    emb : np.ndarray
        (n_tasks, 2 * n_per_side, D) float32; set A rows first, then set B.
    truths : list of list of (str, str)
        Per task, its true differences as (type id, set).
    n_per_side : int
    """

    emb: np.ndarray
    truths: list[list[tuple[str, str]]]
    n_per_side: int

    def __len__(self) -> int:
        return int(self.emb.shape[0])

    def is_null(self, i: int) -> bool:
        return not self.truths[i]


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/tellapart/rloo`` (``~/.cache/tellapart/rloo``)."""
    home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(home) / "tellapart" / "rloo"


def cache_key(weights_sha256: str, cfg: RlooConfig) -> str:
    """A short hash of the encoder's weights and the task recipe: a cache file's name."""
    text = json.dumps({"format": CACHE_FORMAT, "weights": weights_sha256, **cfg.cache_recipe()},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _task_level(rng: np.random.Generator, cfg: RlooConfig) -> Level:
    if rng.random() < cfg.p_null:
        return NULL_LEVEL
    by_name = {lv.name: lv for lv in LEVELS}
    unknown = [n for n in cfg.levels if n not in by_name]
    if unknown:
        raise ValueError(f"unknown level(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
    return by_name[str(rng.choice(list(cfg.levels)))]


def build_task_cache(model: Describer, cfg: RlooConfig,
                     log: Callable[[str], None] | None = None) -> TaskCache:
    """Draw ``cfg.n_tasks`` training-split tasks and embed their images with ``model``'s encoder."""
    sampler = TaskSampler(model.config.image_size, seed=cfg.seed + 20_011, pool_size=cfg.pool_size)
    rng = np.random.default_rng([cfg.seed, 4049])
    embs: list[np.ndarray] = []
    truths: list[list[tuple[str, str]]] = []
    t0 = time.perf_counter()
    for i in range(cfg.n_tasks):
        images, _, truth = sampler.task(_task_level(rng, cfg), cfg.n_per_side, rng)
        embs.append(model.embed(images))
        truths.append([(str(t), str(s)) for t, s in truth])
        if log is not None and (i + 1) % 50 == 0:
            log(f"cached {i + 1}/{cfg.n_tasks} tasks ({time.perf_counter() - t0:.0f} s)")
    return TaskCache(np.stack(embs).astype(np.float32), truths, cfg.n_per_side)


def save_task_cache(cache: TaskCache, path: Path, meta: dict[str, Any]) -> None:
    """``path``.safetensors (embeddings) + ``path``.json (truths, recipe); never pickle."""
    from safetensors.numpy import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({"emb": cache.emb}, str(path.with_suffix(".safetensors")))
    info = {"format": CACHE_FORMAT, "n_per_side": cache.n_per_side,
            "truths": [[list(t) for t in task] for task in cache.truths], **meta}
    path.with_suffix(".json").write_text(json.dumps(info), encoding="utf-8")


def load_task_cache(path: Path) -> TaskCache | None:
    """The cache at ``path`` (.safetensors + .json), or None when absent or not this format."""
    from safetensors.numpy import load_file

    meta_path, data_path = path.with_suffix(".json"), path.with_suffix(".safetensors")
    if not meta_path.is_file() or not data_path.is_file():
        return None
    info = json.loads(meta_path.read_text(encoding="utf-8"))
    if info.get("format") != CACHE_FORMAT:
        return None
    emb = load_file(str(data_path))["emb"]
    truths = [[(str(t), str(s)) for t, s in task] for task in info["truths"]]
    if emb.ndim != 3 or len(truths) != emb.shape[0] or emb.shape[1] != 2 * int(info["n_per_side"]):
        raise ValueError(f"task cache {data_path} does not match its metadata; delete it")
    return TaskCache(emb.astype(np.float32), truths, int(info["n_per_side"]))


def cached_tasks(model: Describer, weights_sha256: str, cfg: RlooConfig, folder: Path,
                 log: Callable[[str], None] | None = None) -> TaskCache:
    """The tasks of ``cfg`` embedded by these weights: from ``folder`` when cached, else built and saved."""
    path = folder / f"tasks-{cache_key(weights_sha256, cfg)}"
    cache = load_task_cache(path)
    if cache is not None:
        return cache
    cache = build_task_cache(model, cfg, log)
    save_task_cache(cache, path, {"weights_sha256": weights_sha256, "recipe": cfg.cache_recipe()})
    return cache


# -- sampling and log-likelihood -------------------------------------------------------------------


@torch.no_grad()
def sample_sentences(model: Describer, prefix: torch.Tensor, k: int, temperature: float,
                     generator: torch.Generator) -> torch.Tensor:
    """(B, P, d) prefixes -> (B * k, T) sampled token ids (<bos> first, <pad> after <eos>)."""
    tok = model.tokenizer
    pre = prefix.repeat_interleave(k, dim=0)  # (B * k, P, d)
    n = pre.shape[0]
    ids = torch.full((n, 1), tok.bos_id, dtype=torch.long)
    done = torch.zeros(n, dtype=torch.bool)
    for _ in range(model.config.block_size - 1):
        logits = model.decoder(pre, ids)[:, -1].float() / max(temperature, 1e-6)  # (N, V)
        logits[:, tok.pad_id] = -float("inf")
        logits[:, tok.bos_id] = -float("inf")
        nxt = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator).squeeze(1)
        nxt = torch.where(done, torch.full_like(nxt, tok.pad_id), nxt)
        ids = torch.cat([ids, nxt[:, None]], dim=1)
        done |= nxt == tok.eos_id
        if bool(done.all()):
            break
    return ids


def sequence_logprob(model: Describer, prefix: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """(N, P, d) prefixes, (N, T) ids -> (N,) summed log-probability of each sentence's tokens."""
    logits = model.decoder(prefix, ids[:, :-1]).float()  # (N, T-1, V)
    target = ids[:, 1:]
    logp = torch.gather(F.log_softmax(logits, dim=-1), 2, target[..., None]).squeeze(-1)
    return (logp * (target != model.tokenizer.pad_id)).sum(dim=1)


# -- rewards ---------------------------------------------------------------------------------------


@dataclass
class SentenceOutcome:
    """What the verifier's reading made of one sampled sentence."""

    sentence: str
    reward: float
    separation: float = 0.0  # 2 * held-out AUROC - 1 in the claimed direction (0: none)
    valid: bool = True
    duplicate: bool = False
    true: bool = False  # its concept is a true difference of the task, in the right set
    concept: str = ""


def _claim(model: Describer, sentence: str) -> Hypothesis | None:
    """The sentence as the ``learned`` proposer would hand it to the verifier, or None."""
    if not sentence.strip():
        return None  # <eos> first: nothing said
    claim = parse_claim(sentence)
    if claim.subject is None or names_one_set_twice(sentence):
        return None
    concept = learned_concept(model, sentence, claim.subject)
    if concept.startswith("text:") and two_way_property(model, claim.phrase) is not None:
        return None
    return Hypothesis(description=sentence, concept=concept, more_in=claim.subject,
                      proposer="learned", scorer="learned", params={"phrase": claim.phrase})


def sentence_rewards(model: Describer, sentences: Sequence[str], held_a: np.ndarray,
                     held_b: np.ndarray, truths: Sequence[tuple[str, str]],
                     cfg: RlooConfig) -> list[SentenceOutcome]:
    """Reward each of the ``k`` sentences sampled for one task (see the module docstring).

    ``held_a``, ``held_b``: (n, D) embeddings of the held-out images; ``truths``: the task's
    (type id, set) true differences (empty: a null task).
    """
    claims = [_claim(model, s) for s in sentences]
    valid = [c for c in claims if c is not None]
    emb = np.concatenate([held_a, held_b])
    is_a = np.arange(len(emb)) < len(held_a)
    scores = claim_scores(model, emb, valid) if valid else np.zeros((len(emb), 0))
    true_keys = {f"diff:{t}:{s}" for t, s in truths}
    out: list[SentenceOutcome] = []
    seen: set[str] = set()
    col = 0
    for sentence, claim in zip(sentences, claims, strict=True):
        if claim is None:
            out.append(SentenceOutcome(sentence, cfg.invalid_reward, valid=False))
            continue
        named = is_a if claim.more_in == "A" else ~is_a
        sep = 2.0 * auroc(scores[named, col], scores[~named, col]) - 1.0
        col += 1
        reward = sep if truths else -cfg.null_penalty * max(0.0, sep)
        duplicate = claim.concept in seen
        seen.add(claim.concept)
        out.append(SentenceOutcome(sentence, reward - (cfg.dup_penalty if duplicate else 0.0),
                                   separation=sep, duplicate=duplicate,
                                   true=claim.concept in true_keys, concept=claim.concept))
    return out


# -- the trainer -----------------------------------------------------------------------------------


@dataclass
class StepBatch:
    """One step's tasks and their proposal / held-out split."""

    tasks: list[int]
    prop_a: torch.Tensor  # (B, m, D)
    prop_b: torch.Tensor
    held: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)


class RlooTrainer:
    """Fine-tunes ``model``'s decoder (and optionally its comparator) with RLOO on ``cache``.

    Parameters
    ----------
    model : Describer
        Exported weights to start from; trained in place.
    cache : TaskCache
        Its frozen embeddings of synthetic tasks.
    cfg : RlooConfig
    out : str or Path
        Checkpoint, log and export folder.
    """

    def __init__(self, model: Describer, cache: TaskCache, cfg: RlooConfig, out: str | Path) -> None:
        if cfg.k < 2:
            raise ValueError(f"RLOO needs k >= 2 samples per task, got {cfg.k}")
        if cache.n_per_side < 2:
            raise ValueError("cached tasks need >= 2 images per set (proposal and held-out halves)")
        self.model, self.cache, self.cfg = model, cache, cfg
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.reference = copy.deepcopy(model).eval()  # the starting decoder, for the KL anchor
        for p in self.reference.parameters():
            p.requires_grad_(False)
        for p in model.parameters():
            p.requires_grad_(False)
        self.params = list(model.decoder.parameters())
        if cfg.train_comparator:
            self.params += list(model.comparator.parameters())
        for p in self.params:
            p.requires_grad_(True)
        self.opt = torch.optim.AdamW(self.params, lr=cfg.lr, weight_decay=cfg.weight_decay,
                                     betas=(0.9, 0.98))
        self.step = 0
        self.log_path = self.out / "rloo_log.jsonl"

    # -- state ------------------------------------------------------------------------------------
    def trained_state(self) -> dict[str, torch.Tensor]:
        """The tensors RLOO changes (decoder, and the comparator when trained)."""
        prefixes = ("decoder.", "comparator.") if self.cfg.train_comparator else ("decoder.",)
        return {k: v for k, v in self.model.state_dict().items() if k.startswith(prefixes)}

    def save_checkpoint(self) -> Path:
        path = self.out / "rloo_ckpt.pt"
        state = {"rloo_config": self.cfg.to_json(), "model": self.trained_state(),
                 "optimizer": self.opt.state_dict(), "step": self.step}
        tmp = path.with_suffix(".tmp")
        torch.save(state, tmp)
        tmp.replace(path)  # never leave a half-written checkpoint
        return path

    def load_checkpoint(self, path: str | Path) -> None:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if state["rloo_config"] != self.cfg.to_json():
            raise RuntimeError(f"checkpoint {path} was made with another RLOO config: "
                               f"{state['rloo_config']}")
        missing = set(self.trained_state()) - set(state["model"])
        if missing:
            raise RuntimeError(f"checkpoint {path} lacks {len(missing)} tensors, e.g. {sorted(missing)[0]}")
        self.model.load_state_dict(state["model"], strict=False)
        self.opt.load_state_dict(state["optimizer"])
        self.step = int(state["step"])
        self._truncate_log()

    def _truncate_log(self) -> None:
        """Drop log lines written after the checkpoint, so a resumed log has each step once."""
        if not self.log_path.is_file():
            return
        keep = [line for line in self.log_path.read_text(encoding="utf-8").splitlines()
                if line.strip() and json.loads(line).get("step", 0) <= self.step]
        self.log_path.write_text("".join(line + "\n" for line in keep), encoding="utf-8")

    # -- one step ---------------------------------------------------------------------------------
    def _rng(self) -> np.random.Generator:
        return np.random.default_rng([self.cfg.seed, 104_729, self.step])

    def _batch(self, rng: np.random.Generator) -> StepBatch:
        cfg, cache = self.cfg, self.cache
        n = cache.n_per_side
        m = n // 2
        tasks = [int(i) for i in rng.choice(len(cache), size=min(cfg.batch_tasks, len(cache)),
                                            replace=False)]
        prop_a, prop_b, held = [], [], []
        for i in tasks:
            pa, pb = rng.permutation(n), rng.permutation(n) + n
            emb = cache.emb[i]
            prop_a.append(emb[pa[:m]])
            prop_b.append(emb[pb[:m]])
            held.append((emb[pa[m:]], emb[pb[m:]]))
        return StepBatch(tasks, torch.from_numpy(np.stack(prop_a)), torch.from_numpy(np.stack(prop_b)),
                         held)

    def train_step(self) -> dict[str, float]:
        """One RLOO step; returns the step's reward statistics."""
        cfg = self.cfg
        rng = self._rng()
        batch = self._batch(rng)
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        self.model.eval()  # no dropout: the sampled and the scored sentence are one policy
        with torch.set_grad_enabled(cfg.train_comparator):
            prefix = self.model.compare(batch.prop_a, batch.prop_b)  # (B, P, d)
        ids = sample_sentences(self.model, prefix.detach(), cfg.k, cfg.temperature, gen)
        sentences = [normalize_sentence(self.model.tokenizer.decode(row.tolist())) for row in ids]
        outcomes = self._rewards(batch, sentences)
        rewards = np.array([[o.reward for o in task] for task in outcomes])  # (B, k)
        pre = prefix.repeat_interleave(cfg.k, dim=0)
        logp = sequence_logprob(self.model, pre, ids)  # (B * k,)
        with torch.no_grad():
            ref_pre = self.reference.compare(batch.prop_a, batch.prop_b).repeat_interleave(cfg.k, dim=0)
            kl = (logp.detach() - sequence_logprob(self.reference, ref_pre, ids)).numpy()
        shaped = rewards - cfg.kl_coef * kl.reshape(rewards.shape)
        adv = torch.from_numpy(loo_advantages(shaped).reshape(-1)).float()
        loss = -(adv * logp).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.opt.step()
        self.step += 1
        return _step_stats(outcomes, [self.cache.is_null(i) for i in batch.tasks], rewards, kl,
                           float(loss.item()))

    def _rewards(self, batch: StepBatch, sentences: list[str]) -> list[list[SentenceOutcome]]:
        k = self.cfg.k
        return [sentence_rewards(self.model, sentences[j * k:(j + 1) * k], held_a, held_b,
                                 self.cache.truths[i], self.cfg)
                for j, (i, (held_a, held_b)) in enumerate(zip(batch.tasks, batch.held, strict=True))]

    # -- the loop ---------------------------------------------------------------------------------
    def run(self, steps: int, log: Callable[[str], None] | None = None) -> dict[str, float]:
        """Train until ``steps`` steps in total; returns the last logged record."""
        t0 = time.perf_counter()

        def log_window(window: list[dict[str, float]]) -> dict[str, float]:
            record = {"step": float(self.step), **_mean_stats(window),
                      "elapsed_s": round(time.perf_counter() - t0, 1)}
            self._write_log(record)
            if log is not None:
                log(" ".join(f"{k} {v:.3f}" for k, v in record.items()))
            return record

        return run_steps(self.train_step, lambda: self.step, steps, self.cfg.log_every,
                         self.cfg.ckpt_every, log_window, self.save_checkpoint)

    def _write_log(self, record: dict[str, float]) -> None:
        with self.log_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({**_strict(record), "step": int(record["step"])}) + "\n")


def _step_stats(outcomes: list[list[SentenceOutcome]], null: list[bool], rewards: np.ndarray,
                kl: np.ndarray, loss: float) -> dict[str, float]:
    """Mean reward and its parts over one step's samples (NaN where a part has no sample)."""
    real = [o for task, is_null in zip(outcomes, null, strict=True) if not is_null for o in task]
    fake = [o for task, is_null in zip(outcomes, null, strict=True) if is_null for o in task]
    flat = [o for task in outcomes for o in task]
    return {
        "reward": float(rewards.mean()),
        "separation": _mean([o.separation for o in real if o.valid]),
        "true_rate": _mean([o.true and not o.duplicate for o in real]),
        "null_separation": _mean([max(0.0, o.separation) for o in fake]),
        "dup_rate": _mean([o.duplicate for o in flat]),
        "invalid_rate": _mean([not o.valid for o in flat]),
        "kl": float(kl.mean()),
        "loss": loss,
    }


def _strict(record: dict[str, float]) -> dict[str, float | None]:
    """``record`` with NaN as None: strict JSON."""
    return {k: (v if np.isfinite(v) else None) for k, v in record.items()}


def _mean(values: Sequence[float | bool]) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def _mean_stats(window: list[dict[str, float]]) -> dict[str, float]:
    return {k: _mean([w[k] for w in window if np.isfinite(w[k])]) for k in window[0]}


# -- the command -----------------------------------------------------------------------------------


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``tellapart train --rloo`` options (the rest are the trainer's own)."""
    p.add_argument("--rloo", metavar="DIR",
                   help="fine-tune the sentence decoder of the exported weights in DIR ('shipped': "
                        "the package's) with RLOO, rewarded by held-out verification "
                        "(tellapart.train.rloo); write OUT/final")
    p.add_argument("--rloo-config", metavar="FILE",
                   help="with --rloo: a JSON file of RlooConfig settings (default: the built-in ones)")
    p.add_argument("--rloo-cache", metavar="DIR",
                   help="with --rloo: where the cached task embeddings go "
                        "(default $XDG_CACHE_HOME/tellapart/rloo)")


def _load_source(source: str) -> tuple[Describer, str, dict[str, Any]]:
    from ..models.shipped import DEFAULT_DIR
    from ..models.weights import load_describer, read_meta

    folder = DEFAULT_DIR if source == "shipped" else Path(source)
    meta = read_meta(folder)
    return load_describer(folder), str(meta["weights_sha256"]), meta


def rloo_config_from(args: argparse.Namespace) -> RlooConfig:
    cfg = RlooConfig()
    if args.rloo_config:
        cfg = RlooConfig.from_json(json.loads(Path(args.rloo_config).read_text(encoding="utf-8")))
    if args.seed:
        cfg.seed = args.seed
    if args.lr is not None:
        cfg.lr = args.lr
    if args.ckpt_every is not None:
        cfg.ckpt_every = args.ckpt_every
    if args.log_every is not None:
        cfg.log_every = args.log_every
    return cfg


def run_rloo(args: argparse.Namespace) -> int:
    """``tellapart train --rloo DIR --out OUT --steps N [--resume OUT/rloo_ckpt.pt]``."""
    from ..models.weights import save_describer

    if args.steps is None:
        raise SystemExit("tellapart train --rloo: give the number of steps (--steps N)")
    if args.export_from or args.init_from or args.tune_text or args.tune_types:
        raise SystemExit("tellapart train: --rloo takes exported weights and no other stage "
                         "(--resume OUT/rloo_ckpt.pt continues a run)")
    torch.set_num_threads(max(1, args.threads or 1))
    torch.manual_seed(args.seed)
    cfg = rloo_config_from(args)
    log = None if args.no_progress else (lambda line: print(line, file=sys.stderr, flush=True))
    model, sha, meta = _load_source(args.rloo)
    folder = Path(args.rloo_cache) if args.rloo_cache else default_cache_dir()
    cache = cached_tasks(model, sha, cfg, folder, log)
    trainer = RlooTrainer(model, cache, cfg, args.out)
    if args.resume:
        trainer.load_checkpoint(args.resume)
    last = trainer.run(args.steps, log)
    extra = dict(meta.get("extra", {}))
    extra["rloo"] = {"config": cfg.to_json(), "steps": trainer.step, "source": args.rloo,
                     "source_weights_sha256": sha, "last": _strict(last)}
    final = save_describer(model, Path(args.out) / "final", extra=extra, dtype=args.export_dtype)
    print(json.dumps({"final": str(final), "step": trainer.step, "last": _strict(last)}), flush=True)
    return 0
