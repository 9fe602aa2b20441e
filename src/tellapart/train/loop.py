"""The step loop the fine-tuning stages share (``train --rloo``, ``train --from-concepts``).

Train to a total step count, hand the window of per-step records to the stage's logger every
``log_every`` steps and at the last step, checkpoint every ``ckpt_every`` steps and at the end.
What a step does, what a log line holds and what a checkpoint keeps stay with each stage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def run_steps(
    train_step: Callable[[], dict[str, float]],
    current_step: Callable[[], int],
    target: int,
    log_every: int,
    ckpt_every: int,
    log_window: Callable[[list[dict[str, float]]], dict[str, float]],
    save_checkpoint: Callable[[], Any],
) -> dict[str, float]:
    """Call ``train_step`` until ``current_step()`` reaches ``target``; returns what
    ``log_window`` returned last ({} when no step was run)."""
    window: list[dict[str, float]] = []
    last: dict[str, float] = {}
    while current_step() < target:
        window.append(train_step())
        step = current_step()
        if step % log_every == 0 or step == target:
            last = log_window(window)
            window = []
        if step % ckpt_every == 0:
            save_checkpoint()
    save_checkpoint()
    return last
