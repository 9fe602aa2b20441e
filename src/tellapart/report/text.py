"""Numbers and sentences shared by the HTML page and the terminal table.

Both outputs must say the same thing in the same words, so the wording lives here once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ..propose.concepts import CONCEPT_PREFIX
from ..types import Finding, Overall, Report, trained_difference_id

DEFAULT_ALPHA = 0.05
#: How the reports flag a claim the held-out images lean against (``Finding.contradicted``).
CONTRADICTED_LABEL = "contradicted by held-out images"
#: How the reports flag a finding read from DICOM/NIfTI header attributes (``Finding.source``).
HEADER_LABEL = "from the file headers"
#: The HTML's longer word on where a header finding comes from.
HEADER_DETAIL = ("technical header attributes of the files (no patient data is read), "
                 "tested on held-out images like every claim")
#: How the reports flag a significant finding below the user's ``--min-effect``.
NEGLIGIBLE_LABEL = "significant but below the minimum effect: negligible"
#: Short labels of the counterfactual check (``Finding.counterfactual.status``).
COUNTERFACTUAL_LABELS = {
    "confirmed": "confirmed",
    "refuted": "refuted",
    "not_checked": "not checked",
}


def report_alpha(report: Report) -> float:
    """The FDR level the report was made with (``settings["alpha"]``, else 0.05)."""
    value = report.settings.get("alpha", DEFAULT_ALPHA)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"report setting alpha must be a number, got {value!r}") from None


def _is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_num(value: float | None, digits: int = 2) -> str:
    """A plain number with ``digits`` decimals; "n/a" for None/NaN."""
    if _is_missing(value):
        return "n/a"
    assert value is not None
    return f"{value:.{digits}f}"


def fmt_p(value: float | None) -> str:
    """A p- or q-value readable at a glance: 0.034, 0.0012, 3.1e-06; "n/a" when missing."""
    if _is_missing(value):
        return "n/a"
    assert value is not None
    if value == 0:
        return "0"
    if value >= 0.01:
        return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"
    if value >= 0.001:
        return f"{value:.4f}"
    return f"{value:.1e}"


def fmt_auroc(finding: Finding) -> str:
    """ "0.83 [0.76, 0.89]": AUROC with its 95% confidence interval."""
    ci = tuple(finding.auroc_ci or ())
    lo, hi = ci if len(ci) == 2 else (None, None)
    return f"{fmt_num(finding.auroc)} [{fmt_num(lo)}, {fmt_num(hi)}]"


def trained_difference_of(finding: Finding) -> str | None:
    """The trained difference a typed claim was tested as ("noise"; "text_watermark at the
    bottom-right" for a located claim), else None.

    The learned scorer reads a typed wording it recognises as one of the describer's
    trained differences and tests it with that difference's detector; the report says so.
    """
    trained = trained_difference_id(finding.concept) if finding.user else None
    return trained.replace("@", " at the ", 1) if trained else None


def fmt_seconds(seconds: float) -> str:
    """ "0.42 s", "12.3 s", "3 min 05 s"."""
    if _is_missing(seconds):
        return "n/a"
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def timing_summary(timing_s: Mapping[str, float], stages: bool = True) -> str:
    """ "total 12.3 s (load 1.20 s, measure 8.0 s)"; the total is summed when not given.

    Keys with a dot ("features.decode") are sub-steps of a stage; ``stages=False``
    leaves them out so the line stays short.
    """
    if not timing_s:
        return "not recorded"
    top_level = {k: v for k, v in timing_s.items() if k != "total" and "." not in k}
    total = timing_s.get("total")
    if total is None:
        total = sum(v for v in top_level.values() if not _is_missing(v))
    shown = {k: v for k, v in timing_s.items() if k != "total"} if stages else top_level
    parts = ", ".join(f"{k} {fmt_seconds(v)}" for k, v in shown.items())
    return f"total {fmt_seconds(total)}" + (f" ({parts})" if parts else "")


def fmt_setting(value: Any) -> str:
    """One setting value as short text (lists joined by commas, None as "default")."""
    if value is None:
        return "default"
    if value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt_setting(v) for v in value) if value else "none"
    return str(value)


def n_tested_text(n: int) -> str:
    return f"{n} hypothes{'is' if n == 1 else 'es'} tested"


def n_tested(report: Report) -> int:
    """How many hypotheses were tested on held-out images, related (grouped) ones included."""
    value = report.settings.get("n_tested_hypotheses")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return len(report.findings) + sum(len(f.related) for f in report.findings)


def summary_sentence(report: Report) -> str:
    """The one sentence that answers "do the sets differ?".

    "3 significant differences found (12 hypotheses tested on held-out images, ...)." or
    "No significant difference found at alpha=0.05: ...".
    """
    alpha = report_alpha(report)
    n_sig = len(report.significant)
    n_all = n_tested(report)
    if n_sig:
        noun = "difference" if n_sig == 1 else "differences"
        return (
            f"{n_sig} significant {noun} found "
            f"({n_tested_text(n_all)} on held-out images, false discovery rate alpha={alpha:g})."
        )
    if not report.findings:
        return f"No significant difference found at alpha={alpha:g}: no hypothesis could be tested."
    best = max(report.findings, key=lambda f: -1.0 if _is_missing(f.auroc) else f.auroc)
    return (
        f"No significant difference found at alpha={alpha:g}: none of the "
        f"{n_tested_text(n_all)} held up on held-out images "
        f"(strongest: AUROC {fmt_num(best.auroc)}, q = {fmt_p(best.q_value)})."
    )


def order_note(findings: list[Finding]) -> str | None:
    """Why a significant finding with a lower AUROC is listed first, when one is; else None.

    The verifier lists a claim naming a trained difference before image statistics that are
    not significantly stronger on the same images (``Verifier._named_differences_first``),
    and a claim whose detector is off its floor on the other set after the other significant
    findings (its ``caveat`` says why).
    """
    significant = [f for f in findings if f.significant]
    for f in significant:
        if f.caveat:
            return f"#{f.rank} is {f.caveat}."
    for i, f in enumerate(significant):
        named = trained_difference_id(f.concept) is not None
        if named and any(g.auroc > f.auroc for g in significant[i + 1:]):
            return (f"#{f.rank} names a difference the describer was trained on and comes before "
                    "image measurements whose AUROC is not significantly higher on the same "
                    "images: the change explains the measurements it moves.")
    return None


def not_tested_warning(claim: str, reason: str) -> str:
    """The report warning for a typed claim a scorer understood but refused to test."""
    return f"not tested: {claim!r}: {reason}"


def untestable_lines(report: Report) -> list[str]:
    """One line per typed claim that was not tested, with the reason when a scorer gave one.

    A scorer that understood a claim but refused it (the learned scorer on a wording about a
    two-way property) leaves its reason in the warnings (:func:`not_tested_warning`).
    """
    lines = []
    for claim in report.untestable_hypotheses:
        prefix = not_tested_warning(claim, "")
        reason = next((w[len(prefix):] for w in report.warnings if w.startswith(prefix)),
                      "no scorer understood it")
        lines.append(f"Not tested: {claim!r}: {reason}.")
    return lines


def skipped_line(report: Report) -> str:
    """ "3 files skipped (A: 1, B: 2); 2 warnings." for the end of the terminal output."""
    n_skip = len(report.skipped)
    by_set = {name: sum(1 for s in report.skipped if s.set_name == name) for name in ("A", "B")}
    n_warn = len(report.warnings)
    if n_skip:
        skip = (
            f"{n_skip} file{'' if n_skip == 1 else 's'} skipped "
            f"(A: {by_set['A']}, B: {by_set['B']})"
        )
    else:
        skip = "No files skipped"
    warn = f"{n_warn} warning{'' if n_warn == 1 else 's'}" if n_warn else "no warnings"
    tail = "; see the HTML or JSON report for details." if (n_skip or n_warn) else "."
    return f"{skip}; {warn}{tail}"


# ------------------------------------------------------------------------- stating findings

_MORE_TRUE_OF = re.compile(r"^(?P<claim>.*\S) \(more true of set (?P<set>[AB])\)$", re.DOTALL)
_TYPED = re.compile(r'^(?P<claim>.*\S) (?P<typed>\(typed: "(?P<text>.*)"\))$', re.DOTALL)
_SET_CLAIM = re.compile(r"^[Ss]et (?P<set>[AB]) images (?P<verb>\S+)(?: (?P<next>\S+))?")
_SET_NAME = re.compile(r"\b([Ss]et) ([AB])\b")
# Verbs a short answer repeats ("set B's are", "set B's can"); any other verb takes "do".
_REPEATED_VERBS = {
    "are": "are", "is": "are", "were": "were", "was": "were", "can": "can", "could": "could",
    "will": "will", "would": "would", "should": "should", "may": "may", "might": "might",
    "must": "must",
}


def _other_set(name: str) -> str:
    return "B" if name == "A" else "A"


def _swap_sets(sentence: str) -> str:
    """ "Set B images are darker than set A images" with the two sets exchanged."""
    return _SET_NAME.sub(lambda m: f"{m.group(1)} {_other_set(m.group(2))}", sentence)


def _split_typed(description: str, keep: bool = False) -> tuple[str, str]:
    """(claim, ' (typed: "...")' or ""); unless ``keep``, a note that only repeats the claim is dropped."""
    m = _TYPED.match(description)
    if not m:
        return description, ""
    claim, text = m.group("claim"), m.group("text")
    if keep:
        return claim, " " + m.group("typed")

    def norm(s: str) -> str:
        return " ".join(s.lower().rstrip(" .!").split())

    return claim, "" if norm(text) == norm(claim) else " " + m.group("typed")


def _lower_set(claim: str) -> str:
    """ "Set A images ..." as it reads inside a sentence: "set A images ..."."""
    return "s" + claim[1:] if _SET_CLAIM.match(claim) and claim[0] == "S" else claim


def _short_answer(claim: str, lean: str) -> str | None:
    """ "set B's are" for a claim "Set A images are ...", leaning to B; None for other claims."""
    m = _SET_CLAIM.match(claim)
    if not m or m.group("set") == lean:
        return None
    verb = m.group("verb").lower()
    if verb in _REPEATED_VERBS:
        verb = _REPEATED_VERBS[verb]
    elif verb in ("have", "has") and (m.group("next") or "").lower() == "been":
        verb = "have"
    else:
        verb = "do"
    return f"set {lean}'s {verb}"


def _contradicted_claim(description: str, more_in: str | None) -> tuple[str, str | None]:
    """The claim as it was made, and the set the held-out images lean to (None when unknown).

    A contradicted finding is reported in the direction the held-out images show: either the
    claim with " (more true of set B)" appended, or the claim reworded toward that set
    ("Set B images are darker than set A images"), which names the two sets the other way.
    """
    m = _MORE_TRUE_OF.match(description)
    if m:
        return m.group("claim"), m.group("set")
    claim, _ = _split_typed(description, keep=True)
    s = _SET_CLAIM.match(claim)
    if more_in in ("A", "B") and s:
        names_other = re.search(rf"\bset {_other_set(more_in)}\b", claim[1:], re.IGNORECASE)
        if s.group("set") == more_in and names_other:
            return _swap_sets(claim) + description[len(claim):], more_in
        if s.group("set") != more_in:
            return description, more_in
    return description, None


def claim_statement(
    description: str,
    *,
    significant: bool,
    contradicted: bool = False,
    more_in: str | None = None,
) -> str:
    """A claim as the report may state it: true whether or not the held-out images bore it out.

    Parameters
    ----------
    description : str
        The claim's sentence (``Finding.description``).
    significant : bool
        Whether it held up on held-out images; a significant claim is stated as it is.
    contradicted : bool, optional
        Whether the held-out images leaned the other way (``Finding.contradicted``).
    more_in : str, optional
        The set the held-out images lean to ("A" or "B"), used to state a contradicted claim.

    Returns
    -------
    str
        The description when significant; "No evidence that set A images are darker than
        set B images" when not; "No evidence that set A images are brighter than set B
        images; if anything, set B's are" when contradicted. Claims in other words get
        "Not supported: <claim>", with "(the held-out images lean the other way)" when
        contradicted.
    """
    if significant:
        return description
    if contradicted:
        original, lean = _contradicted_claim(description, more_in)
        claim, typed = _split_typed(original)
        answer = _short_answer(claim, lean) if lean else None
        if answer is None:
            return f"Not supported: {claim}{typed} (the held-out images lean the other way)"
        return f"No evidence that {_lower_set(claim)}{typed}; if anything, {answer}"
    m = _MORE_TRUE_OF.match(description)
    if m:  # a claim naming no set, oriented the way the held-out images lean
        claim, typed = _split_typed(m.group("claim"))
        return (f"No evidence of a difference: {claim}{typed} "
                f"(if anything, more true of set {m.group('set')})")
    claim, typed = _split_typed(description)
    if _SET_CLAIM.match(claim):
        return f"No evidence that {_lower_set(claim)}{typed}"
    return f"Not supported: {claim}{typed}"


def detector_name(concept: str) -> str | None:
    """The trained difference a ``"diff:..."`` concept names, in words ("upside down",
    "text watermark at the bottom right"); None for any other concept."""
    trained = trained_difference_id(concept)
    if not trained:
        return None
    name, _, place = trained.partition("@")
    words = name.replace("_", " ")
    return f"{words} at the {place.replace('_', ' ')}" if place else words


def refuted_statement(description: str, concept: str, more_in: str) -> str:
    """A significant claim whose counterfactual check refuted its words, stated truthfully.

    The score differs between the sets (that much was proved on held-out images), but making
    the named difference does not move the other set toward ``more_in``: what the detector
    responds to is something else.

    Parameters
    ----------
    description : str
        The claim as tested ("Set A images are upside down").
    concept : str
        Its concept ("diff:upside_down:A"), which names the detector.
    more_in : str
        The set whose held-out images score higher.

    Returns
    -------
    str
        E.g. 'Set A images score higher on tellapart's "upside down" detector, but making
        that change does not reproduce the difference: no evidence that set A images are
        upside down (counterfactual check)'.
    """
    name = detector_name(concept)
    detector = f"tellapart's \"{name}\" detector" if name else "this claim's detector"
    change = "making that change does"
    if concept.startswith(CONCEPT_PREFIX):
        detector = "the learned concept's detector"
        change = "what the concept changed in the images it was learned from does"
    claim, typed = _split_typed(description)
    if _SET_CLAIM.match(claim):
        verdict = f"no evidence that {_lower_set(claim)}{typed}"
    else:
        verdict = f'the claim "{claim}"{typed} is not supported'
    return (f"Set {more_in} images score higher on {detector}, but {change} not reproduce "
            f"the difference: {verdict} (counterfactual check)")


def states_refutation(finding: Finding) -> bool:
    """Whether :func:`finding_statement` states ``finding`` as a refuted claim: significant,
    not contradicted, and its counterfactual check refuted the words."""
    refuted = finding.counterfactual.status == "refuted"
    return finding.significant and refuted and not finding.contradicted


def finding_statement(finding: Finding) -> str:
    """How the report states ``finding``: :func:`claim_statement` of its description.

    Parameters
    ----------
    finding : Finding

    Returns
    -------
    str
        The description itself when significant, else a sentence that says the claim
        was not supported (and, when contradicted, which way the held-out images lean).
        A significant claim whose counterfactual check refuted it is stated as the score
        difference it is (:func:`refuted_statement`); a negligible one (below the user's
        minimum effect) ends with "(significant but below the minimum effect: negligible)".
        ``Finding.description`` is unchanged: it stays the claim as tested.
    """
    if states_refutation(finding):
        text = refuted_statement(finding.description, finding.concept, finding.more_in)
    else:
        text = claim_statement(
            finding.description,
            significant=finding.significant,
            contradicted=finding.contradicted,
            more_in=finding.more_in,
        )
    if finding.significant and finding.negligible:
        text += f" ({NEGLIGIBLE_LABEL})"
    return text


# ------------------------------------------------------------------------ the global answer


def fmt_share(share: float | None) -> str:
    """A share of the separability as a percentage rounded to 5 %: "45%"; "–" when missing.

    Shares are clipped to [0, 1] first (a joint fit may slightly exceed the global one).
    """
    percent = _percent(share)
    return "–" if percent is None else f"{percent}%"


def _percent(share: float | None) -> int | None:
    """``share`` in whole percent rounded to 5 (clipped to 0-100), None when missing."""
    if _is_missing(share):
        return None
    assert share is not None
    return int(round(min(1.0, max(0.0, share)) * 20) * 5)


def fmt_overall_auroc(overall: Overall) -> str:
    """ "0.93 [0.88, 0.97]": the global classifier's held-out AUROC with its 95% CI."""
    ci = tuple(overall.auroc_ci or ())
    lo, hi = ci if len(ci) == 2 else (None, None)
    return f"{fmt_num(overall.auroc)} [{fmt_num(lo)}, {fmt_num(hi)}]"


def overall_statement(overall: Overall, n_a: int, n_b: int, n_significant: int = 0) -> str:
    """The report's first sentence: do the sets differ at all (the global two-sample test)?

    Parameters
    ----------
    overall : Overall
        The cross-fitted global test.
    n_a, n_b : int
        Usable images in set A and set B (for the power statement).
    n_significant : int, optional
        Significant findings in the report. When the global test finds no difference but a
        finding does, the sentence says so instead of "No difference detected".

    Returns
    -------
    str
        "The sets differ: a classifier tells them apart on held-out images with AUROC 0.93
        [0.88, 0.97] (p = 0.0010)." or "No difference detected (held-out AUROC 0.54 [0.45,
        0.63], p = 0.31). At this size (40 + 40 images) a difference that a classifier
        separates with held-out AUROC ≥ 0.68 would have been found 80% of the time."
    """
    numbers = f"AUROC {fmt_overall_auroc(overall)}"
    if overall.differ:
        return (f"The sets differ: a classifier tells them apart on held-out images with "
                f"{numbers} (p = {fmt_p(overall.p_value)}).")
    held_out = f"held-out {numbers}, p = {fmt_p(overall.p_value)}"
    if n_significant:
        noun = "finding below is" if n_significant == 1 else "findings below are"
        return (f"A classifier on all features does not tell the sets apart ({held_out}), "
                f"but {n_significant} specific {noun} significant.")
    text = f"No difference detected ({held_out})."
    size = f"At this size ({n_a} + {n_b} images)"
    detectable = overall.detectable_auroc_at_80_power
    if _is_missing(detectable):
        return text
    if detectable >= 0.995:
        return (f"{text} {size} even sets that a classifier separates perfectly would be told "
                f"apart less than 80% of the time.")
    return (f"{text} {size} a difference that a classifier separates with held-out AUROC "
            f"≥ {fmt_num(detectable)} would have been found 80% of the time.")


def explained_statement(overall: Overall, images_below: bool = True) -> str | None:
    """How much of the difference the findings describe; None when the sets do not differ.

    Parameters
    ----------
    overall : Overall
    images_below : bool, optional
        Whether the "look here" images follow (the HTML page); the terminal, which shows no
        images, points to the HTML report instead.

    Returns
    -------
    str or None
        "The findings below describe about 70% of what separates the sets; about 30% is not
        described (see the images below)." (rounded to 5 %), or, without a significant
        finding, "No finding describes it: see the images below where the sets differ most."
        The pointer to the images is left out when ``overall.look_here`` has none; when
        what the findings leave does not separate the sets by itself
        (``overall.unexplained_differ`` False), the sentence says so with its held-out
        AUROC and p-value instead.
    """
    if not overall.differ:
        return None
    has_images = any(overall.look_here.get(name) for name in ("A", "B"))
    where = "the images below" if images_below else "the HTML report's images"
    percent = _percent(overall.explained_share)
    if percent is None:
        if not has_images:
            return "No finding describes it."
        return f"No finding describes it: see {where} where the sets differ most."
    if percent >= 100:
        return "The findings below describe nearly all (over 95%) of what separates the sets."
    if percent <= 0:
        text = ("The findings below describe almost none (under 5%) of what separates the "
                "sets; the rest is not described")
    else:
        text = (f"The findings below describe about {percent}% of what separates the sets; "
                f"about {100 - percent}% is not described")
    if has_images:
        return f"{text} (see {where})."
    if overall.unexplained_differ is False:
        return (f"{text}, but on its own it does not separate the sets on held-out images "
                f"(AUROC {fmt_num(overall.unexplained_auroc)}, "
                f"p = {fmt_p(overall.unexplained_p_value)}).")
    return f"{text}."
