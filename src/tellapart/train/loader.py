"""The CPU side of a training step, in the trainer's process or in worker processes.

Usage::

    spec = StepSpec(seed=0, image_size=128, pool_size=1024, pool_every=300,
                    holdout_paraphrase=True, n_tasks=4, n_per_side=8, p_canonical=0.5)
    data = prepare_step(sampler, spec, step=12, level=0)      # in this process
    with ParallelSteps(spec, workers=14) as steps:             # or in 14 worker processes
        data = steps.get(step=12, level=0)                     # the very same StepData
        ...                                                    # copy data.images away, then
        steps.release(data)

Everything random about step ``s`` comes from ``default_rng([seed, s])`` and the base-image
pool of epoch ``s // pool_every`` (drawn from :func:`~tellapart.train.data.pool_rng`), so a
step's data is the same whichever process makes it and however many workers there are.

Workers are started with ``spawn`` (safe beside CUDA) and never import torch. Each pool is
drawn once, by one worker, into a file-backed shared buffer (in ``/dev/shm`` when it has
room, else the temp folder) that every worker reads; step images come back through a ring
of shared slots, and only labels and sentences travel through the result queue. Requests
run ahead of the trainer by ``prefetch`` steps; when the curriculum level changes, requests
made at the old level are dropped and made again, so results never depend on timing.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .curriculum import LEVELS, Curriculum, Level
from .data import SamplerOptions, TaskSampler, draw_pool, pool_rng

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


@dataclass(frozen=True)
class StepSpec:
    """What decides a step's data besides the step number and the curriculum level."""

    seed: int
    image_size: int
    pool_size: int
    pool_every: int
    holdout_paraphrase: bool
    n_tasks: int
    n_per_side: int
    p_canonical: float
    aux_images: int = 0  # single labelled images per step (dense per-image supervision)
    levels: tuple[Level, ...] = LEVELS  # the curriculum's levels
    sampler: SamplerOptions = SamplerOptions()  # what tasks are drawn from

    def task_sampler(self) -> TaskSampler:
        """The sampler that makes this run's steps (its pool drawn on first use)."""
        return self.sampler.sampler(self.image_size, self.seed, self.pool_size,
                                    self.holdout_paraphrase)


@dataclass
class StepData:
    """Everything a training step needs from the CPU side.

    ``images`` may be a view of a shared slot (``slot >= 0``): copy it, then hand it back
    with :meth:`ParallelSteps.release`.
    """

    step: int
    level: int
    images: np.ndarray  # (T, 2n, S, S, 3) uint8; set A rows first in each task
    labels: np.ndarray  # (T, 2n, n_types) float32
    n_per_side: int
    words: list[str]  # one per-image phrase per difference type, for the scorer
    sentences: list[str]  # decoder targets, one per true difference
    owners: list[int]  # task index of each target sentence
    slot: int = -1
    aux_images: np.ndarray | None = None  # (M, S, S, 3) uint8 single labelled images
    aux_labels: np.ndarray | None = None  # (M, n_types) float32


def prepare_step(sampler: TaskSampler, spec: StepSpec, step: int, level: int) -> StepData:
    """The data of training step ``step`` at curriculum level ``level``.

    ``sampler`` must hold the pool of epoch ``step // spec.pool_every``.
    """
    rng = np.random.default_rng([spec.seed, step])
    curriculum = Curriculum(level=level, levels=spec.levels)
    levels = curriculum.levels_for_batch(spec.n_tasks, rng)
    batch = sampler.batch(levels, spec.n_per_side, rng)
    # one random wording per difference type this step
    words = [info.image_phrases[int(rng.integers(len(info.image_phrases)))]
             for info in sampler.types]
    sentences: list[str] = []
    owners: list[int] = []
    for t, truths in enumerate(batch.truths):
        for type_id, target in truths:
            sentences.append(sampler.target_sentence(type_id, target, rng, spec.p_canonical))
            owners.append(t)
    aux_images = aux_labels = None
    if spec.aux_images > 0:
        aux_images, aux_labels = sampler.labelled_images(
            spec.aux_images, curriculum.current, rng)
    return StepData(step, level, batch.images, batch.labels, batch.n_per_side, words,
                    sentences, owners, aux_images=aux_images, aux_labels=aux_labels)


# -- shared buffers -------------------------------------------------------------------------------


def _buffer_dir(n_bytes: int) -> Path:
    """A fresh folder for the shared buffers: in /dev/shm when it has room for them."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        st = os.statvfs(shm)
        if st.f_bavail * st.f_frsize > 1.25 * n_bytes:
            return Path(tempfile.mkdtemp(prefix="tellapart-steps-", dir=shm))
    # containers often mount a small /dev/shm; a page-cache-backed file is nearly as fast
    return Path(tempfile.mkdtemp(prefix="tellapart-steps-"))


def _open_buffers(folder: Path, spec: StepSpec, n_slots: int,
                  mode: Literal["r+", "w+"]) -> tuple[list[np.memmap], np.memmap]:
    s = spec.image_size
    pools = [np.memmap(folder / f"pool{i}.u8", dtype=np.uint8, mode=mode,
                       shape=(spec.pool_size, s, s, 3)) for i in (0, 1)]
    slots = np.memmap(folder / "slots.u8", dtype=np.uint8, mode=mode,
                      shape=(n_slots, spec.n_tasks, 2 * spec.n_per_side, s, s, 3))
    return pools, slots


def _worker_main(spec: StepSpec, folder: str, n_slots: int, tasks: Any, results: Any) -> None:
    """A data worker: draws pools and makes steps on request until it gets None."""
    pools, slots = _open_buffers(Path(folder), spec, n_slots, "r+")
    sampler = spec.task_sampler()
    pool_epoch: int | None = None
    while True:
        msg = tasks.get()
        if msg is None:
            return
        try:
            if msg[0] == "pool":
                epoch = msg[1]
                images, kinds = draw_pool(sampler.base_sampler, spec.pool_size,
                                          pool_rng(spec.seed, epoch))
                pools[epoch % 2][:] = np.stack(images)
                pools[epoch % 2].flush()
                results.put(("pool", epoch, kinds))
                continue
            _, step, level, epoch, kinds, slot = msg
            if epoch != pool_epoch:
                shared = np.asarray(pools[epoch % 2])
                shared.setflags(write=False)  # a difference must never paint on the pool
                sampler.set_pool(list(shared), kinds)
                pool_epoch = epoch
            data = prepare_step(sampler, spec, step, level)
            slots[slot] = data.images
            results.put(("step", step, level, slot, data.labels, data.words, data.sentences,
                         data.owners, data.aux_images, data.aux_labels))
        except Exception:
            results.put(("error", msg[:2], traceback.format_exc()))


class ParallelSteps:
    """Makes training steps' data in ``workers`` processes, ahead of the trainer.

    Parameters
    ----------
    spec : StepSpec
        The run's data settings.
    workers : int
        Worker processes (>= 1).
    prefetch : int, optional
        Steps requested ahead of the one asked for; default ``2 * workers + 2``.
    timeout_s : float
        Give up (RuntimeError) when no worker reports for this long.
    """

    def __init__(self, spec: StepSpec, workers: int, prefetch: int | None = None,
                 timeout_s: float = 600.0) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if spec.pool_every < 1:
            raise ValueError(f"pool_every must be >= 1, got {spec.pool_every}")
        self.spec = spec
        self.workers = workers
        self.prefetch = max(1, prefetch if prefetch is not None else 2 * workers + 2)
        self.n_slots = self.prefetch + workers  # room for requests made stale by a level change
        self.timeout_s = timeout_s
        self._procs: list[Any] = []
        self._folder: Path | None = None
        self._free: list[int] = []
        self._inflight: dict[int, tuple[int, int]] = {}  # slot -> (step, level)
        self._requested: dict[int, tuple[int, int]] = {}  # step -> (level, slot), current only
        self._ready: dict[int, StepData] = {}
        self._pools: dict[int, list[str] | None] = {}  # epoch -> kinds (None: being drawn)

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Create the shared buffers and start the workers (idempotent)."""
        if self._procs:
            return
        s = self.spec
        item = s.image_size * s.image_size * 3
        n_bytes = 2 * s.pool_size * item + self.n_slots * s.n_tasks * 2 * s.n_per_side * item
        self._folder = _buffer_dir(n_bytes)
        self._pool_bufs, self._slots = _open_buffers(self._folder, s, self.n_slots, "w+")
        self._free = list(range(self.n_slots))
        ctx = mp.get_context("spawn")  # fork after CUDA initialisation is unsafe
        self._tasks = ctx.Queue()
        self._results = ctx.Queue()
        saved = {k: os.environ.get(k) for k in _THREAD_VARS}
        os.environ.update({k: "1" for k in _THREAD_VARS})  # one core per worker, no oversubscription
        try:
            for i in range(self.workers):
                proc = ctx.Process(target=_worker_main, name=f"tellapart-data-{i}", daemon=True,
                                   args=(s, str(self._folder), self.n_slots, self._tasks,
                                         self._results))
                proc.start()
                self._procs.append(proc)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def close(self) -> None:
        """Stop the workers and remove the shared buffers."""
        for _ in self._procs:
            try:
                self._tasks.put(None)
            except (OSError, ValueError):
                break
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
        self._procs = []
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        self._inflight.clear()
        self._requested.clear()
        self._ready.clear()
        self._pools.clear()

    def __enter__(self) -> ParallelSteps:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- steps ------------------------------------------------------------------------------------
    def get(self, step: int, level: int) -> StepData:
        """The data of ``step`` at curriculum ``level`` (exactly :func:`prepare_step`'s)."""
        self.start()
        for s, data in list(self._ready.items()):  # made at another level, or skipped over
            if s < step or data.level != level:
                self.release(self._ready.pop(s))
        for s, (lvl, _) in list(self._requested.items()):
            if s < step or lvl != level:
                del self._requested[s]  # its result is dropped when it comes
        waited = time.perf_counter()
        while True:
            self._fill(step, level)
            if step in self._ready:
                return self._ready.pop(step)
            try:
                msg = self._results.get(timeout=2.0)
            except queue.Empty:
                self._check_alive()
                if time.perf_counter() - waited > self.timeout_s:
                    raise RuntimeError(f"no data for step {step} after {self.timeout_s:.0f} s "
                                       f"from {self.workers} workers") from None
                continue
            waited = time.perf_counter()
            self._receive(msg)

    def release(self, data: StepData) -> None:
        """Hand ``data``'s shared slot back for reuse (after its images were copied away)."""
        if data.slot >= 0:
            self._free.append(data.slot)
            data.slot = -1

    def _receive(self, msg: tuple[Any, ...]) -> None:
        kind = msg[0]
        if kind == "error":
            raise RuntimeError(f"a data worker failed on {msg[1]}:\n{msg[2]}")
        if kind == "pool":
            self._pools[msg[1]] = list(msg[2])
            return
        _, step, level, slot, labels, words, sentences, owners, aux_images, aux_labels = msg
        self._inflight.pop(slot, None)
        if self._requested.get(step) != (level, slot):
            self._free.append(slot)  # stale: the level changed after it was asked for
            return
        del self._requested[step]
        images = np.asarray(self._slots[slot])
        self._ready[step] = StepData(step, level, images, labels, self.spec.n_per_side, words,
                                     sentences, owners, slot=slot, aux_images=aux_images,
                                     aux_labels=aux_labels)

    def _fill(self, step: int, level: int) -> None:
        """Ask for the pools of this epoch and the next, and for steps up to the prefetch depth."""
        every = self.spec.pool_every
        epoch = step // every
        for old in [e for e in self._pools if e < epoch]:
            if not any(s // every == old for s, _ in self._inflight.values()):
                del self._pools[old]
        for e in (epoch, epoch + 1):
            # the buffer e % 2 is free once no earlier epoch that used it is still in flight
            busy = any(o != e and o % 2 == e % 2 for o in self._pools)
            if e not in self._pools and not busy:
                self._pools[e] = None
                self._tasks.put(("pool", e))
        for s in range(step, step + self.prefetch):
            if s in self._ready or s in self._requested:
                continue
            kinds = self._pools.get(s // every)
            if kinds is None or not self._free:
                break
            slot = self._free.pop()
            self._inflight[slot] = (s, level)
            self._requested[s] = (level, slot)
            self._tasks.put(("step", s, level, s // every, kinds, slot))

    def _check_alive(self) -> None:
        for proc in self._procs:
            if not proc.is_alive():
                raise RuntimeError(f"data worker {proc.name} died (exit code {proc.exitcode})")
