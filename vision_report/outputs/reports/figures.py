"""How a figure prints in every document (region report, 概要版, municipality reports): formatting that needs the
plan's words and the configuration, beside the plain number formats of textfmt."""

from __future__ import annotations

from vision_report.core.textfmt import fmt_num, fmt_pct, fmt_signed, is_missing


def baseline_change_pct(actual, baseline) -> float | None:
    """(actual − baseline) / |baseline| × 100: the plain change from the baseline, or None without both."""
    if is_missing(actual) or is_missing(baseline) or not baseline:
        return None
    return (float(actual) - float(baseline)) / abs(float(baseline)) * 100


def beyond_limit(progress, limit: float) -> bool:
    """A 進捗率 too far from 0–100 % to read as progress (beyond ±``limit`` %)."""
    return not is_missing(progress) and abs(float(progress)) > limit


def progress_text(progress, actual, baseline, limit: float, vs_baseline: str) -> str:
    """The 進捗率 as printed: ``67.5%``; beyond ±``limit`` % the change from the baseline instead, in the words
    ``vs_baseline`` (phrases.yaml ``progress_vs_baseline``, e.g. 「現状値比 {change}」 → 「現状値比 ▲4.6%」)."""
    if beyond_limit(progress, limit):
        change = baseline_change_pct(actual, baseline)
        if change is not None:
            return vs_baseline.format(change=fmt_signed(change, 1) + "%")
    return fmt_pct(progress)


def kpi_progress(data, row) -> str:
    """A KPI row's 進捗率 as every report prints it (``data``: the ReportData; ``row``: its line of kpi_attainment)."""
    return progress_text(
        row["progress_pct"],
        row["actual"],
        row["baseline"],
        data.settings.report.progress_limit,
        data.phrase("progress_vs_baseline", change="{change}"),
    )


def progress_note(data, rows) -> str | None:
    """The note under a KPI table that shows a 現状値比 (None when no row of ``rows`` does)."""
    limit = data.settings.report.progress_limit
    if not any(beyond_limit(r["progress_pct"], limit) for r in rows):
        return None
    return data.phrase("progress_vs_baseline_note", limit=fmt_num(limit))


def is_count_unit(data, unit: str) -> bool:
    """A KPI unit that counts (人, 件, TEU, 千人/年 … : config/units.yaml ``count_bases``): its chart axis shows
    whole numbers only."""
    from vision_report.intake.normalize import load_units

    return load_units(data.settings.root / "config" / "units.yaml").is_count(unit)


def unit_terms(data) -> list[tuple[str, str]]:
    """(unit, what it means) for each unit of config/units.yaml ``explained`` that some KPI of the plan uses
    (「TEU」 in 「TEU」 or 「千TEU/年」), in the file's order: said once where 評価の方法 and 用語 explain the figures."""
    from vision_report.core.yamlio import load_yaml

    raw = load_yaml((data.settings.root / "config" / "units.yaml").read_text(encoding="utf-8")) or {}
    units = [k.unit for k in data.plan.kpis]
    return [(str(u), str(t)) for u, t in (raw.get("explained") or {}).items() if any(str(u) in x for x in units)]
