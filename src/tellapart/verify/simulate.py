"""Synthetic feature tables with a planted difference, to measure the verifier's power and calibration.

No images are involved: rows are fake :class:`ImageRecord` s and the features are
correlated Gaussian columns shaped like tellapart's measurements (one correlated
"brightness-like" group, a few looser groups, independent columns). Run
``python -m tellapart.verify.simulate`` for the power and null-calibration table.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import numpy as np

from ..config import Settings
from ..context import DataContext
from ..types import DecodedImage, FeatureTable, ImageRecord
from .verifier import HeldoutTest, Verifier

PLANTED_PREFIX = "bright_"


@dataclass(frozen=True)
class Planted:
    """A difference planted in set A's brightness-like group.

    Attributes
    ----------
    prevalence : float
        Fraction of set A's images affected (0 = no difference).
    shift : float
        Shift of the affected images, in standard deviations of the group's latent
        factor; negative darkens (lowers every ``bright_*`` column).
    """

    prevalence: float = 0.5
    shift: float = -3.0


@dataclass(frozen=True)
class TableShape:
    """Column structure of the synthetic table (35 columns by default)."""

    n_features: int = 35
    group_size: int = 6  # columns of the planted (brightness-like) group
    group_corr: float = 0.9  # correlation of any two columns of that group
    n_loose_groups: int = 4
    loose_group_size: int = 4
    loose_corr: float = 0.6


def fake_records(n_a: int, n_b: int) -> list[ImageRecord]:
    """Image records for ``n_a`` rows of set A then ``n_b`` of set B; no file exists."""
    records = []
    for set_name, count in (("A", n_a), ("B", n_b)):
        for i in range(count):
            records.append(
                ImageRecord(
                    path=f"/synthetic/{set_name}/img_{i:04d}.png",
                    set_name=set_name,
                    content_hash=f"{set_name}{i:063d}",
                    file_size=1000,
                    width=64,
                    height=64,
                    format="PNG",
                    mode="RGB",
                    bit_depth=8,
                )
            )
    return records


def synthetic_table(
    seed: int,
    n_a: int = 40,
    n_b: int = 40,
    planted: Planted | None = None,
    shape: TableShape = TableShape(),
) -> FeatureTable:
    """A feature table of correlated Gaussian columns, set A rows first.

    Columns ``bright_0 .. bright_{g-1}`` share one latent factor (pairwise correlation
    ``group_corr``); ``loose{k}_{j}`` columns share looser factors; ``indep_{j}`` are
    independent. ``planted`` shifts the brightness factor of a random subset of set A.
    """
    if shape.group_size + shape.n_loose_groups * shape.loose_group_size > shape.n_features:
        raise ValueError("the groups need more columns than n_features")
    rng = np.random.default_rng(seed)
    n = n_a + n_b
    latent = rng.standard_normal((n, 1 + shape.n_loose_groups))
    if planted is not None and planted.prevalence > 0:
        affected = rng.permutation(n_a)[: int(round(planted.prevalence * n_a))]
        latent[affected, 0] += planted.shift
    columns: list[np.ndarray] = []
    names: list[str] = []
    load = np.sqrt(shape.group_corr)
    for j in range(shape.group_size):
        columns.append(load * latent[:, 0] + np.sqrt(1 - load**2) * rng.standard_normal(n))
        names.append(f"{PLANTED_PREFIX}{j}")
    loose = np.sqrt(shape.loose_corr)
    for k in range(shape.n_loose_groups):
        for j in range(shape.loose_group_size):
            columns.append(
                loose * latent[:, 1 + k] + np.sqrt(1 - loose**2) * rng.standard_normal(n)
            )
            names.append(f"loose{k}_{j}")
    for j in range(shape.n_features - len(columns)):
        columns.append(rng.standard_normal(n))
        names.append(f"indep_{j}")
    return FeatureTable(
        records=fake_records(n_a, n_b), names=names, values=np.column_stack(columns)
    )


def _no_pixels(record: ImageRecord) -> DecodedImage:
    raise AssertionError(f"synthetic table: nothing may load pixels ({record.path})")


def synthetic_context(table: FeatureTable, settings: Settings) -> DataContext:
    """A DataContext over ``table`` whose image loader raises if anything calls it."""
    return DataContext(table=table, load=_no_pixels, settings=settings)


@dataclass
class StudyResult:
    """Outcome of :func:`detection_study` over many seeds."""

    n_runs: int
    detected: int  # runs where a planted concept ("bright_*:lower") was significant
    any_false: int  # runs with a significant finding that is not a planted concept
    any_significant: int
    false_discovery_proportions: list[float] = field(default_factory=list)  # one per run
    seconds: float = 0.0

    @property
    def detection_rate(self) -> float:
        return self.detected / self.n_runs

    @property
    def any_false_rate(self) -> float:
        return self.any_false / self.n_runs

    @property
    def any_significant_rate(self) -> float:
        return self.any_significant / self.n_runs

    @property
    def false_discovery_rate(self) -> float:
        """Mean over runs of (false significant) / (all significant), 0 when none."""
        return float(np.mean(self.false_discovery_proportions))


def _concept_is_planted(concept: str, planted: Planted | None) -> bool:
    if planted is None or planted.prevalence == 0 or not concept.startswith(PLANTED_PREFIX):
        return False
    return concept.endswith(":lower" if planted.shift < 0 else ":higher")


def detection_study(
    seeds: range,
    planted: Planted | None,
    *,
    n_a: int = 40,
    n_b: int = 40,
    settings: Settings | None = None,
    heldout_test: HeldoutTest = "rank-max",
    ranking: str = "rank-max",
    shape: TableShape = TableShape(),
) -> StudyResult:
    """Run the full verifier (measurement proposer and scorer) on one synthetic pair per seed.

    A run *detects* when any planted concept is significant, at top level or among a
    significant finding's related ones; a *false* finding is any other significant one.
    """
    import time

    from ..propose.measurement import MeasurementProposer
    from .measurement import MeasurementScorer

    base = settings or Settings()
    proposer = MeasurementProposer(
        ranking="mann-whitney" if ranking == "mann-whitney" else "rank-max"
    )
    scorer = MeasurementScorer()
    detected = any_false = any_sig = 0
    fdp: list[float] = []
    start = time.perf_counter()
    for seed in seeds:
        table = synthetic_table(seed, n_a, n_b, planted, shape)
        run_settings = Settings(**{**base.to_dict(), "seed": seed})
        ctx = synthetic_context(table, run_settings)
        result = Verifier(run_settings, heldout_test=heldout_test).run(ctx, [proposer], [scorer])
        significant: list[str] = []
        for finding in result.findings:
            if finding.significant:
                significant.append(finding.concept)
            significant.extend(r["concept"] for r in finding.related if r["significant"])
        detected += any(_concept_is_planted(c, planted) for c in significant)
        any_false += any(not _concept_is_planted(c, planted) for c in significant)
        any_sig += bool(significant)
        n_false = sum(not _concept_is_planted(c, planted) for c in significant)
        fdp.append(n_false / len(significant) if significant else 0.0)
    return StudyResult(
        n_runs=len(seeds),
        detected=detected,
        any_false=any_false,
        any_significant=any_sig,
        false_discovery_proportions=fdp,
        seconds=time.perf_counter() - start,
    )


def main(argv: list[str] | None = None) -> None:
    """Print detection rates by prevalence and the null false-positive rate."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100, help="seeds per condition")
    parser.add_argument("--null-runs", type=int, default=500)
    parser.add_argument("--shift", type=float, default=-3.0)
    parser.add_argument("--test", choices=["rank-max", "mann-whitney"], default="rank-max")
    parser.add_argument("--shortlist", type=int, default=8)
    args = parser.parse_args(argv)
    settings = Settings(shortlist=args.shortlist)
    for prevalence in (1.0, 0.5, 0.25):
        res = detection_study(
            range(args.runs),
            Planted(prevalence, args.shift),
            settings=settings,
            heldout_test=args.test,
            ranking=args.test,
        )
        print(
            f"prevalence {prevalence:4.2f} shift {args.shift:+.1f} SD: detected "
            f"{res.detected}/{res.n_runs} = {res.detection_rate:.2f}; runs with a false "
            f"finding {res.any_false_rate:.3f}; false discovery rate "
            f"{res.false_discovery_rate:.3f} ({res.seconds:.1f} s)"
        )
    null = detection_study(
        range(10_000, 10_000 + args.null_runs),
        None,
        settings=settings,
        heldout_test=args.test,
        ranking=args.test,
    )
    print(
        f"null: runs with any significant finding {null.any_significant}/{null.n_runs} = "
        f"{null.any_significant_rate:.3f} ({null.seconds:.1f} s)"
    )


if __name__ == "__main__":
    main()
