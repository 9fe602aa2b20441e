"""Plot the reward curves of an RLOO run (``OUT/rloo_log.jsonl`` of ``tellapart train --rloo``).

Usage::

    python benchmarks/rloo_plot.py --log out/rloo/r1/rloo_log.jsonl --png docs/rloo_reward.png
    python benchmarks/rloo_plot.py --log out/rloo/r1/rloo_log.jsonl --csv docs/rloo_reward.csv

One panel: the mean reward per logged window, its parts (held-out separation of the claims
on tasks with a true difference, the share of samples naming a true difference in the right
set, the separation shown on null tasks) and the duplicate rate. ``--csv`` writes the same
columns as a small table.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

COLUMNS = ("reward", "separation", "true_rate", "null_separation", "dup_rate", "invalid_rate", "kl")
LABELS = {
    "reward": "mean reward",
    "separation": "held-out separation 2·AUROC−1 (tasks with a difference)",
    "true_rate": "samples naming a true difference (right set, not a repeat)",
    "null_separation": "separation shown on null tasks (penalised)",
    "dup_rate": "repeats within the k samples",
}


def read_log(path: Path) -> list[dict[str, float]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def smooth(values: list[float | None], width: int) -> list[float]:
    """Trailing mean over the last ``width`` logged windows (missing values skipped)."""
    out = []
    for i in range(len(values)):
        window = [v for v in values[max(0, i - width + 1):i + 1] if v is not None]
        out.append(sum(window) / len(window) if window else float("nan"))
    return out


def plot(rows: list[dict[str, float]], png: Path, width: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["step"] for r in rows]
    fig, ax = plt.subplots(figsize=(7.0, 3.6), dpi=100)
    for key, label in LABELS.items():
        ax.plot(steps, smooth([r.get(key) for r in rows], width), label=label, linewidth=1.4)
    ax.axhline(0.0, color="grey", linewidth=0.6)
    ax.set_xlabel("RLOO step")
    ax.set_title(f"RLOO reward curves (trailing mean of {width} logged windows)", fontsize=10)
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    plt.close(fig)


def write_csv(rows: list[dict[str, float]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["step", *COLUMNS])
        for r in rows:
            writer.writerow([r["step"], *("" if r.get(c) is None else f"{r[c]:.4f}" for c in COLUMNS)])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--log", required=True, help="rloo_log.jsonl of a run")
    p.add_argument("--png", help="write the figure here")
    p.add_argument("--csv", help="write the logged columns here")
    p.add_argument("--smooth", type=int, default=5, help="logged windows per trailing mean")
    args = p.parse_args(argv)
    rows = read_log(Path(args.log))
    if not rows:
        raise SystemExit(f"{args.log} has no logged steps")
    if args.png:
        plot(rows, Path(args.png), max(1, args.smooth))
    if args.csv:
        write_csv(rows, Path(args.csv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
