"""Tests of the cross-fitted verifier on synthetic feature tables (no images are ever loaded)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tellapart.config import Settings
from tellapart.context import DataContext
from tellapart.measure.words import MeasurementWords
from tellapart.propose.base import Proposer
from tellapart.propose.measurement import MeasurementProposer
from tellapart.types import Finding, Hypothesis
from tellapart.verify import MeasurementScorer, VerificationResult, verify
from tellapart.verify.simulate import Planted, synthetic_context, synthetic_table
from tellapart.verify.verifier import (
    Candidate,
    ClaimTest,
    Verifier,
    cross_fit_p_value,
    cross_fit_q_values,
    split_folds,
)

WORDS = {
    f"bright_{j}": MeasurementWords(f"bright_{j}", "are brighter", "are darker", ("bright", "dark"))
    for j in range(6)
}


def _run(
    seed: int, planted: Planted | None, *, proposers: bool = True, **settings_kw: object
) -> tuple[VerificationResult, DataContext]:
    settings = Settings(seed=seed, **settings_kw)  # type: ignore[arg-type]
    table = synthetic_table(seed, planted=planted)
    ctx = synthetic_context(table, settings)
    scorer = MeasurementScorer(words=WORDS)
    props: list[Proposer] = [MeasurementProposer(words=WORDS)] if proposers else []
    return verify(ctx, proposers=props, scorers=[scorer], settings=settings), ctx


def test_split_is_stratified_seeded_and_balanced() -> None:
    is_a = np.r_[np.ones(41, bool), np.zeros(40, bool)]
    folds = split_folds(is_a, seed=3)
    assert abs((folds[is_a] == 0).sum() - (folds[is_a] == 1).sum()) <= 1
    assert (folds[~is_a] == 0).sum() == 20
    np.testing.assert_array_equal(folds, split_folds(is_a, seed=3))
    assert not np.array_equal(folds, split_folds(is_a, seed=4))


def test_cross_fit_combination_values() -> None:
    assert cross_fit_p_value([0.01]) == 0.02
    assert cross_fit_p_value([0.3, 0.004]) == 0.008
    assert cross_fit_p_value([0.7]) == 1.0
    with pytest.raises(ValueError):
        cross_fit_p_value([])
    q = cross_fit_q_values({0: [0.01, 0.04, 0.03, 0.005], 1: [0.6]}, n_families=2)
    np.testing.assert_allclose(q[0], [0.04, 0.08, 0.08, 0.04])
    np.testing.assert_allclose(q[1], [1.0])


def test_planted_difference_in_half_of_set_a_is_found() -> None:
    result, ctx = _run(3, Planted(prevalence=0.5, shift=-3.0))
    top = result.findings[0]
    assert top.significant and top.rank == 1
    assert top.concept.startswith("bright_") and top.concept.endswith(":lower")
    assert top.more_in == "A" and top.description == "Set A images are darker than set B images"
    assert 0.5 < top.auroc <= 1.0 and top.auroc_ci[0] <= top.auroc <= top.auroc_ci[1]
    assert top.effect_size == pytest.approx(2 * top.auroc - 1)
    assert top.q_value <= 0.05 and top.p_value <= top.q_value
    # The other brightness-like columns are the same difference: grouped under it.
    related = {r["concept"] for r in top.related}
    assert related and all(c.startswith("bright_") for c in related)
    assert all(abs(r["correlation"]) >= 0.8 for r in top.related)
    assert not any(f.concept in related for f in result.findings)
    # Held-out images only, and example images of the right sets, most/least dark first.
    assert sum(top.n_test.values()) <= 80
    assert top.n_test == {"A": len(top.scores["A"]), "B": len(top.scores["B"])}
    assert all("/A/" in p for p in top.examples["A"]) and all("/B/" in p for p in top.examples["B"])
    assert len(top.examples["A"]) == 4 and len(top.counter_examples["B"]) == 4
    column = ctx.table.names.index(top.concept.split(":")[0])
    path_value = {r.path: ctx.table.values[i, column] for i, r in enumerate(ctx.table.records)}
    shown = [path_value[p] for p in top.examples["A"]]
    counter = [path_value[p] for p in top.counter_examples["A"]]
    assert max(shown) < min(counter)  # darkest images of A shown as examples


def test_ranking_order_and_ranks() -> None:
    result, _ = _run(5, Planted(prevalence=1.0, shift=-2.0))
    keys = [(not f.significant, f.q_value, -f.auroc) for f in result.findings]
    assert keys == sorted(keys)
    assert [f.rank for f in result.findings] == list(range(1, len(result.findings) + 1))
    assert result.n_tested == len(result.findings) + sum(len(f.related) for f in result.findings)
    assert result.info["n_families"] == 2
    assert set(result.info["shortlists"]) == {"0", "1"}
    assert all(len(s) <= 8 for s in result.info["shortlists"].values())


def test_no_difference_usually_nothing_significant() -> None:
    result, _ = _run(11, None)
    assert result.findings and not any(f.significant for f in result.findings)


def test_typed_hypotheses_are_tested_on_all_images() -> None:
    result, _ = _run(
        3,
        Planted(prevalence=0.5, shift=-3.0),
        hypotheses=[
            "set A images are darker",
            "darker",
            "set B images are darker",
            "purple unicorns",
        ],
    )
    # A typed claim may lead its group or sit under a proposed finding of the same difference.
    everything = {f.description: (f.q_value, f.significant) for f in result.findings}
    everything.update(
        {
            r["description"]: (r["q_value"], r["significant"])
            for f in result.findings
            for r in f.related
        }
    )
    one_sided = 'Set A images are darker than set B images (typed: "set A images are darker")'
    assert everything[one_sided][1]
    typed = [f for f in result.findings if f.user]
    assert typed and all(f.proposer == "user" and f.n_test == {"A": 40, "B": 40} for f in typed)
    assert len(result.untestable) == 1 and "purple unicorns" in result.untestable[0]
    # "darker" names no set: the data orient it toward set A.
    assert 'Set A images are darker than set B images (typed: "darker")' in everything
    # The opposite claim is tested, not supported, and stated the way the data lean.
    contradicted = [f for f in result.findings if f.contradicted and f.user]
    assert [f.description for f in contradicted] == [
        'Set A images are darker than set B images (typed: "set B images are darker")'
    ]
    assert not contradicted[0].significant and contradicted[0].auroc >= 0.5
    assert contradicted[0].more_in == "A" and contradicted[0].p_value > 0.5


def test_typed_hypotheses_without_proposers_use_one_family() -> None:
    result, _ = _run(
        3,
        Planted(prevalence=1.0, shift=-1.0),
        proposers=False,
        hypotheses=["set A images are darker"],
    )
    assert result.n_tested == 1 and result.info["n_families"] == 1
    finding = result.findings[0]
    assert finding.q_value == pytest.approx(finding.p_value)  # BH of one test, no doubling
    assert finding.significant


def test_nan_scores_are_dropped_and_counted() -> None:
    settings = Settings(seed=1, hypotheses=["set A images are darker"])
    table = synthetic_table(1, planted=Planted(1.0, -2.0))
    table.values[:10, 0] = np.nan
    ctx = synthetic_context(table, settings)
    result = Verifier(settings).run(
        ctx, [], [MeasurementScorer(words={"bright_0": WORDS["bright_0"]})]
    )
    finding = result.findings[0]
    assert finding.n_test == {"A": 30, "B": 40}
    assert result.info["nan_dropped"] == {"user:set A images are darker": 10}


def test_constant_scores_give_p_one() -> None:
    settings = Settings(seed=1, hypotheses=["set A images are darker"])
    table = synthetic_table(1)
    table.values[:, 0] = 0.25
    ctx = synthetic_context(table, settings)
    result = Verifier(settings).run(
        ctx, [], [MeasurementScorer(words={"bright_0": WORDS["bright_0"]})]
    )
    finding = result.findings[0]
    assert finding.p_value == 1.0 and finding.auroc == 0.5 and not finding.significant


def test_too_few_images_is_a_clear_error() -> None:
    settings = Settings()
    table = synthetic_table(0, n_a=3, n_b=40)
    with pytest.raises(ValueError, match="at least 4 usable images per set"):
        verify(
            synthetic_context(table, settings),
            proposers=[MeasurementProposer()],
            scorers=[MeasurementScorer()],
            settings=settings,
        )


class _BadScorer(MeasurementScorer):
    def score(self, hypothesis: Hypothesis, ctx: DataContext, rows: np.ndarray) -> np.ndarray:
        return np.zeros(3)


def test_scorer_returning_wrong_shape_is_an_error() -> None:
    settings = Settings()
    ctx = synthetic_context(synthetic_table(0), settings)
    with pytest.raises(ValueError, match="returned shape"):
        verify(ctx, proposers=[MeasurementProposer()], scorers=[_BadScorer()], settings=settings)


def test_unscorable_proposals_are_reported() -> None:
    class NamelessProposer(Proposer):
        name = "nameless"

        def propose(self, ctx: DataContext, rows: np.ndarray, k: int) -> list[Hypothesis]:
            return [Hypothesis("Set A images are odd than set B images", "odd", "A", self.name)]

    settings = Settings()
    ctx = synthetic_context(synthetic_table(0), settings)
    result = verify(
        ctx, proposers=[NamelessProposer()], scorers=[MeasurementScorer()], settings=settings
    )
    assert result.findings == [] and result.n_tested == 0
    assert result.info["unscorable_proposals"] == ["Set A images are odd than set B images"] * 2


def test_results_are_deterministic_given_the_seed() -> None:
    a, _ = _run(7, Planted(0.5, -3.0))
    b, _ = _run(7, Planted(0.5, -3.0))
    assert [replace(f, related=[]) for f in a.findings] == [
        replace(f, related=[]) for f in b.findings
    ]


def _finding(concept: str, auroc: float, significant: bool = True, more_in: str = "A") -> Finding:
    return Finding(rank=0, description=concept, concept=concept, more_in=more_in, auroc=auroc,
                   auroc_ci=(0.0, 1.0), p_value=0.001, q_value=0.001, significant=significant,
                   effect_size=2 * auroc - 1, proposer="test", scorer="test")


def _candidate(concept: str, scores: np.ndarray) -> Candidate:
    hyp = Hypothesis(description=concept, concept=concept, more_in="A", proposer="test")
    test = ClaimTest(hypothesis=hyp, family=(0,), rows=np.arange(scores.size))
    return Candidate(key=concept, scorer=MeasurementScorer(), tests=[test], user=False,
                      all_scores=scores)


def test_a_named_difference_leads_statistics_it_is_not_significantly_weaker_than() -> None:
    from tellapart import stats

    rng = np.random.default_rng(0)
    is_a = np.r_[np.ones(50, bool), np.zeros(50, bool)]
    edit = np.where(is_a, rng.normal(1.3, 1, 100), rng.normal(0, 1, 100))
    # a statistic the edit moves: a little higher AUROC by chance, not significantly
    side_effect = edit + rng.normal(0, 0.4, 100) + 0.15 * is_a
    strong = np.where(is_a, 6.0, 0.0) + rng.normal(0, 0.3, 100)  # a far stronger statistic
    scores = {"colour:higher": strong, "brightness:lower": side_effect, "diff:inverted:A": edit}
    keys = list(scores)
    findings = [_finding(k, stats.auroc(v[is_a], v[~is_a])) for k, v in scores.items()]
    cands = [_candidate(k, v) for k, v in scores.items()]
    assert findings[0].auroc > findings[1].auroc > findings[2].auroc  # the order by AUROC alone
    assert stats.paired_auroc_z(side_effect[is_a], side_effect[~is_a], edit[is_a], edit[~is_a]) < 1.645
    order = Verifier._named_differences_first([0, 1, 2], findings, cands, is_a)
    assert [keys[i] for i in order] == ["colour:higher", "diff:inverted:A", "brightness:lower"]
    # a named claim that is not significant, or a statistic that is a typed claim, stays put
    findings[2] = _finding("diff:inverted:A", findings[2].auroc, significant=False)
    assert Verifier._named_differences_first([0, 1, 2], findings, cands, is_a) == [0, 1, 2]
    findings[2] = _finding("diff:inverted:A", findings[2].auroc)
    findings[1].user = True
    assert Verifier._named_differences_first([0, 1, 2], findings, cands, is_a) == [0, 1, 2]


def test_a_trained_difference_leads_a_concept_that_leads_a_statistic() -> None:
    # Three claims about one edit, ordered by AUROC alone as a statistic, a learned concept and
    # a trained difference, none significantly stronger than the next: the trained difference
    # leads, then the concept, then the statistic (the concept's detector, fitted on one
    # comparison, also responds to differences it never saw).
    from tellapart import stats

    rng = np.random.default_rng(11)
    is_a = np.r_[np.ones(50, bool), np.zeros(50, bool)]
    edit = np.where(is_a, rng.normal(1.3, 1, 100), rng.normal(0, 1, 100))
    concept = edit + rng.normal(0, 0.2, 100) + 0.15 * is_a
    statistic = concept + rng.normal(0, 0.2, 100) + 0.15 * is_a
    scores = {"brightness:lower": statistic, "concept:have-white-dots-0f2fe95d:A": concept,
              "diff:inverted:A": edit}
    keys = list(scores)
    findings = [_finding(k, stats.auroc(v[is_a], v[~is_a])) for k, v in scores.items()]
    cands = [_candidate(k, v) for k, v in scores.items()]
    assert findings[0].auroc > findings[1].auroc > findings[2].auroc
    for i, j in ((0, 1), (1, 2), (0, 2)):
        x, y = scores[keys[i]], scores[keys[j]]
        assert stats.paired_auroc_z(x[is_a], x[~is_a], y[is_a], y[~is_a]) < 1.645
    order = Verifier._named_differences_first([0, 1, 2], findings, cands, is_a)
    assert [keys[i] for i in order] == ["diff:inverted:A", "concept:have-white-dots-0f2fe95d:A",
                                        "brightness:lower"]


def test_a_concept_its_presence_check_confirms_keeps_its_lead_over_a_trained_difference() -> None:
    # A concept separates the sets a little better than a trained difference, not
    # significantly. Refuted by its presence check (its detector responds to something else),
    # it follows the trained difference; confirmed (what it changed in its learning images,
    # added to set B, makes set B look like set A), it keeps the lead its AUROC gives it.
    from tellapart import stats
    from tellapart.types import Counterfactual

    rng = np.random.default_rng(8)
    is_a = np.r_[np.ones(50, bool), np.zeros(50, bool)]
    edit = np.where(is_a, rng.normal(1.3, 1, 100), rng.normal(0, 1, 100))
    concept = edit + rng.normal(0, 0.3, 100)
    scores = {"concept:have-white-dots-0f2fe95d:A": concept, "diff:inverted:A": edit}
    keys = list(scores)
    findings = [_finding(k, stats.auroc(v[is_a], v[~is_a])) for k, v in scores.items()]
    cands = [_candidate(k, v) for k, v in scores.items()]
    assert findings[0].auroc > findings[1].auroc
    assert stats.paired_auroc_z(concept[is_a], concept[~is_a], edit[is_a], edit[~is_a]) < 1.645
    findings[0].counterfactual = Counterfactual("refuted", 0.9, "responds to something else")
    order = Verifier._named_differences_first([0, 1], findings, cands, is_a)
    assert [keys[i] for i in order] == ["diff:inverted:A", "concept:have-white-dots-0f2fe95d:A"]
    findings[0].counterfactual = Counterfactual("confirmed", 1.0, "made them hard to tell apart")
    assert Verifier._named_differences_first([0, 1], findings, cands, is_a) == [0, 1]


def test_perfect_separations_are_ranked_by_how_far_apart_the_held_out_sets_are() -> None:
    # Both claims separate the held-out sets perfectly (AUROC 1, same q-value): the one whose
    # sets lie further apart (Cohen's d) leads and the other is grouped under it, whatever
    # the descriptions' alphabetical order.
    rng = np.random.default_rng(1)
    is_a = np.r_[np.ones(20, bool), np.zeros(20, bool)]
    near = np.where(is_a, 10.0, 0.0) + rng.uniform(0, 9, 40)
    far = np.where(is_a, 100.0, 0.0) + (near - np.where(is_a, 10.0, 0.0)) / 9  # same ranks
    scores = {"a near statistic": near, "z far statistic": far}
    findings = []
    for key, values in scores.items():
        finding = _finding(key, 1.0)
        finding.scores = {"A": list(values[is_a]), "B": list(values[~is_a])}
        findings.append(finding)
    candidates = {k: _candidate(k, v) for k, v in scores.items()}
    ranked = Verifier(Settings())._group_and_rank(findings, candidates, is_a)
    assert [f.concept for f in ranked] == ["z far statistic"]
    assert [r["concept"] for r in ranked[0].related] == ["a near statistic"]
    # Without held-out scores the tie falls back to the description.
    for finding in findings:
        finding.scores, finding.related = {"A": [], "B": []}, []
    ranked = Verifier(Settings())._group_and_rank(findings, candidates, is_a)
    assert [f.concept for f in ranked] == ["a near statistic"]


def test_a_floored_detector_off_its_floor_on_the_other_set_ranks_after_the_other_findings() -> None:
    from tellapart import stats

    # "Set B images have a grid pattern" at a higher AUROC than "set A images are blurrier",
    # but the grid detector is above its floor on most set-A images too: its shift is not
    # evidence of grids in B, so the statistic leads. With set A at the floor it leads itself.
    class FlooredScorer(MeasurementScorer):
        name = "floored-test"

        def floor_score(self, hypothesis: Hypothesis) -> float | None:
            return 0.0 if hypothesis.concept.startswith("diff:") else None

    rng = np.random.default_rng(2)
    is_a = np.r_[np.ones(30, bool), np.zeros(30, bool)]
    blur = np.where(is_a, 1.0, 0.0) + rng.normal(0, 1, 60)

    def ranked_with(grid_on_a: np.ndarray) -> list[str]:
        grid_on_b = rng.uniform(2.0, 4.0, 30)  # every set-B image well above the floor (0)
        grid = np.r_[grid_on_a, grid_on_b]
        findings, candidates = [], {}
        for key, values, more_in in (("blur:higher", blur, "A"), ("diff:grid:B", grid, "B")):
            pos = is_a if more_in == "A" else ~is_a
            finding = _finding(key, stats.auroc(values[pos], values[~pos]), more_in=more_in)
            finding.scores = {"A": list(values[is_a]), "B": list(values[~is_a])}
            cand = _candidate(key, values)
            cand.scorer = FlooredScorer()
            cand.reported = Hypothesis(description=key, concept=key, more_in=more_in, proposer="test")
            findings.append(finding)
            candidates[key] = cand
        assert findings[1].auroc > findings[0].auroc
        settings = Settings(group_threshold=1.01)  # keep both at top level
        last_ranked[:] = Verifier(settings)._group_and_rank(findings, candidates, is_a)
        return [f.concept for f in last_ranked]

    last_ranked: list[Finding] = []

    busy = rng.uniform(0.5, 3.0, 30)  # 30 of 30 set-A images above the floor
    assert ranked_with(busy) == ["blur:higher", "diff:grid:B"]
    assert "above its floor on 100% of set A's held-out images" in last_ranked[1].caveat
    assert last_ranked[0].caveat == ""
    at_rest = np.r_[np.zeros(24), rng.uniform(0.5, 3.0, 6)]  # 6 of 30 above it: at rest
    assert ranked_with(at_rest) == ["diff:grid:B", "blur:higher"]
    assert all(f.caveat == "" for f in last_ranked)
    at_rest[:10] = 1.0  # 16 of 30 (more than half) above it
    assert ranked_with(at_rest) == ["blur:higher", "diff:grid:B"]


def _side_effect_table(seed: int) -> tuple[DataContext, dict[str, MeasurementWords]]:
    """Three measurements: a shifted one, its noisy side effect, and an independent shift."""
    from tellapart.types import FeatureTable
    from tellapart.verify.simulate import fake_records

    rng = np.random.default_rng(seed)
    n = 60
    is_a = np.arange(2 * n) < n
    cause = rng.normal(size=2 * n) + 2.0 * is_a
    side = cause + rng.normal(scale=0.3, size=2 * n)  # |Spearman| with cause below 0.99
    other = rng.normal(size=2 * n) + 1.5 * is_a
    names = ["cause", "side", "other"]
    words = {name: MeasurementWords(name, "show more " + name, "show less " + name, (name,))
             for name in names}
    table = FeatureTable(fake_records(n, n), names, np.column_stack([cause, side, other]))
    return synthetic_context(table, Settings(seed=seed, group_threshold=0.99)), words


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_side_effect_is_listed_under_the_finding_that_accounts_for_it(seed: int) -> None:
    ctx, words = _side_effect_table(seed)
    result = Verifier(ctx.settings).run(
        ctx, [MeasurementProposer(words=words)], [MeasurementScorer(words=words)])
    top = {f.concept: f for f in result.findings if f.significant}
    assert "other:higher" in top  # an independent shift stays on top
    # the two that move together are one difference: whichever ranks first lists the other
    (lead,) = {"cause:higher", "side:higher"} & set(top)
    (follower,) = {"cause:higher", "side:higher"} - {lead}
    related = {r["concept"]: r for r in top[lead].related}
    assert related[follower]["side_effect"] is True
    assert related[follower]["significant"] is True  # significance is unchanged
    assert related[follower]["residual_p_value"] > ctx.settings.alpha
    ungrouped = Verifier(replace(ctx.settings, group_side_effects=False)).run(
        ctx, [MeasurementProposer(words=words)], [MeasurementScorer(words=words)])
    assert {"cause:higher", "side:higher"} <= {f.concept for f in ungrouped.findings if f.significant}
