"""Throughput measurement of the generator (``tellapart synth --throughput``)."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from ..edits.differences import DIFFERENCES, create_difference
from .bases import BaseSampler
from .suites import stream_tasks


def images_per_second(
    size: int = 64, n: int = 500, base: str = "mixed", seed: int = 0, split: str = "train"
) -> dict[str, Any]:
    """Images/s of one process: a base image plus one random difference at random s.

    Decoded photo sources are warmed up first (a one-off cost per process), so the number is
    the steady-state rate a training loop sees.
    """
    sampler = BaseSampler(base, size, split)
    ids = DIFFERENCES.list()
    diffs = [create_difference(t) for t in ids]
    rng = np.random.default_rng(seed)
    for i in range(max(50, len(diffs))):  # warm caches (photo pyramids, fonts) and imports
        diffs[i % len(diffs)].apply(sampler.sample(rng)[0], 1.0, rng)
    # the disk blur imports scipy.signal on first use: keep that one-off out of the timing
    create_difference("blur").apply(sampler.sample(rng)[0], 1.0, rng, {"kernel": "disk"})
    per_type: dict[str, list[float]] = {t: [] for t in ids}
    c0 = time.process_time()
    t0 = time.perf_counter()
    base_time = 0.0
    for i in range(n):
        tb = time.perf_counter()
        img, _ = sampler.sample(rng)
        td = time.perf_counter()
        base_time += td - tb
        k = i % len(diffs)
        diffs[k].apply(img, float(rng.uniform(0.05, 1.0)), rng)
        per_type[ids[k]].append(time.perf_counter() - td)
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    slowest = sorted(
        ((float(np.mean(v)) * 1e3, t) for t, v in per_type.items() if v), reverse=True
    )[:5]
    return {
        "size": size,
        "n": n,
        "base": base,
        "seconds": round(dt, 3),
        "images_per_s": round(n / dt, 1),
        "images_per_cpu_s": round(n / cpu, 1),
        "base_ms_per_image": round(base_time / n * 1e3, 3),
        "slowest_differences_ms": {t: round(ms, 3) for ms, t in slowest},
    }


def stream_images_per_second(
    size: int = 64,
    n_tasks: int = 20,
    n_per_side: int = 16,
    seed: int = 0,
    level: str | float = "hard",
) -> dict[str, Any]:
    """Images/s of :func:`stream_tasks` in one process (composition included)."""
    next(iter(stream_tasks(seed + 1, level=level, n_tasks=1, n_per_side=8, size=size)))  # warm
    import scipy.signal  # noqa: F401  (first disk blur would import it inside the timing)

    c0 = time.process_time()
    t0 = time.perf_counter()
    n_img = 0
    for task in stream_tasks(seed, level=level, n_tasks=n_tasks, n_per_side=n_per_side, size=size):
        n_img += len(task.images_a) + len(task.images_b)
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {
        "size": size,
        "tasks": n_tasks,
        "images": n_img,
        "seconds": round(dt, 3),
        "images_per_s": round(n_img / dt, 1),
        "images_per_cpu_s": round(n_img / cpu, 1),
    }


def parallel_stream_images_per_second(
    workers: int = 2, size: int = 64, n_tasks: int = 20, n_per_side: int = 16
) -> dict[str, Any]:
    """Total images/s of ``workers`` processes each running an independent stream."""
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers) as ex:
        results = list(
            ex.map(
                stream_images_per_second,
                [size] * workers,
                [n_tasks] * workers,
                [n_per_side] * workers,
                list(range(workers)),
            )
        )
    wall = time.perf_counter() - t0
    return {
        "workers": workers,
        "size": size,
        "images_per_s_total": round(sum(r["images_per_s"] for r in results), 1),
        "per_worker": [r["images_per_s"] for r in results],
        "per_worker_cpu": [r["images_per_cpu_s"] for r in results],
        "wall_s_incl_startup": round(wall, 2),
    }
