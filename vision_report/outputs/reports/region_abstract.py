"""The region report's 要旨 sentences: the values abstract.txt.j2 is given and its lines
(templates/report/abstract.txt.j2)."""

from __future__ import annotations

from vision_report.compute.budget import NOT_IMPLEMENTED
from vision_report.core.textfmt import fmt_pct
from vision_report.core.vocabulary import Status
from vision_report.outputs.reports import evaluation_context as ev
from vision_report.outputs.reports.context import ReportData


def abstract_values(data: ReportData) -> dict:
    """The figures of the 要旨 — the same totals the 概要版 prints (pillar sums of money, answers and A・B share of
    the self-evaluations, the count of each KPI rating) — plus the period to date."""
    e = data.settings.evaluation
    roll = data.rollup
    pillars = roll[roll["level"] == "pillar"]
    planned = pillars["planned_thousand_yen"].sum()
    actual = pillars["actual_thousand_yen"].sum()
    share = data.evaluation_share[data.evaluation_share["level"] == "pillar"]
    evaluated, good = int(share["evaluated"].sum()), int(share["good"].sum())
    counts = data.evaluation_counts
    ratings = data.kpi["rating"].tolist()
    proll = data.results.get("period_rollup")
    period_planned = period_actual = None
    if proll is not None and len(proll):
        pp = proll[proll["level"] == "pillar"]
        period_planned, period_actual = pp["planned_thousand_yen"].sum(), pp["actual_thousand_yen"].sum()
    return {
        "ratings": {g: ratings.count(g) for g in ("A", "B", "C", "D", "-")},
        "planned": planned,
        "actual": actual,
        "execution": fmt_pct(actual / planned * 100 if planned else None),
        "period_planned": period_planned,
        "period_actual": period_actual,
        "period_execution": fmt_pct(period_actual / period_planned * 100 if period_planned else None),
        "evaluated": evaluated,
        # the answers expected (each participant of each initiative of the year) and the members that reported
        # without any 自己評価 (review 4 #2: 「回答 1004 件」 said neither the 1,074 nor 嘉島町's 49 blanks)
        "expected": int(counts["expected"].sum()),
        "unevaluated": unevaluated_members(data),
        "good": data.good_label(),
        "good_pct": fmt_pct(good / evaluated * 100 if evaluated else None),
        "grades": [(g, int(counts[f"grade_{g}"].sum())) for g in e.self_evaluation],
        "directions": [(d, int(counts[f"direction_{d}"].sum())) for d in e.directions],
        "directed": int(counts["directed"].sum()),
        # answers whose 自己評価 disagrees with their 実施状況 (config evaluation.grades_by_status), and the 未実施
        # answers without a 自己評価 (councillor reading of FY2025: 「実施」 with C, 「一部実施」 with B went unsaid)
        "mismatches": ev.status_disagreements(data.status_grades, e.grades_by_status, list(e.self_evaluation)),
        "blank_not_done": ev.blank_answers(data.status_grades, NOT_IMPLEMENTED),
        "n_all": len(data.plan.members(data.fiscal_year)),
        "unreported": unreported_members(data),
    }


def unreported_members(data: ReportData) -> dict[str, list[str]]:
    """The year's members whose report is not in the figures, by why, in plan order: "rejected" (it had errors,
    a corrected one is asked for), "missing" (none arrived), "pending" (still being checked); a key only when some
    member has it. The 要旨 names them in plain words (review 4 #12)."""
    from vision_report.compute.statuses import member_statuses

    st = member_statuses(data.plan, data.subs, data.fiscal_year)
    out: dict[str, list[str]] = {}
    for m in data.plan.members(data.fiscal_year):
        status = str(st.get(m.code, Status.MISSING.value))
        if status in {Status.REJECTED.value, Status.MISSING.value, Status.PENDING.value}:
            out.setdefault(status, []).append(m.name)
    return out


def unevaluated_members(data: ReportData) -> list[tuple[str, int]]:
    """The members that reported on initiatives but gave no 自己評価 on any: (name, initiatives reported)."""
    m = data.municipality_evaluations
    blank = m[(m["reported"] > 0) & (m["evaluated"] == 0)]
    return [(str(r["municipality_name"]), int(r["reported"])) for _, r in blank.iterrows()]


def abstract_line(data: ReportData, part: str, **extra) -> str:
    """One paragraph of templates/report/abstract.txt.j2 (``part`` chooses it), lines joined."""
    return "".join(abstract_lines(data, part, **extra))


def abstract_lines(data: ReportData, part: str, **extra) -> list[str]:
    return data.text("abstract", **(abstract_values(data) | {"part": part} | extra))
