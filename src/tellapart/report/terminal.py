"""The terminal summary: a rich table of the top findings and one line about the rest."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..types import Finding, Report
from .text import (
    CONTRADICTED_LABEL,
    COUNTERFACTUAL_LABELS,
    HEADER_LABEL,
    explained_statement,
    finding_statement,
    fmt_auroc,
    fmt_p,
    fmt_share,
    order_note,
    overall_statement,
    skipped_line,
    states_refutation,
    summary_sentence,
    trained_difference_of,
    untestable_lines,
)


def yours_note(f: Finding) -> str:
    """" (yours)", plus the trained difference a typed wording was tested as, if any."""
    trained = trained_difference_of(f)
    return f" (yours; tested as the trained difference {trained})" if trained else " (yours)"


def finding_cell(f: Finding, inline_checks: bool = False) -> str:
    """The table's text for ``f``: its statement, "(yours)" and whether held-out images contradict it.

    Parameters
    ----------
    f : Finding
    inline_checks : bool, optional
        Also note its explained share and counterfactual check ("explains 45%;
        counterfactual check: confirmed"), for tables too narrow for their own columns.

    Returns
    -------
    str
    """
    notes = []
    if f.source == "header":
        notes.append(HEADER_LABEL)
    if f.acquisition_note:
        notes.append(f.acquisition_note)
    if f.user:
        notes.append(yours_note(f).strip()[1:-1])
    if f.contradicted:
        notes.append(CONTRADICTED_LABEL)
    side_effects = [str(r["description"]) for r in f.related
                    if r.get("side_effect") is True and r.get("significant") is True]
    if side_effects:  # significant, so named here and not only in the HTML and JSON
        notes.append("side effects listed under it: " + "; ".join(side_effects))
    if inline_checks and f.explained_share is not None:
        notes.append(f"explains {fmt_share(f.explained_share)}")
    checked = f.counterfactual.status != "not_checked"
    if inline_checks and checked and not states_refutation(f):  # a refutation is stated already
        notes.append(f"counterfactual check: {COUNTERFACTUAL_LABELS[f.counterfactual.status]}")
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


def _utf8(console: Console) -> bool:
    # Marks only where the output encoding can carry them (a cp1252 or ASCII pipe cannot).
    return console.encoding.lower().replace("-", "").startswith("utf")


_ASCII_FORMS = str.maketrans({"≥": ">=", "≤": "<=", "–": "-", "—": "-", "✓": "yes", "✗": "no"})


def printable(text: str, console: Console) -> str:
    """``text`` as ``console``'s output encoding can carry it.

    On a UTF-8 console it is unchanged; elsewhere (a cp1252 or ASCII pipe) the report's own
    symbols get ASCII forms ("≥" -> ">=", "–" -> "-") and anything else the encoding lacks
    becomes "?", so printing never fails.
    """
    if _utf8(console):
        return text
    encoding = console.encoding or "ascii"
    try:
        return text.translate(_ASCII_FORMS).encode(encoding, errors="replace").decode(encoding)
    except LookupError:  # an encoding Python does not know: plain ASCII is always safe
        return text.translate(_ASCII_FORMS).encode("ascii", errors="replace").decode("ascii")


def _check_mark(console: Console) -> str:
    return "✓" if _utf8(console) else "yes"


def counterfactual_cell(f: Finding, utf8: bool = True) -> Text:
    """The table's counterfactual column: "✓ confirmed", "✗ refuted" or "–" (not checked).

    Parameters
    ----------
    f : Finding
    utf8 : bool, optional
        Whether the console can print the marks; without them "confirmed", "refuted", "-".

    Returns
    -------
    rich.text.Text
    """
    status = f.counterfactual.status
    if status == "confirmed":
        return Text("✓ confirmed" if utf8 else "confirmed", style="green")
    if status == "refuted":
        return Text("✗ refuted" if utf8 else "refuted", style="bold red")
    return Text("–" if utf8 else "-")


def opening_lines(report: Report, images_below: bool = False) -> list[str]:
    """The report's opening: the global answer and how much of it the findings describe,
    then the findings' summary; without an overall test, the findings' summary alone.

    Parameters
    ----------
    report : Report
    images_below : bool, optional
        Passed to :func:`~tellapart.report.text.explained_statement` (False: the terminal
        shows no images, so it points to the HTML report).

    Returns
    -------
    list of str
    """
    if report.overall is None:
        return [summary_sentence(report)]
    lines = [overall_statement(report.overall, report.set_a.n_images, report.set_b.n_images,
                               n_significant=len(report.significant))]
    explained = explained_statement(report.overall, images_below=images_below)
    if explained:
        lines.append(explained)
    return [*lines, summary_sentence(report)]


def _has_overall_columns(report: Report) -> bool:
    """Whether the table shows the explained-share and counterfactual columns."""
    return report.overall is not None or any(
        f.explained_share is not None or f.counterfactual.status != "not_checked"
        for f in report.findings
    )


#: Narrower consoles note the explained share and counterfactual check in the finding's text.
MIN_WIDTH_FOR_CHECK_COLUMNS = 92


def _check_columns(report: Report, console: Console) -> bool:
    """Whether the table shows the explained-share and counterfactual columns."""
    return _has_overall_columns(report) and console.width >= MIN_WIDTH_FOR_CHECK_COLUMNS


def _findings_table(report: Report, shown: list[Finding], console: Console) -> Table:
    utf8 = _utf8(console)
    mark = _check_mark(console)
    extra = _check_columns(report, console)
    inline = _has_overall_columns(report) and not extra
    table = Table(show_header=True, header_style="bold", expand=False, pad_edge=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Finding", ratio=1, overflow="fold", min_width=12)
    table.add_column("More in", justify="center", no_wrap=True)
    table.add_column("AUROC [95% CI]", no_wrap=True)
    table.add_column("q", justify="right", no_wrap=True)
    table.add_column("Sig.", justify="center", no_wrap=True)
    if extra:
        table.add_column("Expl.", justify="right", no_wrap=True)
        table.add_column("Check", no_wrap=True)
    for f in shown:
        style = "dim" if not f.significant or f.negligible else ""
        cells = [
            Text(str(f.rank)),
            Text(printable(finding_cell(f, inline_checks=inline), console)),
            Text(f.more_in),
            Text(fmt_auroc(f)),
            Text(fmt_p(f.q_value)),
            Text(mark, style="bold green") if f.significant else Text(""),
        ]
        if extra:
            share = printable(fmt_share(f.explained_share), console)
            cells += [Text(share), counterfactual_cell(f, utf8)]
        table.add_row(*cells, style=style)
    return table


#: The legend under the table when it has the explained-share and counterfactual columns.
COLUMNS_NOTE = (
    "Expl.: share of what separates the sets that the finding's score accounts for. "
    "Check: counterfactual check of the words (making the named difference moves the other "
    "set toward the named one: confirmed; it does not: refuted)."
)


def print_table(report: Report, console: Console | None = None, top: int | None = None) -> None:
    """Print the opening sentences, a table of the top findings and a line on skipped files.

    The opening is the global answer (:func:`opening_lines`) when the report has an overall
    test, else the findings' summary sentence.

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
    for i, line in enumerate(opening_lines(report)):
        console.print(Text(printable(line, console), style="bold" if i == 0 else ""))
    if shown:
        console.print(_findings_table(report, shown, console))
        if _check_columns(report, console):
            console.print(Text(COLUMNS_NOTE, style="dim"))
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
