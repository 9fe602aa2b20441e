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


def check_image_size(width: int, height: int, max_pixels: int,
                     corrupt: str = "corrupt image header: size") -> None:
    """Refuse a claimed image size before any pixel is decoded.

    Raises
    ------
    BadImageError
        "<corrupt> WxH" for a non-positive side; "refused as a possible
        decompression bomb: ..." for more than ``max_pixels`` pixels.
    """
    if width <= 0 or height <= 0:
        raise BadImageError(f"{corrupt} {width}x{height}")
    if width * height > max_pixels:
        raise BadImageError(
            f"refused as a possible decompression bomb: {width}x{height} = "
            f"{width * height:,} pixels is more than max_pixels={max_pixels:,}"
        )


class CacheError(Exception):
    """The feature cache cannot be opened, read or written; the message names the file."""
