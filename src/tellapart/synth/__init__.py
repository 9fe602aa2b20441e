"""Synthetic difference generator: image-set pairs that differ in known, described ways.

Base images (procedural scenes, bundled photographs, faces, user folders) are changed by
registered difference types (:data:`DIFFERENCES`, the pixel edits of :mod:`tellapart.edits`,
re-exported here), composed into tasks with ground truth (:func:`make_task`), grouped into
fixed, versioned suites (:func:`make_suite`) or streamed for training (:func:`stream_tasks`).
"""

from __future__ import annotations

from ..edits import (
    DIFFERENCES,
    FAMILIES,
    Difference,
    create_difference,
    list_differences,
    register_difference,
)
from .bases import BASE_KINDS, make_base_images
from .cli import main
from .suites import (
    SUITE_VERSION,
    SUITES,
    TaskSpec,
    make_suite,
    stream_task_specs,
    stream_tasks,
    suite_specs,
)
from .tasks import DiffSpec, Task, make_task, write_task

__all__ = [
    "BASE_KINDS",
    "DIFFERENCES",
    "FAMILIES",
    "SUITES",
    "SUITE_VERSION",
    "DiffSpec",
    "Difference",
    "Task",
    "TaskSpec",
    "create_difference",
    "list_differences",
    "main",
    "make_base_images",
    "make_suite",
    "make_task",
    "register_difference",
    "stream_task_specs",
    "stream_tasks",
    "suite_specs",
    "write_task",
]
