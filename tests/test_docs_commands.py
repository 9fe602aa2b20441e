"""Every command the docs quote exists and accepts the options it is quoted with.

The docs (README.md, BENCHMARKS.md, the describer's model card, docs/experiments/*.md,
docs/backends.md) put each
figure next to the command that regenerates it. This test extracts every quoted command that
starts with ``tellapart``/``.venv/bin/tellapart`` or ``python benchmarks/...``/``.venv/bin/python
benchmarks/...`` (docs/*.md too; inline code spans and fenced code blocks; a leading ``VAR=value`` is ignored)
and checks that the benchmark script exists, that its sub-command exists, and that every
``--flag`` appears in the ``--help`` of the CLI or script (for a sub-command, ``SCRIPT SUB
--help``, nested sub-commands followed). Help texts are cached per (program, sub-command).
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [
    ROOT / "README.md",
    ROOT / "BENCHMARKS.md",
    ROOT / "src" / "tellapart" / "data" / "describer" / "MODEL_CARD.md",
    ROOT / "docs" / "ray.md",
    *sorted((ROOT / "docs" / "experiments").glob("*.md")),
    *sorted((ROOT / "docs").glob("*.md")),  # backends, peers, ray
]
CLI_PREFIXES = ("tellapart ", ".venv/bin/tellapart ")
SCRIPT_PREFIXES = ("python benchmarks/", "python3 benchmarks/", ".venv/bin/python benchmarks/",
                   ".venv/bin/python3 benchmarks/")
HELP_TIMEOUT_S = 180  # importing a benchmark script can be slow on a busy machine

_FENCE = re.compile(r"^\s*(```|~~~)")
_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_SEPARATOR = re.compile(r"\s*(?:;|&&|\|\||\s\|\s)\s*")
_LEAD = re.compile(r"^(?:\$\s+|do\s+|then\s+|else\s+)")
_ENV = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)+")
_COMMENT = re.compile(r"\s+#.*$")
_FLAG = re.compile(r"--[A-Za-z0-9][A-Za-z0-9_-]*")
# a sub-command group in a usage line: "{compare,demo,...} ..." (an option's choices have no "...")
_CHOICES = re.compile(r"\{([A-Za-z0-9_,-]+)\}\s+\.\.\.")


def quoted_texts(markdown: str) -> list[str]:
    """The contents of every inline code span and every logical line of every fenced block.

    In a fenced block, the line after one ending in a backslash continues it, and so does an
    indented line that starts with ``[`` or ``-`` (usage synopses).
    """
    texts: list[str] = []
    prose: list[str] = []
    block: list[str] | None = None
    for line in markdown.splitlines():
        if _FENCE.match(line):
            if block is None:
                texts.extend(m.group(2) for m in _SPAN.finditer("\n".join(prose)))
                prose = []
                block = []
            else:
                texts.extend(block)
                block = None
            continue
        if block is None:
            prose.append(line)
        elif block and (block[-1].endswith("\\")
                        or (line[:1].isspace() and line.lstrip().startswith(("[", "-")))):
            block[-1] = block[-1].rstrip("\\").rstrip() + " " + line.strip()
        else:
            block.append(line)
    texts.extend(m.group(2) for m in _SPAN.finditer("\n".join(prose)))
    if block:
        texts.extend(block)
    return [" ".join(t.split()) for t in texts if t.strip()]


def commands_in(text: str) -> list[str]:
    """Commands in one quoted text that start with a tellapart or benchmark-script prefix."""
    out = []
    for part in _SEPARATOR.split(_COMMENT.sub("", text)):
        part = _ENV.sub("", _LEAD.sub("", part.strip()))
        if part.startswith(CLI_PREFIXES + SCRIPT_PREFIXES):
            out.append(part)
    return out


def doc_commands(path: Path) -> list[str]:
    return [c for text in quoted_texts(path.read_text(encoding="utf-8")) for c in commands_in(text)]


def _tokens(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


@functools.cache
def help_text(program: tuple[str, ...], subs: tuple[str, ...] = ()) -> tuple[int, str]:
    """(exit code, stdout + stderr) of ``PROGRAM [SUB ...] --help``, run from the repository root."""
    argv = [sys.executable, *program, *subs, "--help"]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=HELP_TIMEOUT_S,
                          env={**os.environ, "COLUMNS": "200"})
    return proc.returncode, proc.stdout + proc.stderr


def check_command(command: str) -> list[str]:
    """Problems with one quoted command: a missing script, an unknown sub-command or flag.

    Sub-commands nest (``tellapart concepts export``): each word the usage line offers as a
    sub-command is followed into its own ``--help``."""
    tokens = _tokens(command)
    if command.startswith(CLI_PREFIXES):
        program: tuple[str, ...] = ("-m", "tellapart")
        args = tokens[1:]
    else:
        script = tokens[1]
        if not (ROOT / script).is_file():
            return [f"{script} does not exist"]
        program = (script,)
        args = tokens[2:]
    subs: tuple[str, ...] = ()
    while True:
        code, text = help_text(program, subs)
        if code != 0:
            return [f"`{' '.join((*program, *subs))} --help` failed ({code}): {text[-500:]}"]
        choices = _CHOICES.search(text.split("\n\n")[0])  # the usage line's sub-command group
        rest = args[len(subs):]
        if not (choices and rest and not rest[0].startswith("-")):
            break
        if rest[0] not in choices.group(1).split(","):
            return [f"unknown sub-command {rest[0]!r} (has: {choices.group(1)})"]
        subs = (*subs, rest[0])
    where = f" of {' '.join(subs)}" if subs else ""
    problems = []
    for token in args:
        flag = _FLAG.match(token.lstrip("["))
        if flag and not re.search(rf"(?<![\w-]){re.escape(flag.group(0))}(?![\w-])", text):
            problems.append(f"unknown option {flag.group(0)}{where}")
    return problems


def _problems(kind: tuple[str, ...]) -> list[str]:
    out = []
    for doc in DOCS:
        for command in doc_commands(doc):
            if command.startswith(kind):
                out.extend(f"{doc.relative_to(ROOT)}: `{command}`: {p}" for p in check_command(command))
    return out


def test_the_docs_exist_and_quote_commands() -> None:
    for doc in DOCS[:3]:
        assert doc.is_file(), doc
    commands = [c for doc in DOCS for c in doc_commands(doc)]
    assert sum(c.startswith(CLI_PREFIXES) for c in commands) >= 5
    assert sum(c.startswith(SCRIPT_PREFIXES) for c in commands) >= 5


def test_cli_commands_in_the_docs_run_as_written() -> None:
    problems = _problems(CLI_PREFIXES)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_benchmark_commands_in_the_docs_run_as_written() -> None:
    problems = _problems(SCRIPT_PREFIXES)
    assert not problems, "\n".join(problems)


def test_benchmark_scripts_named_in_the_docs_exist() -> None:
    missing = [f"{doc.relative_to(ROOT)}: {name}"
               for doc in DOCS
               for name in sorted(set(re.findall(r"benchmarks/[A-Za-z0-9_]+\.py", doc.read_text(encoding="utf-8"))))
               if not (ROOT / name).is_file()]
    assert not missing, "\n".join(missing)


def test_extraction_finds_spans_blocks_loops_and_env_prefixes() -> None:
    markdown = "\n".join([
        "Run `tellapart bench --suite easy\n--out out/b` or `tellapart.compare(a, b)`.",
        "```",
        "$ .venv/bin/tellapart compare a b --alpha 0.1 \\",
        "    --seed 3",
        "tellapart compare A B [--out DIR]",
        "                      [--top 10]",
        "for s in 64 128; do .venv/bin/python benchmarks/x.py run --size $s; done",
        "TELLAPART_DESCRIBER=out/w tellapart bench --quiet  # a comment --not-a-flag",
        "```",
        "and `.venv/bin/pip install thing`.",
    ])
    assert [c for t in quoted_texts(markdown) for c in commands_in(t)] == [
        "tellapart bench --suite easy --out out/b",
        ".venv/bin/tellapart compare a b --alpha 0.1 --seed 3",
        "tellapart compare A B [--out DIR] [--top 10]",
        ".venv/bin/python benchmarks/x.py run --size $s",
        "tellapart bench --quiet",
    ]


def test_a_wrong_command_fails_the_check() -> None:
    assert any("--alpah" in p for p in check_command("tellapart compare a b --alpah 0.1"))
    assert any("comapre" in p for p in check_command("tellapart comapre a b"))
    assert check_command(".venv/bin/python benchmarks/no_such_script.py run") == [
        "benchmarks/no_such_script.py does not exist"]
    assert check_command("tellapart compare a b [--alpha 0.1] --whole-images-only") == []


@pytest.mark.slow
def test_a_wrong_script_option_fails_the_check() -> None:
    assert any("--sedes" in p for p in check_command(
        ".venv/bin/python benchmarks/compare_experiments.py power --sedes 3"))
    assert any("powr" in p for p in check_command(
        ".venv/bin/python benchmarks/compare_experiments.py powr"))
