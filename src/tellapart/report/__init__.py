"""Output stage: the JSON report, the self-contained HTML page and the terminal table.

Usage::

    from tellapart.report import write_json, write_html, print_table, write_scores
    write_json(report, "out/report.json")
    write_html(report, "out/report.html")
    print_table(report)
    write_scores(report.image_scores, "out/scores.csv")  # or .parquet (needs pyarrow)
"""

from __future__ import annotations

from .html import render_html, write_html
from .json_io import (
    report_from_json,
    report_json,
    report_json_text,
    to_strict_json,
    write_json,
)
from .scores import ScoresExportError, export_scores, write_scores
from .terminal import print_table
from .text import summary_sentence

__all__ = [
    "ScoresExportError",
    "export_scores",
    "print_table",
    "render_html",
    "report_from_json",
    "report_json",
    "report_json_text",
    "summary_sentence",
    "to_strict_json",
    "write_html",
    "write_json",
    "write_scores",
]
