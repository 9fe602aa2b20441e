"""Per-image scores out (``--export-scores FILE``): one row per image, CSV or Parquet.

Columns: ``path``, ``set``, ``fold``, then every score column of :class:`ImageScores` in
order ("overall", the global classifier's held-out score, then one per finding). CSV writes a
missing score (NaN) as an empty cell and every other number with ``repr`` precision, so the
values read back exactly; Parquet (a ``.parquet`` file; needs pyarrow) writes it as null.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..types import ImageScores, Report
from .json_io import write_text_atomic

#: The leading columns of every export, before the score columns.
ID_COLUMNS = ("path", "set", "fold")
PARQUET_SUFFIX = ".parquet"


class ScoresExportError(ValueError):
    """The per-image scores cannot be written as asked (no scores, or no Parquet writer)."""


def wants_parquet(path: str | Path) -> bool:
    """Whether ``path`` asks for Parquet (its suffix is ``.parquet``, any case); else CSV."""
    return Path(path).suffix.lower() == PARQUET_SUFFIX


def missing_pyarrow_message(path: str | Path) -> str:
    """What to tell a user who asked for a Parquet file without pyarrow installed."""
    return (f"writing Parquet ({path}) needs pyarrow, which is not installed: "
            f"pip install pyarrow (or export CSV instead, e.g. --export-scores scores.csv)")


def import_pyarrow(path: str | Path = "scores.parquet") -> tuple[ModuleType, ModuleType]:
    """``(pyarrow, pyarrow.parquet)``, imported only when a Parquet file is asked for.

    Raises
    ------
    ScoresExportError
        When pyarrow is not installed (:func:`missing_pyarrow_message`).
    """
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ScoresExportError(missing_pyarrow_message(path)) from None
    return pyarrow, pyarrow.parquet


def check_scores_path(path: str | Path) -> None:
    """Fail early, before a comparison runs, when ``path`` could not be written afterwards.

    Parameters
    ----------
    path : str or Path
        Where ``--export-scores`` will write.

    Raises
    ------
    ScoresExportError
        A Parquet file was asked for and pyarrow is not installed, or ``path`` is a folder.
    """
    if Path(path).is_dir():
        raise ScoresExportError(f"--export-scores needs a file name, got the folder {path}")
    if wants_parquet(path):
        import_pyarrow(path)


def _columns(scores: ImageScores) -> dict[str, np.ndarray]:
    """The score columns as (N,) float64 arrays, checked against the rows."""
    n = len(scores.paths)
    if len(scores.sets) != n or len(scores.folds) != n:
        raise ScoresExportError(
            f"per-image scores have {n} paths but {len(scores.sets)} sets and "
            f"{len(scores.folds)} folds"
        )
    columns = {}
    for name, values in scores.columns.items():
        if name in ID_COLUMNS:
            raise ScoresExportError(f"score column {name!r} clashes with a leading column")
        array = np.asarray(values, dtype=np.float64).reshape(-1)
        if array.size != n:
            raise ScoresExportError(
                f"score column {name!r} has {array.size} values for {n} images"
            )
        columns[name] = array
    return columns


def _cell(value: float) -> str:
    # repr of a Python float is the shortest text that reads back to the same number
    return "" if math.isnan(value) else repr(float(value))


def scores_csv_text(scores: ImageScores) -> str:
    """The CSV text of ``scores`` (header row, then one row per image; NaN as an empty cell)."""
    columns = _columns(scores)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*ID_COLUMNS, *columns])
    for i, (path, set_name, fold) in enumerate(
        zip(scores.paths, scores.sets, scores.folds, strict=True)
    ):
        writer.writerow([path, set_name, int(fold), *(_cell(c[i]) for c in columns.values())])
    return buffer.getvalue()


def _write_atomic(path: Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _write_parquet(scores: ImageScores, path: Path) -> Path:
    pa, pq = import_pyarrow(path)
    columns = _columns(scores)
    table = pa.table(
        {
            "path": pa.array(list(scores.paths), type=pa.string()),
            "set": pa.array(list(scores.sets), type=pa.string()),
            "fold": pa.array([int(f) for f in scores.folds], type=pa.int64()),
            # NaN (missing) becomes null, as a CSV cell becomes empty
            **{name: pa.array(values, type=pa.float64(), from_pandas=True)
               for name, values in columns.items()},
        }
    )
    return _write_atomic(path, lambda tmp: pq.write_table(table, str(tmp)))


def write_scores(image_scores: ImageScores | None, path: str | Path) -> Path:
    """Write the per-image scores: Parquet when ``path`` ends in ``.parquet``, else CSV.

    Parameters
    ----------
    image_scores : ImageScores or None
        ``Report.image_scores``. None (the comparison kept no per-image scores) is an error.
    path : str or Path
        Output file; parent folders are created. It is written through a temporary file, so
        a crash never leaves half a file.

    Returns
    -------
    Path
        The file written: columns ``path``, ``set``, ``fold``, then every score column in
        order; one row per image in ``image_scores`` order.

    Raises
    ------
    ScoresExportError
        No scores, columns whose lengths do not match the rows, or Parquet without pyarrow.
    """
    if image_scores is None:
        raise ScoresExportError(
            "this comparison kept no per-image scores, so there is nothing to export "
            "(they come with the overall test: is it switched off?)"
        )
    target = Path(path)
    if wants_parquet(target):
        return _write_parquet(image_scores, target)
    return write_text_atomic(target, scores_csv_text(image_scores))


def export_scores(report: Report, path: str | Path) -> Path:
    """:func:`write_scores` of ``report.image_scores`` (what ``--export-scores FILE`` does)."""
    return write_scores(report.image_scores, path)


def read_scores_csv(path: str | Path) -> ImageScores:
    """Read per-image scores back from a CSV file :func:`write_scores` wrote (empty cells
    as NaN); the inverse of :func:`scores_csv_text`.

    Raises
    ------
    ValueError
        The file does not start with the columns ``path``, ``set``, ``fold``, or a row has
        another number of cells or a value that is not a number; the message names the row.
    """
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows or tuple(rows[0][:3]) != ID_COLUMNS:
        raise ValueError(f"{path}: not a tellapart scores file (columns must start with "
                         f"{', '.join(ID_COLUMNS)})")
    names = rows[0][3:]
    paths, sets, folds, values = [], [], [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise ValueError(f"{path}, line {line}: {len(row)} cells for {len(rows[0])} columns")
        try:
            folds.append(int(row[2]))
            values.append([float(cell) if cell else math.nan for cell in row[3:]])
        except ValueError:
            raise ValueError(f"{path}, line {line}: a fold or score is not a number") from None
        paths.append(row[0])
        sets.append(row[1])
    table = np.asarray(values, dtype=np.float64).reshape(len(paths), len(names))
    return ImageScores(paths, sets, folds, {n: table[:, j] for j, n in enumerate(names)})
