"""Turning what a user typed for a set (folder, glob, list file, CSV manifest) into file paths."""

from __future__ import annotations

import csv
import errno
import glob
import os

from ..types import SkippedFile
from .errors import InputError

_GLOB_CHARS = frozenset("*?[")
_MANIFEST_SUFFIXES = (".csv",)
# A single image given as a "set" is almost always a mistake worth naming.
_IMAGE_SUFFIXES = (
    ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".jp2", ".ppm", ".pgm",
    ".dcm", ".dicom", ".nii", ".nii.gz",
)


def discover(
    source: str, set_name: str, *, group: str | None = None
) -> tuple[list[str], list[SkippedFile]]:
    """The candidate files of one set, in a deterministic order, and entries already skipped.

    Parameters
    ----------
    source : str
        One of: a folder (walked recursively; hidden files and folders are left out,
        every other regular file is a candidate, so a non-image is later reported as
        skipped, not silently ignored); a glob pattern (``"imgs/**/*.png"``, ``**``
        recurses); a text file listing paths, one per line (blank lines and ``#``
        comments ignored, relative paths resolved against the list's folder); or a CSV
        manifest with ``path`` and ``group`` columns (relative paths resolved against
        the manifest's folder).
    set_name : str
        "A" or "B", recorded in skipped entries and used in messages.
    group : str, optional
        Rows of a CSV manifest to use (required for a manifest, refused otherwise).

    Returns
    -------
    paths : list of str
        Candidate files sorted by path, whatever the source: a set is a set, so the
        order of lines in a list or manifest cannot change which images are held out.
        A file listed twice is kept once.
    skipped : list of SkippedFile
        Listed files that do not exist, duplicates, empty manifest rows, and symbolic
        links in a folder that lead nowhere (broken, looping, or to a folder).

    Raises
    ------
    InputError
        The source does not exist, cannot be read, matches nothing, or a manifest lacks
        a ``path`` column / a group / the requested group.
    """
    if not source or not source.strip():
        raise InputError(f"set {set_name}: no source given (expected a folder, glob, list or CSV)")
    expanded = os.path.expanduser(source)
    if os.path.isdir(expanded):
        _refuse_group(group, source, set_name)
        return _walk_folder(expanded, set_name)
    if os.path.isfile(expanded):
        if expanded.lower().endswith(_MANIFEST_SUFFIXES):
            return _read_manifest(expanded, set_name, group)
        _refuse_group(group, source, set_name)
        if expanded.lower().endswith(_IMAGE_SUFFIXES):
            raise InputError(
                f"set {set_name}: {source!r} is a single image; give a folder, glob pattern, "
                "list file or CSV manifest of images"
            )
        return _read_list(expanded, set_name)
    if _GLOB_CHARS & set(source):
        _refuse_group(group, source, set_name)
        matches = sorted(
            p for p in glob.glob(expanded, recursive=True) if os.path.isfile(p)
        )
        if not matches:
            raise InputError(f"set {set_name}: no files match the pattern {source!r}")
        return matches, []
    if os.path.exists(expanded):
        raise InputError(
            f"set {set_name}: {source!r} is not a folder, glob pattern, list file or CSV "
            "manifest (it is a device or other special file)"
        )
    raise InputError(f"set {set_name}: {source!r} does not exist")


def _refuse_group(group: str | None, source: str, set_name: str) -> None:
    if group is not None:
        raise InputError(
            f"set {set_name}: a group ({group!r}) was given but {source!r} is not a CSV manifest"
        )


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _walk_folder(folder: str, set_name: str) -> tuple[list[str], list[SkippedFile]]:
    found: list[str] = []
    skipped: list[SkippedFile] = []

    def raise_walk_error(exc: OSError) -> None:
        raise InputError(f"cannot read folder {exc.filename!r}: {exc.strerror or exc}")

    for root, dirs, files in os.walk(folder, onerror=raise_walk_error):
        # Links to folders are not followed (that is how loops are avoided); name them.
        links = [d for d in dirs if os.path.islink(os.path.join(root, d))]
        skipped += [SkippedFile(os.path.join(root, d), set_name,
                                _link_reason(os.path.join(root, d)))
                    for d in links if not _is_hidden(d)]
        dirs[:] = sorted(d for d in dirs if not _is_hidden(d) and d not in links)
        for name in files:
            if _is_hidden(name):
                continue
            path = os.path.join(root, name)
            if os.path.isfile(path):
                found.append(path)
            elif os.path.islink(path):  # a broken or looping link: the user meant a file
                skipped.append(SkippedFile(path, set_name, _link_reason(path)))
            # sockets and fifos are left out: nobody lists those as images
    return sorted(found), sorted(skipped, key=lambda s: s.path)


def _link_reason(path: str) -> str:
    """Why a symbolic link found in a folder is not used."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop (the link leads back to itself)"
        return f"broken symbolic link (its target {os.readlink(path)!r} does not exist)"
    target = os.path.realpath(path)
    inside = os.path.realpath(os.path.dirname(path))
    if inside == target or inside.startswith(target.rstrip(os.sep) + os.sep):
        return f"symbolic link loop (points back to its own folder {target!r}); not followed"
    return f"symbolic link to a folder ({target!r}); not followed, give that folder itself"


def _read_text(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            return fh.read()
    except UnicodeDecodeError:
        raise InputError(f"cannot read {what} {path!r}: it is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {path!r}: {exc.strerror or exc}") from None


def _resolve(entry: str, base_dir: str) -> str:
    entry = os.path.expanduser(entry)
    return os.path.normpath(entry if os.path.isabs(entry) else os.path.join(base_dir, entry))


def _collect(
    entries: list[tuple[str, str]], base_dir: str, set_name: str
) -> tuple[list[str], list[SkippedFile]]:
    """Resolve (entry, where-it-was-listed) pairs; missing files and duplicates are skipped."""
    paths: list[str] = []
    skipped: list[SkippedFile] = []
    seen: set[str] = set()
    for entry, where in entries:
        path = _resolve(entry, base_dir)
        if path in seen:
            skipped.append(SkippedFile(path, set_name, f"listed more than once ({where})"))
            continue
        seen.add(path)
        if os.path.isdir(path):
            skipped.append(SkippedFile(path, set_name, "is a directory"))
        elif not os.path.exists(path):
            skipped.append(SkippedFile(path, set_name, "file not found"))
        else:
            paths.append(path)
    # Listed order is not kept: the same files in another order must give the same run.
    return sorted(paths), sorted(skipped, key=lambda s: (s.path, s.reason))


def _read_list(list_path: str, set_name: str) -> tuple[list[str], list[SkippedFile]]:
    text = _read_text(list_path, "list file")
    entries: list[tuple[str, str]] = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        entries.append((line, f"{os.path.basename(list_path)} line {line_no}"))
    return _collect(entries, os.path.dirname(list_path), set_name)


def _read_manifest(
    csv_path: str, set_name: str, group: str | None
) -> tuple[list[str], list[SkippedFile]]:
    text = _read_text(csv_path, "manifest")
    try:
        reader = csv.DictReader(text.splitlines())
        columns = [c.strip() for c in (reader.fieldnames or [])]
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(f"cannot parse manifest {csv_path!r}: {exc}") from None
    if "path" not in columns:
        shown = ", ".join(columns) or "(none)"
        raise InputError(f"manifest {csv_path!r} has no 'path' column (columns: {shown})")
    if group is None:
        raise InputError(
            f"set {set_name}: {csv_path!r} is a CSV manifest; choose its rows with a group"
        )
    if "group" not in columns:
        raise InputError(f"manifest {csv_path!r} has no 'group' column to select {group!r}")
    name_of = {c.strip(): c for c in (reader.fieldnames or [])}
    path_key, group_key = name_of["path"], name_of["group"]
    entries: list[tuple[str, str]] = []
    skipped: list[SkippedFile] = []
    groups_present: set[str] = set()
    for row_no, row in enumerate(rows, start=2):  # row 1 is the header
        row_group = (row.get(group_key) or "").strip()
        groups_present.add(row_group)
        if row_group != group:
            continue
        entry = (row.get(path_key) or "").strip()
        where = f"{os.path.basename(csv_path)} row {row_no}"
        if not entry:
            skipped.append(SkippedFile(f"{csv_path}:{row_no}", set_name, f"empty path ({where})"))
            continue
        entries.append((entry, where))
    if not entries and not skipped:
        present = ", ".join(repr(g) for g in sorted(groups_present)) or "(no rows)"
        raise InputError(
            f"set {set_name}: no rows with group {group!r} in {csv_path!r} (groups: {present})"
        )
    paths, missing = _collect(entries, os.path.dirname(csv_path), set_name)
    return paths, skipped + missing
