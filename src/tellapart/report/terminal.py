"""The terminal summary: a rich table of the top findings and one line about the rest."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..types import Finding, Report
from .text import (
    CONTRADICTED_LABEL,
    finding_statement,
    fmt_auroc,
    fmt_p,
    order_note,
    skipped_line,
    summary_sentence,
    trained_difference_of,
    untestable_lines,
)


def yours_note(f: Finding) -> str:
    """" (yours)", plus the trained difference a typed wording was tested as, if any."""
    trained = trained_difference_of(f)
    return f" (yours; tested as the trained difference {trained})" if trained else " (yours)"


def finding_cell(f: Finding) -> str:
    """The table's text for ``f``: its statement, "(yours)" and whether held-out images contradict it."""
    notes = []
    if f.user:
        notes.append(yours_note(f).strip()[1:-1])
    if f.contradicted:
        notes.append(CONTRADICTED_LABEL)
    return finding_statement(f) + (f" ({'; '.join(notes)})" if notes else "")


def _top(report: Report, top: int | None) -> int:
    if top is None:
        top = report.settings.get("top")
    if top is None:
        return len(report.findings)
    if isinstance(top, bool) or not isinstance(top, int):
        raise ValueError(f"top must be a whole number of findings, got {top!r}")
    # 0 or less means "no limit", as for the setting.
    return len(report.findings) if top <= 0 else top


def _check_mark(console: Console) -> str:
    # A check mark only where the output encoding can carry it (a cp1252 or ASCII pipe cannot).
    return "✓" if console.encoding.lower().replace("-", "").startswith("utf") else "yes"


def print_table(report: Report, console: Console | None = None, top: int | None = None) -> None:
    """Print the summary sentence, a table of the top findings and a line on skipped files.

    Parameters
    ----------
    report : Report
    console : rich.console.Console, optional
        Where to print; a new stdout console when None. Narrow and non-terminal
        consoles are fine: long descriptions wrap.
    top : int, optional
        How many findings to list (rank order, significant first); default
        ``report.settings["top"]``, else all. 0 or less lists all.
    """
    console = console or Console()
    n_show = _top(report, top)
    shown = report.findings[:n_show]
    # Text objects, not markup strings: descriptions and paths may contain "[...]".
    console.print(Text(summary_sentence(report), style="bold"))
    if shown:
        mark = _check_mark(console)
        table = Table(show_header=True, header_style="bold", expand=False, pad_edge=True)
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("Finding", ratio=1, overflow="fold", min_width=12)
        table.add_column("More in", justify="center", no_wrap=True)
        table.add_column("AUROC [95% CI]", no_wrap=True)
        table.add_column("q", justify="right", no_wrap=True)
        table.add_column("Sig.", justify="center", no_wrap=True)
        for f in shown:
            style = "" if f.significant else "dim"
            table.add_row(
                Text(str(f.rank)),
                Text(finding_cell(f)),
                Text(f.more_in),
                Text(fmt_auroc(f)),
                Text(fmt_p(f.q_value)),
                Text(mark, style="bold green") if f.significant else Text(""),
                style=style,
            )
        console.print(table)
        note = order_note(shown)
        if note:
            console.print(Text(note))
        if n_show < len(report.findings):
            console.print(
                Text(
                    f"Showing {n_show} of {len(report.findings)} tested findings; "
                    "the HTML and JSON reports list all."
                )
            )
    for line in untestable_lines(report):
        console.print(Text(line))
    console.print(Text(skipped_line(report)))
