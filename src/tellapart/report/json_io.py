"""The JSON report: strict JSON out (NaN becomes null), a :class:`Report` back in."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

import numpy as np

from ..types import Counterfactual, Finding, Overall, Report, SetSummary, SkippedFile
from .text import finding_statement, overall_statement

#: Top-level keys every report JSON has (``untestable_hypotheses`` is optional on input).
REPORT_KEYS = (
    "tellapart_version",
    "set_a",
    "set_b",
    "settings",
    "findings",
    "skipped",
    "warnings",
    "timing_s",
)
#: Keys every finding in the JSON has; ``Finding.to_json`` adds the optional ones below.
FINDING_KEYS = (
    "rank",
    "description",
    "concept",
    "more_in",
    "auroc",
    "auroc_ci",
    "p_value",
    "q_value",
    "significant",
    "effect_size",
    "proposer",
    "scorer",
    "related",
    "examples",
)
#: ``statement`` is written by :func:`report_json` (how the HTML and terminal state the finding:
#: the description when significant, else "No evidence that ..."); it is derived, so reading
#: ignores it. ``description`` stays the claim as tested.
FINDING_OPTIONAL_KEYS = (
    "n_test", "counter_examples", "user", "contradicted", "caveat", "statement",
    "explained_share", "counterfactual", "negligible", "source", "acquisition_note",
)
#: Keys of the top-level ``"overall"`` object (``null`` when no overall test ran; absent in
#: reports written before it existed).
OVERALL_KEYS = (
    "auroc", "auroc_ci", "p_value", "differ", "detectable_auroc_at_80_power", "explained_share",
)
#: Optional keys of ``"overall"``; ``statement`` is derived (the report's first sentence,
#: :func:`~tellapart.report.text.overall_statement`), so reading ignores it.
OVERALL_OPTIONAL_KEYS = ("statement", "features", "n_features", "unexplained_auroc",
                         "unexplained_p_value", "unexplained_differ", "look_here")
COUNTERFACTUAL_KEYS = ("status", "shift_toward", "detail")
COUNTERFACTUAL_STATUSES = ("confirmed", "refuted", "not_checked")
SET_KEYS = ("source", "n_images", "n_skipped")
SKIPPED_KEYS = ("path", "set", "reason")


def to_strict_json(value: Any) -> Any:
    """A copy of ``value`` that ``json.dumps(..., allow_nan=False)`` accepts.

    NaN and +-inf become None (JSON has no such numbers; "not available" is what they
    mean here), numpy scalars and arrays become Python numbers and lists, tuples become
    lists and paths become strings. Anything else that JSON cannot hold raises TypeError.
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, np.generic):
        return to_strict_json(value.item())
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, got {key!r}")
            out[key] = to_strict_json(item)
        return out
    if isinstance(value, (list, tuple)):
        return [to_strict_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_strict_json(v) for v in value.tolist()]
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} value {value!r} to the JSON report")


def report_json(report: Report) -> dict[str, Any]:
    """What the JSON report holds: strict :meth:`Report.to_json` plus each finding's ``statement``.

    Parameters
    ----------
    report : Report

    Returns
    -------
    dict
        ``to_strict_json(report.to_json())`` with a ``"statement"`` key after each finding's
        ``"description"``: the sentence the HTML and terminal reports show for it
        (:func:`~tellapart.report.text.finding_statement`), and one first in ``"overall"``
        (:func:`~tellapart.report.text.overall_statement`) when there is an overall test.
    """
    data = to_strict_json(report.to_json())
    if report.overall is not None:
        statement = overall_statement(
            report.overall, report.set_a.n_images, report.set_b.n_images,
            n_significant=len(report.significant),
        )
        data["overall"] = {"statement": statement, **data["overall"]}
    findings = []
    for item, finding in zip(data["findings"], report.findings, strict=True):
        with_statement: dict[str, Any] = {}
        for key, value in item.items():
            with_statement[key] = value
            if key == "description":
                with_statement["statement"] = finding_statement(finding)
        findings.append(with_statement)
    data["findings"] = findings
    return data


ENGINE_SETTINGS = ("engine", "ray_address")


def engine_independent_json(report: Report) -> dict[str, Any]:
    """The report's JSON (:func:`report_json`) without its timings and the engine's own settings
    (:data:`ENGINE_SETTINGS`): what every engine of the per-image stage must produce alike."""
    data = report_json(report)
    data.pop("timing_s")
    for key in ENGINE_SETTINGS:
        data["settings"].pop(key, None)
    return data


def report_json_text(report: Report) -> str:
    """The report as strict JSON text (UTF-8 safe, indent=2, contract key order, final newline)."""
    data = report_json(report)
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` through a temporary file, so a crash never leaves half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def write_json(report: Report, path: str | Path) -> Path:
    """Write the JSON report.

    Parameters
    ----------
    report : Report
        What the comparison produced.
    path : str or Path
        Output file; parent folders are created.

    Returns
    -------
    Path
        The file written. It is strict JSON (UTF-8, indent 2): NaN and infinities are
        written as ``null``; keys keep the contract order of :meth:`Report.to_json`.
    """
    return write_text_atomic(path, report_json_text(report))


# ---------------------------------------------------------------------------------- reading


def _require(data: Any, keys: tuple[str, ...], what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{what} must be a JSON object, got {type(data).__name__}")
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(f"{what} is missing key(s): {', '.join(missing)}")
    return data


def _float(value: Any, what: str) -> float:
    """A JSON number, with null read back as NaN (that is how NaN was written)."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a number or null, got {value!r}")
    return float(value)


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    return value


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {value!r}")
    return value


def _paths_by_set(value: Any, what: str) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be an object of set name -> list of paths, got {value!r}")
    out: dict[str, list[str]] = {}
    for name, paths in value.items():
        if not isinstance(paths, list):
            raise ValueError(f"{what}[{name!r}] must be a list of paths, got {paths!r}")
        out[str(name)] = [_str(p, f"{what}[{name!r}] item") for p in paths]
    return out


def _optional_float(value: Any, what: str) -> float | None:
    """A number, or null read back as None ("not computed")."""
    return None if value is None else _float(value, what)


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be true or false, got {value!r}")
    return value


def _ci(value: Any, what: str) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"{what} must be a list of two numbers, got {value!r}")
    return _float(value[0], f"{what}[0]"), _float(value[1], f"{what}[1]")


def _counterfactual_from_json(data: Any, what: str) -> Counterfactual:
    d = _require(data, COUNTERFACTUAL_KEYS, what)
    status = d["status"]
    if status not in COUNTERFACTUAL_STATUSES:
        raise ValueError(
            f"{what}.status must be one of {', '.join(COUNTERFACTUAL_STATUSES)}, got {status!r}"
        )
    return Counterfactual(
        status=status,
        shift_toward=_optional_float(d["shift_toward"], f"{what}.shift_toward"),
        detail=_str(d["detail"], f"{what}.detail"),
    )


def _overall_from_json(data: Any) -> Overall | None:
    """The top-level ``"overall"`` object; None for ``null`` (or a report that predates it)."""
    if data is None:
        return None
    d = _require(data, OVERALL_KEYS, "overall")
    features = d.get("features", [])
    if not isinstance(features, list):
        raise ValueError(f"overall.features must be a list, got {features!r}")
    return Overall(
        auroc=_float(d["auroc"], "overall.auroc"),
        auroc_ci=_ci(d["auroc_ci"], "overall.auroc_ci"),
        p_value=_float(d["p_value"], "overall.p_value"),
        differ=_bool(d["differ"], "overall.differ"),
        detectable_auroc_at_80_power=_float(
            d["detectable_auroc_at_80_power"], "overall.detectable_auroc_at_80_power"
        ),
        explained_share=_optional_float(d["explained_share"], "overall.explained_share"),
        features=[_str(f, "overall.features item") for f in features],
        n_features=_int(d.get("n_features", 0), "overall.n_features"),
        unexplained_auroc=_optional_float(d.get("unexplained_auroc"), "overall.unexplained_auroc"),
        unexplained_p_value=_optional_float(d.get("unexplained_p_value"),
                                            "overall.unexplained_p_value"),
        unexplained_differ=(None if d.get("unexplained_differ") is None
                            else _bool(d["unexplained_differ"], "overall.unexplained_differ")),
        look_here=_paths_by_set(d.get("look_here", {"A": [], "B": []}), "overall.look_here"),
    )


def _finding_extras(d: Mapping[str, Any], what: str, finding: Finding) -> None:
    """Fill ``finding``'s optional fields from its JSON object ``d`` (defaults when absent)."""
    if "n_test" in d:
        n_test = d["n_test"]
        if not isinstance(n_test, Mapping):
            raise ValueError(f"{what}.n_test must be an object, got {n_test!r}")
        finding.n_test = {str(k): _int(v, f"{what}.n_test[{k!r}]") for k, v in n_test.items()}
    if "counter_examples" in d:
        finding.counter_examples = _paths_by_set(d["counter_examples"], f"{what}.counter_examples")
    finding.explained_share = _optional_float(d.get("explained_share"), f"{what}.explained_share")
    if "counterfactual" in d:
        finding.counterfactual = _counterfactual_from_json(
            d["counterfactual"], f"{what}.counterfactual"
        )
    finding.negligible = _bool(d.get("negligible", False), f"{what}.negligible")
    finding.source = _str(d.get("source", "pixels"), f"{what}.source")
    finding.acquisition_note = _str(d.get("acquisition_note", ""), f"{what}.acquisition_note")


def _finding_from_json(data: Any, index: int) -> Finding:
    what = f"findings[{index}]"
    d = _require(data, FINDING_KEYS, what)
    related = d["related"]
    if not isinstance(related, list) or not all(isinstance(r, Mapping) for r in related):
        raise ValueError(f"{what}.related must be a list of objects, got {related!r}")
    finding = Finding(
        rank=_int(d["rank"], f"{what}.rank"),
        description=_str(d["description"], f"{what}.description"),
        concept=_str(d["concept"], f"{what}.concept"),
        more_in=_str(d["more_in"], f"{what}.more_in"),
        auroc=_float(d["auroc"], f"{what}.auroc"),
        auroc_ci=_ci(d["auroc_ci"], f"{what}.auroc_ci"),
        p_value=_float(d["p_value"], f"{what}.p_value"),
        q_value=_float(d["q_value"], f"{what}.q_value"),
        significant=bool(d["significant"]),
        effect_size=_float(d["effect_size"], f"{what}.effect_size"),
        proposer=_str(d["proposer"], f"{what}.proposer"),
        scorer=_str(d["scorer"], f"{what}.scorer"),
        related=[dict(r) for r in related],
        examples=_paths_by_set(d["examples"], f"{what}.examples"),
        user=bool(d.get("user", False)),
        contradicted=bool(d.get("contradicted", False)),
        caveat=_str(d.get("caveat", ""), f"{what}.caveat"),
    )
    _finding_extras(d, what, finding)
    return finding


def _set_from_json(data: Any, key: str) -> SetSummary:
    s = _require(data, SET_KEYS, key)
    return SetSummary(
        source=_str(s["source"], f"{key}.source"),
        n_images=_int(s["n_images"], f"{key}.n_images"),
        n_skipped=_int(s["n_skipped"], f"{key}.n_skipped"),
    )


def report_from_json(data: Mapping[str, Any]) -> Report:
    """Rebuild a :class:`Report` from its JSON form (what :func:`write_json` wrote, parsed).

    ``null`` numbers are read back as NaN, except shares and shifts, where ``null`` means
    "not computed" and is read back as None. Per-image scores are not part of the JSON,
    so the findings come back with empty ``scores`` and the report without ``image_scores``.
    Reports written before the overall test existed load with ``overall`` None and the
    findings' ``explained_share``, ``counterfactual`` and ``negligible`` at their defaults. Unknown extra keys are ignored so
    that files from newer versions still load; missing or mistyped keys raise
    ValueError naming the key.

    Parameters
    ----------
    data : mapping
        The parsed JSON object, e.g. ``json.load(open("report.json"))``.

    Returns
    -------
    Report
    """
    d = _require(data, REPORT_KEYS, "report JSON")
    sets = [_set_from_json(d[key], key) for key in ("set_a", "set_b")]
    if not isinstance(d["settings"], Mapping):
        raise ValueError(f"settings must be a JSON object, got {d['settings']!r}")
    for key in ("findings", "skipped", "warnings"):
        if not isinstance(d[key], list):
            raise ValueError(f"{key} must be a list, got {type(d[key]).__name__}")
    skipped = []
    for i, item in enumerate(d["skipped"]):
        s = _require(item, SKIPPED_KEYS, f"skipped[{i}]")
        skipped.append(
            SkippedFile(
                path=_str(s["path"], f"skipped[{i}].path"),
                set_name=_str(s["set"], f"skipped[{i}].set"),
                reason=_str(s["reason"], f"skipped[{i}].reason"),
            )
        )
    timing = d["timing_s"]
    if not isinstance(timing, Mapping):
        raise ValueError(f"timing_s must be a JSON object, got {timing!r}")
    untestable = d.get("untestable_hypotheses", [])
    if not isinstance(untestable, list):
        raise ValueError(f"untestable_hypotheses must be a list, got {untestable!r}")
    return Report(
        tellapart_version=_str(d["tellapart_version"], "tellapart_version"),
        set_a=sets[0],
        set_b=sets[1],
        settings=dict(d["settings"]),
        findings=[_finding_from_json(f, i) for i, f in enumerate(d["findings"])],
        skipped=skipped,
        warnings=[_str(w, f"warnings[{i}]") for i, w in enumerate(d["warnings"])],
        timing_s={str(k): _float(v, f"timing_s[{k!r}]") for k, v in timing.items()},
        untestable_hypotheses=[
            _str(u, f"untestable_hypotheses[{i}]") for i, u in enumerate(untestable)
        ],
        overall=_overall_from_json(d.get("overall")),
    )
