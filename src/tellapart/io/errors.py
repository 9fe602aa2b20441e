"""Errors of the loading stage: whole-input problems stop a run, per-file problems skip a file."""

from __future__ import annotations


class InputError(Exception):
    """A set source cannot be used at all (missing folder, unreadable manifest, ...).

    The message is one line meant for the user; the run stops.
    """


class BadImageError(Exception):
    """One file cannot be used as an image; it is skipped and ``reason`` is reported.

    Parameters
    ----------
    reason : str
        Short human reason, e.g. ``"empty file (0 bytes)"``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CacheError(Exception):
    """The feature cache cannot be opened, read or written; the message names the file."""
