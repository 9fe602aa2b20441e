"""Command line of the concept library: ``tellapart learn`` and ``tellapart concepts ...``.

``tellapart learn REPORT_DIR [--finding N ...] [--name TEXT] [--overall] [--library DIR]``
turns significant findings of a finished comparison (or, with ``--overall``, what its overall
classifier saw) into concepts (:mod:`tellapart.learn`);
``tellapart concepts list | show ID [--examples DIR] | rename ID NAME | remove ID | export
ID... --to DIR | import PATH...`` manages the library; adding or removing concepts refits the
others against them. Exit codes as :mod:`tellapart.cli`: 0 done, 2 bad
input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .models.concept_library import (
    JSON_SUFFIX,
    concept_files,
    copy_concept,
    default_library_dir,
    load_library,
    refit_library,
    remove_concept,
    rename_concept,
)
from .models.concepts import Concept, ConceptError

EXIT_OK, EXIT_INPUT = 0, 2


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``learn`` and ``concepts`` to the ``tellapart`` subcommands."""
    p = sub.add_parser("learn", help="learn concepts from significant findings of a report",
                       allow_abbrev=False)
    p.add_argument("report_dir", help="a folder `tellapart compare --out` wrote")
    p.add_argument("--finding", type=int, action="append", dest="findings", default=None,
                   metavar="N", help="rank of a finding to learn (repeatable; default: every "
                                     "significant finding)")
    p.add_argument("--name", default=None,
                   help="the concept's name, a predicate such as 'have purple star stickers' "
                        "(one finding only; default: the finding's sentence)")
    p.add_argument("--overall", action="store_true",
                   help="learn what the overall classifier saw (sets that differ with no finding "
                        "describing it; needs --name)")
    _add_library_option(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_learn)

    p = sub.add_parser("concepts", help="list, show, rename, remove, export or import learned "
                                        "concepts", allow_abbrev=False)
    actions = p.add_subparsers(dest="action", required=True)
    for action, help_text in (("list", "list the concepts"), ("show", "show one concept"),
                              ("rename", "rename a concept"), ("remove", "delete a concept"),
                              ("export", "copy concepts to a folder"),
                              ("import", "validate concept files and add them")):
        a = actions.add_parser(action, help=help_text, allow_abbrev=False)
        _add_library_option(a)
        if action in ("show", "rename", "remove"):
            a.add_argument("concept_id", help="the concept's id (see `tellapart concepts list`)")
        if action == "show":
            a.add_argument("--examples", default=None, metavar="DIR",
                           help="also write the concept's example thumbnails here as PNG")
        if action == "rename":
            a.add_argument("name", help="the new name, a predicate ('have purple stickers')")
        if action == "export":
            a.add_argument("concept_ids", nargs="+", help="ids of the concepts to export")
            a.add_argument("--to", required=True, help="folder to write them to")
        if action == "import":
            a.add_argument("paths", nargs="+", help="concept .json files, or folders of them")
        a.set_defaults(func=_CONCEPT_ACTIONS[action])


def _add_library_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--library", default=None, metavar="DIR",
                   help=f"concept library folder (default: {default_library_dir()})")


def _library(args: argparse.Namespace) -> Path:
    return Path(args.library) if args.library else default_library_dir()


def _error(message: str) -> int:
    print(f"tellapart: error: {message}", file=sys.stderr)
    return EXIT_INPUT


def _cmd_learn(args: argparse.Namespace) -> int:
    from .io import InputError
    from .learn import learn_from_report

    try:
        result = learn_from_report(args.report_dir, findings=args.findings, name=args.name,
                                   library=_library(args), overall=args.overall,
                                   progress=not args.quiet)
    except (InputError, ConceptError) as exc:
        return _error(str(exc))
    for warning in result.warnings:
        print(f"tellapart: warning: {warning}", file=sys.stderr)
    for rank, reason in sorted(result.not_learned.items()):
        print(f"{_what(rank)}: not learned: {reason}")
    for learned in result.learned:
        c = learned.concept
        print(f"{_what(learned.finding_rank)}: learned {c.id} \"{c.name}\" "
              f"(held-out AUROC {c.calibration['held_out_auroc']:.2f}) -> {learned.path}")
    return EXIT_OK if result.learned else EXIT_INPUT


def _what(rank: int) -> str:
    return "the overall classifier" if rank == 0 else f"finding {rank}"


def _summary_line(concept: Concept) -> str:
    auroc = concept.calibration.get("held_out_auroc", float("nan"))
    return f"{concept.id:48s} AUROC {auroc:.2f}  {concept.name}"


def _cmd_list(args: argparse.Namespace) -> int:
    library = load_library(_library(args))
    for error in library.errors:
        print(f"tellapart: warning: {error}", file=sys.stderr)
    if not library.concepts:
        print(f"no concepts in {library.folder}")
    for concept in library.concepts:
        print(_summary_line(concept))
    return EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    try:
        concept = load_library(_library(args)).get(args.concept_id)
    except KeyError as exc:
        return _error(str(exc.args[0]))
    print(f"id:          {concept.id}")
    print(f"name:        {concept.name}")
    print(f"sentence:    {concept.sentence('A')}")
    print(f"floor:       {concept.floor:.4g}")
    print("calibration: " + ", ".join(f"{k} {v:g}" for k, v in concept.calibration.items()))
    for key in ("finding", "more_in", "report", "created", "tellapart_version"):
        if key in concept.provenance:
            print(f"{key + ':':12s} {concept.provenance[key]}")
    hashes = concept.provenance.get("image_hashes", {})
    print(f"images:      {len(hashes.get('positive', []))} showing it, "
          f"{len(hashes.get('negative', []))} of the other set")
    print("features:    " + ", ".join(f"{b.name} ({b.width})" for b in concept.blocks))
    print(f"describer:   {concept.describer_sha256[:16]}")
    print(f"examples:    {len(concept.examples)} thumbnails")
    if args.examples:
        from PIL import Image

        folder = Path(args.examples)
        folder.mkdir(parents=True, exist_ok=True)
        for k, thumbnail in enumerate(concept.examples):
            Image.fromarray(thumbnail).save(folder / f"{concept.id}_{k}.png")
        print(f"wrote {len(concept.examples)} example thumbnails to {folder}")
    return EXIT_OK


def _cmd_rename(args: argparse.Namespace) -> int:
    try:
        concept = rename_concept(_library(args), args.concept_id, args.name)
    except (ConceptError, FileNotFoundError) as exc:
        return _error(str(exc))
    print(f"renamed {concept.id}: {concept.name}")
    return EXIT_OK


def _cmd_remove(args: argparse.Namespace) -> int:
    try:
        remove_concept(_library(args), args.concept_id)
    except FileNotFoundError as exc:
        return _error(str(exc))
    refit_library(_library(args))  # the others no longer need to tell it apart
    print(f"removed {args.concept_id}")
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    library = _library(args)
    for concept_id in args.concept_ids:
        json_path, _ = concept_files(library, concept_id)
        if not json_path.is_file():
            return _error(f"no concept {concept_id!r} in {library}")
        try:
            copy_concept(json_path, args.to)
        except ConceptError as exc:
            return _error(str(exc))
        print(f"exported {concept_id} to {args.to}")
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    files: list[Path] = []
    for path in map(Path, args.paths):
        files += sorted(path.glob(f"*{JSON_SUFFIX}")) if path.is_dir() else [path]
    failed = 0
    for json_path in files:
        try:
            concept = copy_concept(json_path, _library(args))
        except (ConceptError, OSError) as exc:
            print(f"tellapart: error: {json_path}: {exc}; not imported", file=sys.stderr)
            failed += 1
            continue
        print(f"imported {concept.id}: {concept.name}")
    if len(files) > failed:
        refit_library(_library(args))  # every concept against the newcomers, and the reverse
    return EXIT_INPUT if failed or not files else EXIT_OK


_CONCEPT_ACTIONS = {"list": _cmd_list, "show": _cmd_show, "rename": _cmd_rename,
                    "remove": _cmd_remove, "export": _cmd_export, "import": _cmd_import}
