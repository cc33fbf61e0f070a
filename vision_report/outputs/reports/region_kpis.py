"""The region report's KPI tables, trend charts and KPI lines (layout.yaml tables.kpi and abstract_kpi)."""

from __future__ import annotations

import re
from collections.abc import Callable

from vision_report.core.textfmt import fmt_pct, fmt_signed, is_missing
from vision_report.core.vocabulary import (
    no_submissions_label,
    year_label,
)
from vision_report.outputs.reports import charts
from vision_report.outputs.reports.context import ReportData, kpi_value, report_phrases
from vision_report.outputs.reports.docxutil import (
    add_note,
    add_picture,
    add_text,
    keep_with_next,
)
from vision_report.outputs.reports.figures import baseline_change_pct, is_count_unit, kpi_progress, progress_note
from vision_report.outputs.reports.layout import columns, spec_table
from vision_report.outputs.reports.region_abstract import abstract_line
from vision_report.plan import Kpi

PAGE_WIDTH_MM = 170
LOWEST_RATING = "D"  # below every threshold of config ratings (A ≥ B ≥ C)


def rating_text(row, inline: bool = False) -> str:
    """A rating as printed: 「—」 for none, 「B（暫定）」 inline or 「B」 over 「暫定」 in a table cell (phrases.yaml)."""
    r = str(row["rating"])
    if r == "-":
        return "—"
    if bool(row["provisional"]):
        words = report_phrases(_templates())
        return str(words["rating_provisional_inline" if inline else "rating_provisional_cell"]).format(rating=r)
    return r


def _templates():
    from vision_report.core.paths import find_root

    return find_root() / "templates"


def baseline_year_text(k: Kpi) -> str:
    """The baseline's year as printed: the plan's label (e.g. 2022年 for a calendar-year statistic) or 2022年度."""
    return k.baseline_year_label or year_label(k.baseline_year)


def baseline_text(k: Kpi) -> str:
    return f"{kpi_value(k, k.baseline)}\n（{baseline_year_text(k)}）"


def target_text(k: Kpi) -> str:
    """The target as its cell prints it: a bracket on a line of its own, and a 【…】 label too (「現状維持」／
    「【基準値】」／「10,813」／「（2019年）」: LibreOffice joins 「】」 to the figure after it, 「基準値】10,813」 was wider
    than the column, review 3 #4)."""
    return _TARGET_LINES.sub("\n", k.target_label or kpi_value(k, k.target))


_TARGET_LINES = re.compile(r"(?<=.)(?=[（【])|(?<=】)(?=[^（【])")


def actual_text(data: ReportData, k: Kpi) -> str:
    """The year's value on the basis the target was set on; the value of all the year's members beside it when
    the year's members differ from that basis (e.g. 24 members against a 20-member target)."""
    r = data.kpi.loc[k.id]
    text = kpi_value(k, r["actual"])
    if "actual_all_members" in r and int(r.get("reporters_expected_all", 0) or 0) > int(r["reporters_expected"] or 0):
        text += "\n" + data.phrase(
            "kpi_all_members", n=int(r["reporters_expected_all"]), value=kpi_value(k, r["actual_all_members"])
        )
    return text


def kpi_fields(data: ReportData) -> dict[str, Callable[[Kpi], str]]:
    """What each column field of a KPI table (layout.yaml tables.kpi / abstract_kpi) prints for one KPI."""

    def row(k: Kpi):
        return data.kpi.loc[k.id]

    def verdict(k: Kpi) -> str:
        period = data.results.get("period_kpi")
        if period is None or "kpi_id" not in period.columns:
            return "—"
        hit = period.loc[period["kpi_id"] == k.id, "achieved"]
        return str(hit.iloc[0]) if len(hit) else "—"

    def reference(k: Kpi) -> str:
        r = row(k)
        if "actual_all_members" not in r or int(r.get("reporters_expected_all", 0) or 0) <= int(
            r["reporters_expected"] or 0
        ):
            return "—"
        return kpi_value(k, r["actual_all_members"])

    return {
        "name": lambda k: f"{k.name}（{k.unit}）",
        "measures": lambda k: data.node_label(k.measures),
        "baseline": baseline_text,
        "target": target_text,
        "actual": lambda k: actual_text(data, k),
        "attainment": lambda k: fmt_pct(row(k)["attainment_pct"]),
        "progress": lambda k: kpi_progress(data, row(k)),
        "rated_by": lambda k: rated_by(data, k),
        "rating": lambda k: rating_text(row(k)),
        "source": lambda k: k.source or "—",
        "verdict": verdict,
        "basis_actual": lambda k: (
            kpi_value(k, row(k)["actual"])
            + ("\n" + data.phrase("kpi_data_year_cell", year=data_year_text(data, k)) if k.data_year_lag else "")
        ),
        "reference": reference,
    }


def rated_by(data: ReportData, k: Kpi) -> str:
    """Which figure decides a KPI's rating, as printed: 進捗率 (increase / decrease) or 達成率 (at_least)."""
    return data.phrase_map("rated_by").get(k.direction, "—")


def deciding_rate(data: ReportData, k: Kpi) -> str:
    """The figure that decides a KPI's rating, with its name, for a line of text: 「進捗率 67.5%」 (increase /
    decrease; 「現状値比▲4.6%」 beyond the progress limit) or 「達成率 102.8%」 (at_least). Review 4 #4: a line that gave
    the 達成率 beside a rating made on the 進捗率 read as 「96.9% なのに B」."""
    r = data.kpi.loc[k.id]
    if k.direction == "at_least":
        return f"{rated_by(data, k)} {fmt_pct(r['attainment_pct'])}"
    progress = " ".join(kpi_progress(data, r).split())
    # the 進捗率 itself is named; beyond the limit its stand-in names itself (「現状値比▲4.6%」)
    return f"{rated_by(data, k)} {progress}" if progress == fmt_pct(r["progress_pct"]) else progress


def at_least_names(data: ReportData) -> str:
    """The names of the plan's KPIs rated by 達成率 (the level kept: at_least), joined; "" for none."""
    return data.phrase("names_joiner").join(k.name for k in data.plan.kpis if k.direction == "at_least")


def over_target_names(data: ReportData, kpis: list[Kpi]) -> str:
    """The names of the KPIs whose reference sum reaches the target while the basis sum does not, joined (one note
    for them all, not one per KPI); "" for none."""
    return data.phrase("kpi_line_joiner").join(k.name for k in kpis if reference_passes_target(data, k))


def data_year_text(data: ReportData, k: Kpi) -> str:
    """The statistic's year of the reporting year's value for a KPI reported with a lag (「2022年度」), else ""."""
    return year_label(data.fiscal_year - k.data_year_lag) if k.data_year_lag else ""


def behind_baseline(data: ReportData, k: Kpi) -> dict[str, str] | None:
    """Why a KPI has the lowest rating although its 達成率 reads high: its value went back from the baseline (a
    negative 進捗率). The fields of abstract.txt.j2 ``behind_baseline``; None for any other KPI."""
    r = data.kpi.loc[k.id]
    if r["rating"] != LOWEST_RATING or is_missing(r["progress_pct"]) or float(r["progress_pct"]) >= 0:
        return None
    fields = _baseline_fields(data, k, r)
    return None if fields is None else {**fields, "data_year": data_year_text(data, k)}


def _baseline_fields(data: ReportData, k: Kpi, r) -> dict[str, str] | None:
    """The fields a note on a KPI's move from its baseline prints (abstract.txt.j2 ``behind_baseline`` and
    ``below_kept_level``) from its row ``r`` of the KPI table; None when the change cannot be said."""
    change = baseline_change_pct(r["actual"], r["baseline"])
    if change is None:
        return None
    return {
        "attainment": fmt_pct(r["attainment_pct"]),
        "baseline": kpi_value(k, k.baseline),
        "baseline_year": baseline_year_text(k),
        "change": data.phrase("progress_vs_baseline", change=fmt_signed(change, 1) + "%"),
        "rating": str(r["rating"]),
    }


def below_kept_level(data: ReportData, k: Kpi) -> dict[str, str] | None:
    """A KPI that aims to keep a level (direction at_least) rated by its 達成率 between the lowest and the top rating
    although its value fell below the baseline: the rating does not mean progress (review 7: 圏域人口の社会増減数 B
    while it fell from +4,771 to +1,863). The fields of abstract.txt.j2 ``below_kept_level``; None for any other KPI."""
    if k.direction != "at_least" or is_missing(k.baseline) or is_missing(k.target):
        return None
    r = data.kpi.loc[k.id]
    actual = r["actual"]
    if is_missing(actual) or r["rating"] == LOWEST_RATING or not (actual < k.baseline and actual < k.target):
        return None
    return _baseline_fields(data, k, r)


def baseline_notes(data: ReportData, kpis: list[Kpi]) -> list[str]:
    """The notes under a table of KPI ratings where a rating and the move from the baseline seem to disagree: a high
    達成率 with the lowest rating (``behind_baseline``), a kept level rated B or C below its baseline
    (``below_kept_level``)."""
    out = []
    for k in kpis:
        behind = behind_baseline(data, k)
        if behind:
            out.append(abstract_line(data, "behind_baseline", kpi_name=k.name, **behind))
        below = below_kept_level(data, k)
        if below:
            out.append(abstract_line(data, "below_kept_level", kpi_name=k.name, **below))
    return out


def target_differs(k: Kpi) -> bool:
    """True when a KPI's target cell does not read as 「this value in the plan's last year, beyond the baseline」: the
    plan prints it in its own words (a statistic's year, 「現状維持【基準値】…」), or the target lies behind the baseline
    for the KPI's direction (a level to keep set below the 現状値)."""
    if k.target_label:
        return True
    if is_missing(k.target) or is_missing(k.baseline):
        return False
    return k.target > k.baseline if k.direction == "decrease" else k.target < k.baseline


def target_notes(data: ReportData, kpis: list[Kpi]) -> list[str]:
    """One note per KPI whose target cell needs a word (``target_differs``), in the plan's words (kpis.yaml notes),
    printed directly under a KPI table whose header says 「目標値（<last year>年度）」 (review 3 #14)."""
    return [data.phrase("kpi_note_named", name=k.name, text=k.notes) for k in kpis if k.notes and target_differs(k)]


def single_reporter_notes(data: ReportData, kpis: list[Kpi], table: str = "kpi") -> list[str]:
    """One note per member that alone reports some of ``kpis`` (「※ 熊本港…・JR熊本駅…の7指標は、熊本市が報告する値」):
    under a header 「実績値（20市町村計）」 such a value read as a sum (review 4 #6). The sentence on the 参考 column's
    「—」 only under a table (layout.yaml tables.<table>) that prints that column (the 要旨's does not, review 4 #8)."""
    shown = has_reference(data) and any(
        c.field == "reference" for c in columns(data.templates, table, list(kpi_fields(data)))
    )
    reference = data.phrase("kpi_single_reporter_reference") if shown else ""
    by_member: dict[str, list[str]] = {}
    for k in kpis:
        if len(k.reporters) == 1 and not k.reporters_all:
            by_member.setdefault(k.reporters[0], []).append(k.name)
    joiner = data.phrase("names_joiner")
    return [
        data.phrase(
            "kpi_single_reporter",
            names=joiner.join(names),
            n_clause=data.phrase("kpi_single_reporter_count", n=len(names)) if len(names) > 1 else "",
            member=data.plan.municipality(code).name,
            reference=reference,
        )
        for code, names in by_member.items()
    ]


def basis_counts(data: ReportData) -> dict[str, int]:
    """{n_basis}: the members the targets were set for; {n_all}: the year's members (for table headers)."""
    return {"n_basis": len(data.plan.basis_members), "n_all": len(data.plan.members(data.fiscal_year))}


def has_reference(data: ReportData) -> bool:
    """True when some KPI of the year has a sum over more members than the targets' basis (the 参考 column)."""
    k = data.kpi
    if "reporters_expected_all" not in k.columns:
        return False
    return bool(
        (k["reporters_expected_all"].fillna(0).astype(int) > k["reporters_expected"].fillna(0).astype(int)).any()
    )


def reference_passes_target(data: ReportData, k: Kpi) -> bool:
    """True when the sum over all the year's members (参考) reaches the target while the basis sum, on which the
    rating is made, does not: the row would read as a contradiction without a sentence."""
    r = data.kpi.loc[k.id]
    if "actual_all_members" not in r or int(r.get("reporters_expected_all", 0) or 0) <= int(
        r["reporters_expected"] or 0
    ):
        return False
    ref, basis = r["actual_all_members"], r["actual"]
    if is_missing(ref) or is_missing(basis):
        return False
    if k.direction == "decrease":
        return float(ref) <= k.target < float(basis)
    return float(ref) >= k.target > float(basis)


def add_kpi_table(doc, data: ReportData, kpis: list[Kpi]) -> None:
    spec_table(
        doc,
        data.templates,
        "kpi",
        kpis,
        kpi_fields(data),
        {"kpi_target": data.heading("kpi_target"), **basis_counts(data)},
        skip=() if has_reference(data) else ("reference",),
    )
    reasons = [(k.name, data.kpi.loc[k.id, "rating_reason"]) for k in kpis if data.kpi.loc[k.id, "rating_reason"]]
    notes = [(k.name, k.notes) for k in kpis if k.notes]
    for name, text in reasons + notes:
        add_note(doc, data.phrase("kpi_note_named", name=name, text=text))
    for line in single_reporter_notes(data, kpis):
        add_note(doc, line)
    basis = {
        str(data.kpi.loc[k.id, "basis_note"])
        for k in kpis
        if actual_text(data, k) != kpi_value(k, data.kpi.loc[k.id, "actual"])
    }
    for text in sorted(basis):
        add_note(doc, data.phrase("kpi_note", text=text))
    beyond = progress_note(data, [data.kpi.loc[k.id] for k in kpis])
    if beyond:
        add_note(doc, beyond)
    names = over_target_names(data, kpis)
    if names:
        add_note(doc, abstract_line(data, "over_target", kpi_name=names))


def provisional_years_text(data: ReportData, kpi_ids: list[str]) -> str:
    """For each year with a provisional value of ``kpi_ids``: 「2024年度は荒尾市・合志市の実績が届いていない…」 joined;
    "" when no value is provisional."""
    why = data.phrase_map("provisional_why")
    joiner = data.phrase("names_joiner")
    parts = []
    for y, members in data.provisional_missing_status(kpi_ids).items():
        groups: dict[str, list[str]] = {}  # the members of one standing together, in plan order
        for name, standing in members:
            groups.setdefault(standing, []).append(name)
        if len(groups) == 1:  # 「玉東町・高森町の実績が届いていない（提出を差し戻したため）」
            ((standing, names),) = groups.items()
            parts.append(
                data.phrase(
                    "period_provisional_year",
                    year=year_label(y),
                    names=joiner.join(names),
                    why=why[standing or "unknown"],
                )
            )
        else:  # 「玉東町（提出を差し戻したため）・高森町（提出がないため）の実績が届いていない」
            each = joiner.join(
                data.phrase("period_provisional_group", names=joiner.join(n), why=why[s or "unknown"])
                for s, n in groups.items()
            )
            parts.append(data.phrase("period_provisional_year_mixed", year=year_label(y), names=each))
    return data.phrase("period_provisional_joiner").join(parts)


def provisional_next(data: ReportData) -> str:
    """What a provisional value is and what becomes of it: corrected in next year's report, or, in the plan's last
    year, given final in the first report of the next vision (phrases.yaml provisional_next*, review 4 #3)."""
    key = "provisional_next_final" if data.is_final_year else "provisional_next"
    return data.phrase(key, fy=data.fiscal_year, next_fy=data.fiscal_year + 1)


def provisional_given_at(doc, years: str, place: str) -> str | None:
    """Where this document already gave the note on these provisional years in full (the words naming that place),
    or None: then the note is given in full here and ``place`` is remembered. The long note once, at its first place
    in the document; a one-line pointer at the others (review 6 P13: the same note was printed four times)."""
    given = getattr(doc, "_vr_provisional_given", None)
    if given is None:
        given = {}
        doc._vr_provisional_given = given
    if years in given:
        return given[years]
    given[years] = place
    return None


def provisional_note(doc, data: ReportData, kpi_ids: list[str], place: str) -> str:
    """The 総括's note on * (暫定): which members each provisional year's values lack, and what happens next; a
    pointer to the same note where the document gave it already (``place``: the words naming the 総括's table)."""
    years = provisional_years_text(data, kpi_ids)
    if not years:
        return data.phrase("period_provisional_note")
    where = provisional_given_at(doc, years, place)
    if where is not None:
        return data.phrase("period_provisional_note_pointer", place=where)
    return data.phrase("period_provisional_note_named", years=years, next=provisional_next(data))


def baseline_unlike_point(data: ReportData, kpis: list[Kpi]) -> list[str]:
    """The KPIs whose chart plots a point for the year of the baseline (FY baseline_year + data_year_lag) that is not
    the baseline the line shows: a reader asked which of the two is right (review 4 #3)."""
    out = []
    for k in kpis:
        value = data.kpi_values(k.id).get(k.baseline_year + k.data_year_lag)
        if value is not None and not is_missing(value) and abs(float(value) - float(k.baseline)) > 1e-9:
            out.append(k.name)
    return out


def add_trend(doc, data: ReportData, kpis: list[Kpi], caption: str) -> None:
    # from the plan's first year, or earlier when the years of the previous plan are carried (KPI predecessors)
    years = list(range(min([data.plan.meta.first_fiscal_year, *data.years()]), data.fiscal_year + 1))
    panels = [
        {
            "name": k.name,
            "unit": k.unit,
            "baseline": k.baseline,
            "baseline_year": baseline_year_text(k),
            "target": k.target,
            "values": data.kpi_values(k.id),
            "provisional": data.kpi_provisional_years(k.id),
            "partial": data.kpi_partial_basis_years(k.id),
            "no_submissions": set(data.no_submission_years()),
            "count": is_count_unit(data, k.unit),
            "data_year_lag": k.data_year_lag,
        }
        for k in kpis
    ]
    words = data.phrase_map("chart") | {"no_submissions": no_submissions_label()}
    png = charts.kpi_trends(panels, years, words, cols=2 if len(kpis) > 1 else 1)
    add_picture(doc, png, PAGE_WIDTH_MM if len(kpis) > 1 else 100, caption)
    provisional = provisional_years_text(data, [k.id for k in kpis if k.id in data.kpi.index])
    if provisional:
        where = provisional_given_at(doc, provisional, data.phrase("provisional_place_figure", caption=caption))
        if where is None:
            add_note(doc, data.phrase("kpi_trend_provisional_note", years=provisional, next=provisional_next(data)))
        else:
            add_note(doc, data.phrase("kpi_trend_provisional_pointer", place=where))
    unlike = baseline_unlike_point(data, kpis)
    if unlike:
        partial = any(  # the point at the baseline's year is drawn as the open square of a sum over fewer members
            k.name in unlike and k.baseline_year + k.data_year_lag in data.kpi_partial_basis_years(k.id) for k in kpis
        )
        mark = data.phrase("kpi_trend_baseline_mark", partial=words["partial"]) if partial else ""
        add_note(doc, data.phrase("kpi_trend_baseline_note", names=data.phrase("names_joiner").join(unlike), mark=mark))
    for k in kpis:  # the value plotted at FY y is the statistic of y − lag (review 3 #12)
        if k.data_year_lag:
            add_note(doc, data.phrase("kpi_trend_data_year_note", name=k.name, lag=k.data_year_lag))
    for k in kpis:  # plan continuity: where a series crosses the plan boundary, or starts anew (planbook, issue 20)
        if k.predecessor and k.new_series:
            add_note(doc, data.phrase("kpi_new_series", name=k.name, first=data.plan.meta.first_fiscal_year))
        elif k.predecessor and years[0] < data.plan.meta.first_fiscal_year:
            last = data.plan.meta.first_fiscal_year - 1
            key = "kpi_continued" if years[0] < last else "kpi_continued_one"
            add_note(doc, data.phrase(key, name=k.name, first=years[0], last=last))


def kpi_line(doc, data: ReportData, kpis: list[Kpi], label_key: str = "kpi_line_label") -> None:
    """One line naming the KPIs with this year's value, 達成率 and 評価 (kept with what follows)."""
    if not kpis:
        return
    line = data.phrase("kpi_line_joiner").join(
        data.phrase(
            "kpi_line_item",
            name=k.name,
            value=kpi_value(k, data.kpi.loc[k.id, "actual"]),
            unit=k.unit,
            attainment=fmt_pct(data.kpi.loc[k.id, "attainment_pct"]),
            rate=deciding_rate(data, k),
            rating=rating_text(data.kpi.loc[k.id], inline=True),
        )
        for k in kpis
    )
    p = doc.add_paragraph()
    keep_with_next(p)
    add_text(p, data.phrase(label_key), bold=True)
    add_text(p, line)
