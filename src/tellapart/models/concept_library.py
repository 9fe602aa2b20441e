"""The concept library: a folder of learned concepts (:mod:`tellapart.models.concepts`) on disk.

Each concept is ``<id>.json`` + ``<id>.safetensors`` (no pickle). The JSON records the
format and version, the SHA-256 of its safetensors file, and the layout of the detector's
blocks; :func:`load_concept` checks all of them against the arrays, so a truncated, edited
or foreign file gives a :class:`~tellapart.models.concepts.ConceptError` naming it, and
:func:`load_library` loads every other concept of the folder.

The default library is ``$TELLAPART_LIBRARY`` when set, else
``$XDG_DATA_HOME/tellapart/concepts`` (``~/.local/share/tellapart/concepts``).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import stats
from ..io.decode import file_sha256
from .concepts import (
    BLOCKS,
    FORMAT,
    FORMAT_VERSION,
    MEASUREMENTS_BLOCK,
    THUMBNAIL,
    Concept,
    ConceptBlock,
    ConceptError,
    TrainingRows,
    refit,
)

LIBRARY_ENV = "TELLAPART_LIBRARY"
JSON_SUFFIX = ".json"
ARRAYS_SUFFIX = ".safetensors"


def default_library_dir() -> Path:
    """The user's concept library folder (it need not exist yet)."""
    if os.environ.get(LIBRARY_ENV):
        return Path(os.environ[LIBRARY_ENV]).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "tellapart" / "concepts"


def library_dir(setting: str | None) -> Path | None:
    """The library folder a ``library`` setting names: None -> the default folder,
    "" -> no library (None), else that folder."""
    if setting is None:
        return default_library_dir()
    return Path(setting).expanduser() if setting else None


# ---- writing --------------------------------------------------------------------------


def _arrays(concept: Concept) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {"examples": np.ascontiguousarray(concept.examples, dtype=np.uint8)}
    for block in concept.blocks:
        arrays[f"{block.name}.centre"] = np.ascontiguousarray(block.scaling.centre, dtype=np.float64)
        arrays[f"{block.name}.spread"] = np.ascontiguousarray(block.scaling.spread, dtype=np.float64)
        arrays[f"{block.name}.kept"] = np.ascontiguousarray(block.scaling.kept, dtype=np.uint8)
        arrays[f"{block.name}.coefficients"] = np.ascontiguousarray(block.coefficients, dtype=np.float64)
    if concept.training is not None:
        for name, values in concept.training.raw.items():
            arrays[f"training.{name}"] = np.ascontiguousarray(values, dtype=np.float32)
        arrays["training.positive"] = np.ascontiguousarray(concept.training.positive, dtype=np.uint8)
    return arrays


def _meta(concept: Concept, arrays_sha256: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "id": concept.id,
        "name": concept.name,
        "arrays_sha256": arrays_sha256,
        "describer_sha256": concept.describer_sha256,
        "intercept": concept.intercept,
        "floor": concept.floor,
        "blocks": [{"name": b.name, "columns": b.columns, "width": b.width,
                    "weight": b.scaling.weight} for b in concept.blocks],
        "calibration": concept.calibration,
        "provenance": concept.provenance,
        "training": None if concept.training is None else {
            "blocks": sorted(concept.training.raw),
            "measurement_names": concept.training.measurement_names,
            "rows": int(concept.training.positive.size)},
    }


def save_concept(concept: Concept, folder: str | Path) -> Path:
    """Write ``concept`` into ``folder`` (created); returns its JSON file's path.

    The safetensors file is written first and the JSON, which carries its SHA-256, last,
    each through a temporary file and a rename, so a concept is either whole or absent.
    """
    from safetensors.numpy import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays_path = folder / f"{concept.id}{ARRAYS_SUFFIX}"
    tmp = arrays_path.with_suffix(ARRAYS_SUFFIX + ".tmp")
    save_file(_arrays(concept), str(tmp), metadata={"format": FORMAT,
                                                    "format_version": str(FORMAT_VERSION)})
    os.replace(tmp, arrays_path)
    return _write_meta(folder, _meta(concept, file_sha256(arrays_path)))


def _write_meta(folder: Path, meta: dict[str, Any]) -> Path:
    json_path = folder / f"{meta['id']}{JSON_SUFFIX}"
    tmp = json_path.with_suffix(JSON_SUFFIX + ".tmp")
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, json_path)
    return json_path


# ---- reading --------------------------------------------------------------------------


def _read_meta(json_path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConceptError(f"{json_path.name}: not a readable JSON file ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ConceptError(f"{json_path.name}: not a tellapart concept (format is not {FORMAT!r})")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ConceptError(f"{json_path.name}: concept format version {meta.get('format_version')!r}; "
                           f"this tellapart reads version {FORMAT_VERSION}")
    missing = [k for k in ("id", "name", "arrays_sha256", "describer_sha256", "intercept",
                           "floor", "blocks") if k not in meta]
    if missing:
        raise ConceptError(f"{json_path.name}: missing key(s) {', '.join(missing)}")
    return meta


def _read_arrays(arrays_path: Path, expected_sha256: str) -> dict[str, np.ndarray]:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    if not arrays_path.is_file():
        raise ConceptError(f"{arrays_path.name}: missing (each concept has a .json and a .safetensors file)")
    if file_sha256(arrays_path) != expected_sha256:
        raise ConceptError(f"{arrays_path.name}: its SHA-256 is not the one its .json records "
                           f"(the file was changed or belongs to another concept)")
    try:
        return dict(load_file(str(arrays_path)))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ConceptError(f"{arrays_path.name}: not a readable safetensors file ({exc})") from None


def _block(meta_block: dict[str, Any], arrays: dict[str, np.ndarray], where: str) -> ConceptBlock:
    name, width = meta_block.get("name"), meta_block.get("width")
    if name not in BLOCKS or not isinstance(width, int):
        raise ConceptError(f"{where}: unknown feature block {name!r}")
    columns = [str(c) for c in meta_block.get("columns", [])]
    if name == MEASUREMENTS_BLOCK and len(columns) != width:
        raise ConceptError(f"{where}: block {name!r} names {len(columns)} columns for width {width}")
    parts = {}
    for part, dtype in (("centre", np.float64), ("spread", np.float64), ("kept", np.uint8),
                        ("coefficients", np.float64)):
        value = arrays.get(f"{name}.{part}")
        if value is None or value.dtype != dtype or value.ndim != 1:
            raise ConceptError(f"{where}: array {name}.{part} missing or not 1-D {np.dtype(dtype).name}")
        parts[part] = value
    kept = parts["kept"].astype(bool)
    if not (parts["centre"].size == parts["spread"].size == kept.size == width):
        raise ConceptError(f"{where}: block {name!r} arrays do not have width {width}")
    if parts["coefficients"].size != int(kept.sum()):
        raise ConceptError(f"{where}: block {name!r} has {parts['coefficients'].size} "
                           f"coefficients for {int(kept.sum())} kept columns")
    if not all(np.isfinite(parts[p]).all() for p in ("centre", "spread", "coefficients")):
        raise ConceptError(f"{where}: block {name!r} holds non-finite values")
    scaling = stats.BlockScaling(parts["centre"], parts["spread"], kept,
                                 float(meta_block.get("weight", 1.0)))
    return ConceptBlock(name, columns, scaling, parts["coefficients"])


def load_concept(json_path: str | Path) -> Concept:
    """Read and validate one concept from its JSON file (its safetensors file beside it).

    Raises
    ------
    ConceptError
        The file is not a tellapart concept of this version, or it and its arrays disagree
        (shape, dtype, SHA-256, non-finite values); the message names the file.
    """
    json_path = Path(json_path)
    meta = _read_meta(json_path)
    arrays = _read_arrays(json_path.with_suffix(ARRAYS_SUFFIX), str(meta["arrays_sha256"]))
    blocks = [_block(b, arrays, json_path.name) for b in meta["blocks"]]
    examples = arrays.get("examples", np.zeros((0, THUMBNAIL, THUMBNAIL, 3), dtype=np.uint8))
    if examples.dtype != np.uint8 or examples.ndim != 4 or examples.shape[-1] != 3:
        raise ConceptError(f"{json_path.name}: example thumbnails are not (k, h, w, 3) uint8")
    try:
        intercept, floor = float(meta["intercept"]), float(meta["floor"])
    except (TypeError, ValueError):
        raise ConceptError(f"{json_path.name}: intercept and floor must be numbers") from None
    return Concept(str(meta["id"]), str(meta["name"]), blocks, intercept, floor,
                   str(meta["describer_sha256"]), dict(meta.get("calibration", {})),
                   dict(meta.get("provenance", {})), examples,
                   _training(meta.get("training"), arrays, json_path.name))


def _training(meta: Any, arrays: dict[str, np.ndarray], where: str) -> TrainingRows | None:
    """The training rows a concept keeps (None when it keeps none), checked against the JSON."""
    if meta is None:
        return None
    if not isinstance(meta, dict) or not isinstance(meta.get("blocks"), list):
        raise ConceptError(f"{where}: 'training' must name its blocks")
    rows = meta.get("rows")
    positive = arrays.get("training.positive")
    if positive is None or positive.dtype != np.uint8 or positive.shape != (rows,):
        raise ConceptError(f"{where}: array training.positive missing or not ({rows},) uint8")
    names = [str(n) for n in meta.get("measurement_names", [])]
    raw = {}
    for block in meta["blocks"]:
        values = arrays.get(f"training.{block}")
        if block not in BLOCKS or values is None or values.dtype != np.float32 or values.ndim != 2 \
                or values.shape[0] != rows:
            raise ConceptError(f"{where}: array training.{block} missing or not ({rows}, d) float32")
        raw[block] = values.astype(np.float64)
    if MEASUREMENTS_BLOCK in raw and raw[MEASUREMENTS_BLOCK].shape[1] != len(names):
        raise ConceptError(f"{where}: training measurements have {raw[MEASUREMENTS_BLOCK].shape[1]} "
                           f"columns for {len(names)} names")
    return TrainingRows(raw, names, positive.astype(bool))


@dataclass
class ConceptLibrary:
    """The concepts of one folder that could be read, and why the others could not.

    Attributes
    ----------
    folder : Path or None
        None: no library (``--no-library``).
    concepts : list of Concept
        Sorted by id.
    errors : list of str
        One line per concept file that could not be used, naming it and why.
    """

    folder: Path | None
    concepts: list[Concept] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def get(self, concept_id: str) -> Concept:
        """The concept ``concept_id`` (KeyError naming the ids there are)."""
        for concept in self.concepts:
            if concept.id == concept_id:
                return concept
        known = ", ".join(c.id for c in self.concepts) or "none"
        raise KeyError(f"no concept {concept_id!r} in the library (there are: {known})")


_loaded: dict[tuple[str, tuple[tuple[str, int, int], ...]], ConceptLibrary] = {}


def load_library(folder: str | Path | None) -> ConceptLibrary:
    """Every concept of ``folder`` (None or a missing folder: an empty library).

    A file that cannot be used is named in ``errors`` and the rest still load. Loaded
    libraries are kept in memory, keyed by the folder and its files' sizes and times, so a
    comparison's proposer and scorer read the folder once.
    """
    if folder is None:
        return ConceptLibrary(None)
    folder = Path(folder)
    files = sorted(folder.glob(f"*{JSON_SUFFIX}")) if folder.is_dir() else []
    key = (str(folder.resolve()) if folder.exists() else str(folder),
           tuple(_file_key(p) for p in files + sorted(folder.glob(f"*{ARRAYS_SUFFIX}"))))
    if key not in _loaded:
        library = ConceptLibrary(folder)
        for json_path in files:
            try:
                library.concepts.append(load_concept(json_path))
            except ConceptError as exc:
                library.errors.append(f"concept library {folder}: {exc}; skipped")
        library.concepts.sort(key=lambda c: c.id)
        _loaded.clear()  # one library in memory at a time is what a run uses
        _loaded[key] = library
    return _loaded[key]


def _file_key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (path.name, st.st_size, st.st_mtime_ns)


# ---- managing -------------------------------------------------------------------------


def concept_files(folder: str | Path, concept_id: str) -> tuple[Path, Path]:
    """The JSON and safetensors files of ``concept_id`` in ``folder``."""
    folder = Path(folder)
    return folder / f"{concept_id}{JSON_SUFFIX}", folder / f"{concept_id}{ARRAYS_SUFFIX}"


def rename_concept(folder: str | Path, concept_id: str, name: str) -> Concept:
    """Give ``concept_id`` a new name (its id and detector unchanged); returns it re-read."""
    json_path, _ = concept_files(folder, concept_id)
    concept = load_concept(json_path)  # validates before anything is written
    if not name.strip():
        raise ConceptError("a concept's name cannot be empty")
    meta = _read_meta(json_path)
    meta["name"] = name.strip()
    _write_meta(Path(folder), meta)
    concept.name = meta["name"]
    return concept


def remove_concept(folder: str | Path, concept_id: str) -> None:
    """Delete both files of ``concept_id`` (FileNotFoundError when it is not there)."""
    json_path, arrays_path = concept_files(folder, concept_id)
    if not json_path.is_file():
        raise FileNotFoundError(f"no concept {concept_id!r} in {folder}")
    json_path.unlink()
    arrays_path.unlink(missing_ok=True)


def copy_concept(json_path: str | Path, to_folder: str | Path) -> Concept:
    """Validate the concept of ``json_path`` and copy its two files into ``to_folder``
    (export and import); returns the concept."""
    json_path = Path(json_path)
    concept = load_concept(json_path)
    to_folder = Path(to_folder)
    to_folder.mkdir(parents=True, exist_ok=True)
    for source in (json_path, json_path.with_suffix(ARRAYS_SUFFIX)):
        target = to_folder / source.name
        if target.resolve() != source.resolve():
            shutil.copyfile(source, target)
    return concept


def usable_concepts(setting: str | None) -> tuple[list[Concept], list[str]]:
    """The concepts of the library a ``library`` setting names that this installation's
    describer can score, and one warning per concept or file it cannot use (the reason)."""
    from .shipped import default_available, describer_dir
    from .weights import embedding_sha256, read_meta

    library = load_library(library_dir(setting))
    warnings = list(library.errors)
    if not library.concepts:
        return [], warnings
    if not default_available():
        return [], warnings + [f"concept library {library.folder}: the describer weights are "
                               f"not installed, so its {len(library.concepts)} concept(s) were not used"]
    sha = embedding_sha256(read_meta(describer_dir()))
    usable = [c for c in library.concepts if c.describer_sha256 == sha]
    warnings += [f"concept {c.id} was learned with other describer weights "
                 f"({c.describer_sha256[:12]}, installed {sha[:12]}): not used"
                 for c in library.concepts if c.describer_sha256 != sha]
    return usable, warnings


def refit_library(folder: str | Path) -> list[Concept]:
    """Refit every concept of ``folder`` against the others (:func:`tellapart.models.concepts.refit`)
    and write it back; returns the concepts as written. Run whenever concepts join or leave
    the library, so each one responds to what it shows and not to what the others show."""
    folder = Path(folder)
    library = load_library(folder)
    refitted = []
    for concept in library.concepts:
        if concept.training is None:
            refitted.append(concept)
            continue
        others = [c for c in library.concepts if c.id != concept.id]
        new = refit(concept, others)
        save_concept(new, folder)
        refitted.append(new)
    return refitted
