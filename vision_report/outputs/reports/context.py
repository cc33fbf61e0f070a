"""Everything the Word reports show, gathered once per run, and the report texts rendered from templates/."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from vision_report.compute.period import implementation_share
from vision_report.compute.statuses import MEMBER_STATUS, member_statuses
from vision_report.core.config import Settings
from vision_report.core.textfmt import fmt_num, fmt_pct, fmt_signed, jinja_env, wareki
from vision_report.core.vocabulary import (
    ACCEPTED_STATUSES,
    Status,
    hold_label,
    kind_labels,
    no_submissions_label,
    status_label,
)
from vision_report.core.vocabulary import synthetic as synthetic_label
from vision_report.core.yamlio import load_yaml
from vision_report.intake.panel_opinions import PanelOpinions
from vision_report.outputs.reports import evaluation_context as ev
from vision_report.outputs.reports.docxutil import DocProps
from vision_report.plan import Kpi, Plan
from vision_report.screening.confirmations import Holds, no_holds


def issue_date(issued: str) -> date:
    """'2025年6月' -> 2025-06-01, '2025年6月30日' -> 2025-06-30; another wording -> today (Japan)."""
    m = re.search(r"(\d{4})年(\d{1,2})月(?:(\d{1,2})日)?", issued)
    if m is None:
        return datetime.now(ZoneInfo("Asia/Tokyo")).date()
    return date(int(m[1]), int(m[2]), int(m[3] or 1))


def kpi_value(k: Kpi, v) -> str:
    """A KPI's value as the vision prints it: ▲ for negatives, and + for KPIs that may be negative (社会増減数)."""
    return fmt_signed(v) if k.allow_negative else fmt_num(v)


@lru_cache(maxsize=4)
def _headings(templates: Path) -> dict[str, str]:
    return load_yaml((templates / "report" / "headings.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=4)
def _phrases(templates: Path) -> dict[str, Any]:
    return load_yaml((templates / "report" / "phrases.yaml").read_text(encoding="utf-8"))


def report_phrases(templates: Path) -> dict[str, Any]:
    """templates/report/phrases.yaml (table words, notes, captions; placeholders not filled)."""
    return _phrases(templates)


def member_terms(phrases: dict[str, Any], plan) -> dict[str, str]:
    """The one wording of the KPI targets' basis (phrases.yaml basis_members_term, added_after_term): the members at
    the plan's revision (e.g. 「ビジョン（2024年3月改定）の構成20市町村」), not those of the first vision."""
    revision = plan.meta.revision or ""
    basis = phrases["basis_members_term"] if revision else phrases["basis_members_term_plain"]
    added = phrases["added_after_term"] if revision else phrases["added_after_term_plain"]
    return {
        "basis_term": str(basis).format(revision=revision, n=len(plan.basis_members)),
        "added_after": str(added).format(revision=revision),
    }


def report_headings(templates: Path) -> dict[str, str]:
    """templates/report/headings.yaml (headings and column titles; placeholders not filled)."""
    return _headings(templates)


@dataclass
class ReportData:
    settings: Settings
    plan: Plan
    fiscal_year: int
    results: dict[str, pd.DataFrame]
    subs: pd.DataFrame
    accepted_rows: pd.DataFrame
    per_year: dict[int, dict[str, pd.DataFrame]]
    issued: str = ""
    issued_on: date | None = None  # the documents' created/modified date; default: the first day of ``issued``
    synthetic: bool = False
    panel: PanelOpinions = field(default_factory=PanelOpinions)  # the ビジョン懇談会's opinions (inputs/<FY>/)
    remarks: PanelOpinions = field(default_factory=PanelOpinions)  # the office's 総括所見 (inputs/<FY>/, optional)
    holds: Holds | None = None  # values held out of the totals (要確認) and the confirmations' problems
    kpi: pd.DataFrame = field(init=False)
    budget: pd.DataFrame = field(init=False)
    rollup: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        self.kpi = self.results["kpi_attainment"].set_index("kpi_id", drop=False)
        self.budget = self.results["budget_execution"].set_index("initiative_id", drop=False)
        self.rollup = self.results["rollup"].set_index("id", drop=False)
        if not self.issued:
            today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
            self.issued = str(_phrases(self.templates)["issued_month"]).format(year=today.year, month=today.month)
        if self.issued_on is None:
            self.issued_on = issue_date(self.issued)
        if self.holds is None:
            self.holds = no_holds(self.fiscal_year)
        files = " ".join(str(f) for f in self.subs["file"].fillna(""))
        self.synthetic = self.synthetic or synthetic_label("mark") in files

    def doc_props(self, kind: str = "") -> DocProps:
        """Document properties of one report: ``kind`` is e.g. 進捗状況報告書 or 熊本市の取組状況."""
        m = self.plan.meta
        return DocProps(
            title=self.phrase(
                "doc_title", title=m.title, wareki=wareki(self.fiscal_year), fy=self.fiscal_year, kind=kind
            ),
            author=m.office or m.alliance,
            issued=self.issued_on or issue_date(self.issued),
            subject=m.alliance,
        )

    @property
    def templates(self) -> Path:
        return self.settings.root / "templates"

    @property
    def style_template(self) -> Path:
        return self.templates / "report_style.docx"

    def years(self) -> list[int]:
        return sorted(self.per_year)

    def _by_year(self, table: str, key_col: str, key: str, value_col: str) -> dict[int, float | None]:
        out = {}
        for y, res in self.per_year.items():
            v = res[table].set_index(key_col).loc[key, value_col]
            out[y] = None if pd.isna(v) else float(v)
        return out

    def kpi_values(self, kpi_id: str) -> dict[int, float | None]:
        return self._by_year("kpi_attainment", "kpi_id", kpi_id, "actual")

    def no_submission_years(self) -> list[int]:
        """The years of the history without a single accepted value: every table and chart marks them 提出なし."""
        from vision_report.compute.history import no_submission_years

        return no_submission_years(self.per_year)

    def kpi_provisional_years(self, kpi_id: str) -> set[int]:
        """Years whose value is provisional (not every expected reporter's file was accepted)."""
        out = set()
        for y, res in self.per_year.items():
            t = res["kpi_attainment"].set_index("kpi_id")
            if "provisional" in t.columns and kpi_id in t.index and bool(t.at[kpi_id, "provisional"]):
                out.add(y)
        return out

    def provisional_missing(self, kpi_ids: list[str] | None = None) -> dict[int, list[str]]:
        """Per year with a provisional KPI value (of ``kpi_ids``; default every KPI): the names of the members whose
        value it lacks, in plan order (from kpi_attainment's reporters_missing)."""
        out: dict[int, list[str]] = {}
        for y in sorted(self.per_year):
            t = self.per_year[y]["kpi_attainment"]
            if "reporters_missing" not in t.columns or "provisional" not in t.columns:
                continue
            rows = t[t["provisional"].astype(bool) & (kpi_ids is None or t["kpi_id"].isin(kpi_ids))]
            codes = {c for v in rows["reporters_missing"] for c in str(v).split(";") if c}
            if codes:
                out[y] = [m.name for m in self.plan.municipalities if m.code in codes]
        return out

    def provisional_missing_status(self, kpi_ids: list[str] | None = None) -> dict[int, list[tuple[str, str]]]:
        """:meth:`provisional_missing` with each member's standing that year (review 3 #13): "rejected" (its file
        was sent back), "missing" (none arrived), "accepted" (its file was accepted without this value) or "pending";
        "" when the year's tables do not record the members' standing."""
        out: dict[int, list[tuple[str, str]]] = {}
        names = {m.name: m.code for m in self.plan.municipalities}
        for y, members in self.provisional_missing(kpi_ids).items():
            table = self.per_year.get(y, {}).get(MEMBER_STATUS)
            st = (
                dict(zip(table["municipality_code"].astype(str), table["status"].astype(str), strict=True))
                if (table is not None)
                else {}
            )
            out[y] = [(n, _standing(st.get(names[n], ""))) for n in members]
        return out

    def kpi_partial_basis_years(self, kpi_id: str) -> set[int]:
        """Years in which fewer basis members were expected to report this KPI than in the other years (a member
        of the vision had not joined yet): their sums cover fewer municipalities, so a rise or fall against the
        neighbouring years is not a like-for-like change."""
        expected = {}
        for y, res in self.per_year.items():
            t = res["kpi_attainment"].set_index("kpi_id")
            if kpi_id in t.index:
                expected[y] = int(t.at[kpi_id, "reporters_expected"])
        full = max(expected.values(), default=0)
        return {y for y, n in expected.items() if n < full}

    @property
    def idle_members(self) -> list[str]:
        """The names of the year's members that take part in no initiative (joined after the plan set who takes part
        in what): はじめに and the 概要版 say so."""
        plan, fy = self.plan, self.fiscal_year
        return [m.name for m in plan.members(fy) if not plan.initiatives_of(m.code, fy)]

    @property
    def is_final_year(self) -> bool:
        return self.fiscal_year >= self.plan.meta.last_fiscal_year

    def heading(self, key: str, **values) -> str:
        """A heading from templates/report/headings.yaml with its {placeholders} filled."""
        m = self.plan.meta
        base = {
            "first": m.first_fiscal_year,
            "last": m.last_fiscal_year,
            "fy": self.fiscal_year,
            "year": m.last_fiscal_year,
            "number": len(self.plan.pillars) + 1,
        }
        return str(_headings(self.templates)[key]).format(**(base | values))

    def phrase(self, key: str, **values) -> str:
        """A phrase from templates/report/phrases.yaml (table words, notes, captions) with its {placeholders} filled."""
        return str(_phrases(self.templates)[key]).format(**values)

    def phrases(self, key: str, **values) -> list[str]:
        """A list from templates/report/phrases.yaml (a table's header row) with its {placeholders} filled."""
        return [str(x).format(**values) for x in _phrases(self.templates)[key]]

    def phrase_map(self, key: str) -> dict[str, str]:
        """A mapping from templates/report/phrases.yaml (e.g. the charts' words)."""
        return {str(k): str(v) for k, v in dict(_phrases(self.templates)[key]).items()}

    def node_label(self, node: str) -> str:
        """A pillar, sub-field or policy area as the vision's tables write it: 「1 …」「…に係る政策分野」「① …」."""
        plan = self.plan
        if node.isdigit():
            return self.phrase("node_pillar", id=node, name=plan.node_name(node))
        if any(s.id == node for s in plan.subfields):
            return self.phrase("node_subfield", name=plan.node_name(node))
        area = plan.area(node)
        return self.phrase("node_area", circled=area.circled, name=area.name)

    def period_context(self) -> dict:
        """Figures the 計画期間の総括 text speaks of (zeros when the period tables are not part of the results)."""
        from vision_report.outputs.words import achieved_words

        yes, no = achieved_words(self.settings.root)

        kpi = self.results.get("period_kpi")
        budget = self.results.get("period_budget")
        rules = self.settings.final_evaluation.achieved_if
        directions = self.phrase_map("directions")
        rule_words = self.phrase_map("period_rule_words")
        # one clause per rule, naming the directions of the plan's KPIs that share it (not the same clause twice, nor a
        # direction no KPI has)
        present = {k.direction for k in self.plan.kpis}
        by_rule: dict[str, list[str]] = {}
        for d, r in rules.items():
            if d in directions and d in present:
                by_rule.setdefault(r, []).append(directions[d])
        rule_text = self.phrase("kpi_line_joiner").join(
            self.phrase("period_rule", direction=self.phrase("names_joiner").join(ds), rule=rule_words[r])
            for r, ds in by_rule.items()
        )
        achieved = kpi["achieved"].tolist() if kpi is not None else []
        missing = (
            [int(y) for y in str(budget["years_without_submissions"].iloc[0]).split(";") if y]
            if (budget is not None and len(budget) and "years_without_submissions" in budget)
            else []
        )
        compared = (
            [int(y) for y in str(budget["years_compared"].iloc[0]).split(";") if y]
            if missing and budget is not None
            else []
        )
        year_word = self.phrase("year_joiner")
        return {
            "final": self.is_final_year,
            "summary": False,  # the 概要版 renders period.txt.j2 with summary=True (its own wording)
            "rule_text": rule_text,
            "n_basis": len(self.plan.basis_members),
            "n_achieved": achieved.count(yes),
            "n_not_achieved": achieved.count(no),
            "n_no_value": len(achieved) - achieved.count(yes) - achieved.count(no),
            "n_as_planned": int(budget["carried_out_as_planned"].eq(True).sum()) if budget is not None else 0,
            # years without any accepted submission (issue 18 item 6): the 総括 says so and what the execution compares
            "no_submission_years": year_word.join(str(y) for y in missing),
            "compared_years": year_word.join(str(y) for y in compared),
            "no_submissions_label": no_submissions_label(),
            "planned_period_total": fmt_num(budget["planned_period_thousand_yen"].sum(min_count=1))
            if missing and budget is not None
            else "",
            "planned_compared_total": fmt_num(budget["planned_thousand_yen"].sum(min_count=1))
            if missing and budget is not None
            else "",
            **self.implementation_context(),
        }

    def implementation_context(self) -> dict:
        """The share of the participants' reports saying 実施 or 完了 (review 3 #6): over the plan period to this
        year (period_*) and in this year (year_*); the readable rate the 要旨 and the 総括 lead with."""
        budget = self.results.get("period_budget")
        out: dict[str, object] = {}
        for prefix, table in (("period", budget), ("year", self.results.get("budget_execution"))):
            reports, done, pct = implementation_share(table) if table is not None else (0, 0, float("nan"))
            out |= {f"{prefix}_reports": reports, f"{prefix}_reports_done": done, f"{prefix}_done_pct": fmt_pct(pct)}
        return out

    def spend_by_year(self, initiative_id: str) -> dict[int, float | None]:
        return self._by_year("budget_execution", "initiative_id", initiative_id, "actual_thousand_yen")

    def counts(self) -> dict[str, int]:
        st = member_statuses(self.plan, self.subs, self.fiscal_year)
        return {
            "accepted": int(st.isin(list(ACCEPTED_STATUSES)).sum()),
            "rejected": int((st == Status.REJECTED).sum()),
            "missing": int((st == Status.MISSING).sum()),
            "pending": int((st == Status.PENDING).sum()),
        }

    def text(self, name: str, **extra) -> list[str]:
        """Render templates/report/<name>.txt.j2; one paragraph per non-empty line."""
        ctx = self.text_context() | self.period_context() | extra
        out = jinja_env(self.templates).get_template(f"report/{name}.txt.j2").render(**ctx)
        return [ln for ln in out.splitlines() if ln.strip()]

    def snippet(self, part: str, **values) -> str:
        """One sentence of templates/report/evaluation.txt.j2 (``part`` chooses it), line breaks of ``values``
        kept; only ``values`` and the fiscal year are supplied (cheap enough for every initiative)."""
        tpl = jinja_env(self.templates).get_template("report/evaluation.txt.j2")
        return tpl.render(part=part, fiscal_year=self.fiscal_year, **values).strip()

    # -- 自己評価・今後の方向性・取組実績 (docs/interface.md §2), computed once per report ----------------------------
    @cached_property
    def evaluation_counts(self) -> pd.DataFrame:
        e = self.settings.evaluation
        return ev.initiative_counts(
            self.plan, self.accepted_rows, self.fiscal_year, list(e.self_evaluation), e.directions
        ).set_index("initiative_id", drop=False)

    @cached_property
    def evaluation_share(self) -> pd.DataFrame:
        return ev.good_share(self.plan, self.evaluation_counts, self.settings.evaluation.good_grades)

    @cached_property
    def municipality_evaluations(self) -> pd.DataFrame:
        e = self.settings.evaluation
        return ev.municipality_summary(
            self.plan, self.accepted_rows, self.fiscal_year, list(e.self_evaluation), e.good_grades
        )

    @cached_property
    def status_grades(self) -> pd.DataFrame:
        """The participants' answers by 実施状況 and 自己評価 (evaluation_context.status_grade_counts)."""
        return ev.status_grade_counts(self.plan, self.accepted_rows, self.fiscal_year)

    @cached_property
    def expenditure_texts(self) -> pd.DataFrame:
        return ev.expenditure_rows(self.accepted_rows)

    @cached_property
    def _texts_by_initiative(self) -> dict[str, pd.DataFrame]:
        return {str(k): g for k, g in self.expenditure_texts.groupby("item_id", sort=False)}

    def initiative_rows(self, initiative_id: str) -> pd.DataFrame:
        """The accepted expenditure rows of one initiative, with every text and choice column."""
        return self._texts_by_initiative.get(initiative_id, self.expenditure_texts.iloc[0:0])

    def initiative_texts(self, initiative_id: str) -> pd.DataFrame:
        return ev.prepared_initiative_texts(
            self.plan, self.initiative_rows(initiative_id), initiative_id, self.fiscal_year
        )

    def good_label(self) -> str:
        return self.phrase("grades_joiner").join(self.settings.evaluation.good_grades)

    def held_items(self, rows: pd.DataFrame, with_item: bool = True) -> str:
        """Held values as one phrase: 「甲佐町 事業費 3.13.3 2,350,000 千円」 (without the item: 「甲佐町 2,350,000 千円」)."""
        kinds = kind_labels()
        return "、".join(
            f"{h.municipality_name} "
            + (f"{kinds.get(h.kind, h.kind)} {h.item_id} " if with_item else "")
            + f"{fmt_num(h.value)} {h.unit}".rstrip()
            for h in rows.itertuples(index=False)
        )

    def held_context(self, rows: pd.DataFrame | None = None, with_item: bool = True) -> dict:
        """The variables of templates/report/held.txt.j2: held values (要確認), ``items`` naming ``rows`` (default:
        every value held out of the totals); ``part`` chooses the place in the reports."""
        from vision_report.screening.confirmations import CONFIRMATION_HEADER

        holds = self.holds or no_holds(self.fiscal_year)
        rows = holds.waiting if rows is None else rows
        return {
            "part": "",
            "mark": hold_label("mark"),
            "n_waiting": len(holds.waiting),
            "n_confirmed": len(holds.confirmed),
            "items": self.held_items(rows, with_item),
            "file": holds.file or f"confirmations/{self.fiscal_year}.csv",
            "header": "、".join(CONFIRMATION_HEADER),
        }

    def held_text(self, part: str, rows: pd.DataFrame | None = None, with_item: bool = True) -> list[str]:
        """templates/report/held.txt.j2: the sentences about held values (要確認) for one place in the reports."""
        return self.text("held", **(self.held_context(rows, with_item) | {"part": part}))

    def text_context(self) -> dict:
        m = self.plan.meta
        c = self.counts()
        return {
            "plan_title": m.title,
            "revision": m.revision,
            "alliance": m.alliance,
            "office": m.office or "",
            "fiscal_year": self.fiscal_year,
            "issued": self.issued,
            "n_members": len(self.plan.members(self.fiscal_year)),
            "n_initiatives": len(self.plan.initiatives_in(self.fiscal_year)),
            "n_kpis": len(self.plan.kpis),
            "first_fy": m.first_fiscal_year,
            "last_fy": m.last_fiscal_year,
            "period_note": m.period_note or "",
            "n_accepted": c["accepted"],
            "n_rejected": c["rejected"],
            "n_missing": c["missing"],
            "status": {st.value: status_label(st) for st in Status},
            "progress": self.settings.ratings.progress,
            "attainment": self.settings.ratings.attainment,
            "self_evaluation": self.settings.evaluation.self_evaluation,
            "good_grades": list(self.settings.evaluation.good_grades),
            "directions": list(self.settings.evaluation.directions),
            # the directions the plan's KPIs aim at (increase, at_least, decrease): a sentence names only these
            "kpi_directions": sorted({k.direction for k in self.plan.kpis}),
            # the KPIs rated on one member's own value, not a sum (「7指標は熊本市の値」, review 7 #13)
            **kpi_basis_split(self.plan),
            **member_terms(report_phrases(self.templates), self.plan),
        }


def kpi_basis_split(plan) -> dict:
    """{kpi_single}: (member name, KPIs) for each member whose own value rates some KPIs (the plan's KPI
    reporters: one member, not every member), in plan order; {n_kpis_summed}: the KPIs rated on a members' sum."""
    single: dict[str, int] = {}
    for k in plan.kpis:
        if len(k.reporters) == 1 and not k.reporters_all:
            name = plan.municipality(k.reporters[0]).name
            single[name] = single.get(name, 0) + 1
    return {"kpi_single": list(single.items()), "n_kpis_summed": len(plan.kpis) - sum(single.values())}


def _standing(status: str) -> str:
    """A member's status of a year as the 暫定 note words it (templates/report/phrases.yaml provisional_why)."""
    if status in {Status.ACCEPTED.value, Status.ACCEPTED_WITH_WARNINGS.value}:
        return "accepted"
    return status if status in {Status.REJECTED.value, Status.MISSING.value, Status.PENDING.value} else ""
