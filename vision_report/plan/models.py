"""Typed, immutable models of a 連携中枢都市圏ビジョン (the plan)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Final, Literal

UNDECIDED: Final = "未定"
BudgetValue = int | Literal["未定"] | None
Direction = Literal["increase", "decrease", "at_least"]
DIRECTIONS: tuple[str, ...] = ("increase", "decrease", "at_least")
KANA = "アイウエオカキクケコ"


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    population: int | None = None
    households: int | None = None
    area_km2: float | None = None


def fiscal_year_of(day: date) -> int:
    """The fiscal year (年度, April–March) that contains ``day``: 2025-03-27 -> 2024, 2025-04-01 -> 2025."""
    return day.year if day.month >= 4 else day.year - 1


def first_fiscal_year_after(day: date) -> int:
    """The first fiscal year that starts (April 1) on or after ``day``: 2022-03-28 -> 2022, 2023-10-24 -> 2024."""
    return day.year if day <= date(day.year, 4, 1) else day.year + 1


def last_full_fiscal_year_before(day: date) -> int:
    """The last fiscal year that ends (March 31) on or before ``day``: 2027-03-31 -> 2026, 2026-10-01 -> 2025."""
    return day.year - 1 if day >= date(day.year, 3, 31) else day.year - 2


def date_ja(day: date) -> str:
    """2025-03-27 -> 2025年3月27日."""
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class Membership:
    """When a municipality belongs to the alliance and which fiscal years it reports.

    ``first_fiscal_year`` / ``last_fiscal_year`` are resolved: a coordinator's value, else the first fiscal year that
    starts on or after ``joined`` / the last one that ends on or before ``left``; None = open (a member from before
    any fiscal year the project handles / still a member). ``amendment`` is the id of the plan amendment that added
    the municipality, None for the members listed in the plan itself (the basis the KPI targets were set on).
    """

    code: str
    joined: date | None = None
    left: date | None = None
    first_fiscal_year: int | None = None
    last_fiscal_year: int | None = None
    amendment: str | None = None

    def reports_in(self, fiscal_year: int) -> bool:
        if self.first_fiscal_year is not None and fiscal_year < self.first_fiscal_year:
            return False
        return self.last_fiscal_year is None or fiscal_year <= self.last_fiscal_year


@dataclass(frozen=True)
class MemberAddition:
    """One municipality added by an amendment, and the initiatives it takes part in from then on."""

    code: str
    name: str
    joined: date
    initiatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class TargetRevision:
    """A KPI target revised by an amendment."""

    kpi: str
    target: float
    target_label: str | None = None


@dataclass(frozen=True)
class InitiativeEnd:
    """An initiative ended by an amendment: it runs up to ``last_fiscal_year`` (resolved: the coordinator's value,
    else the fiscal year of the day before the amendment's date) and is not expected after it."""

    initiative: str
    last_fiscal_year: int


@dataclass(frozen=True)
class Amendment:
    """A change to the plan after it was adopted (plans/<plan>/amendments/*.yaml), e.g. members joining."""

    id: str
    date: date
    title: str
    source: str
    members_added: tuple[MemberAddition, ...] = ()
    file: str | None = None
    targets_revised: tuple[TargetRevision, ...] = ()
    # ids of the initiatives the amendment adds (the Initiative itself is in Plan.initiatives, added_by = this id)
    initiatives_added: tuple[str, ...] = ()
    initiatives_ended: tuple[InitiativeEnd, ...] = ()


@dataclass(frozen=True)
class Agreement:
    """[連携協約] block of a policy area."""

    content: str | None = None
    role_kumamoto: str | None = None
    role_neighbours: str | None = None
    field_label: str | None = None  # e.g. 【地域医療】 (pillar 3 only)


@dataclass(frozen=True)
class Budget:
    """事業費 (千円) as printed: per FY a number, None (blank) or 未定; and the printed 合計."""

    years: dict[int, BudgetValue]
    total: BudgetValue

    def planned(self, fiscal_year: int) -> BudgetValue:
        return self.years.get(fiscal_year)

    def all_years_printed(self) -> bool:
        return all(isinstance(v, int) for v in self.years.values())


@dataclass(frozen=True)
class Initiative:
    id: str
    area_id: str
    number: int
    name: str
    participants: tuple[str, ...]  # municipality codes, in the plan's municipality order
    budget: Budget
    description: str | None = None
    role_kumamoto: str | None = None
    role_neighbours: str | None = None
    cost_sharing: str | None = None
    schedule: tuple[str, ...] = ()
    subsidies: str | None = None
    effects: str | None = None
    source_line: int | None = None
    lead: str | None = None  # municipality code of the 取りまとめ役 (plan data ``lead``); None: the core municipality
    predecessor: str | None = None  # the id of the same initiative in the previous plan (its history continues)
    # the fiscal years it runs (None: open, from the plan's first / to its last year); set by amendments that add
    # (added_by) or end (ended_by) the initiative after the plan was adopted
    first_fiscal_year: int | None = None
    last_fiscal_year: int | None = None
    added_by: str | None = None
    ended_by: str | None = None

    def runs_in(self, fiscal_year: int) -> bool:
        """True when the initiative is part of the plan in ``fiscal_year`` (expected in that year's submissions)."""
        if self.first_fiscal_year is not None and fiscal_year < self.first_fiscal_year:
            return False
        return self.last_fiscal_year is None or fiscal_year <= self.last_fiscal_year

    @property
    def label(self) -> str:
        """ア, イ, ウ … as printed in the vision."""
        return KANA[self.number - 1] if self.number <= len(KANA) else str(self.number)


@dataclass(frozen=True)
class PolicyArea:
    id: str
    pillar: int
    number: int
    name: str
    subfield: str | None  # "3A" / "3B" / "3C" or None
    direction: str | None
    agreement: Agreement
    initiative_ids: tuple[str, ...] = ()
    source_line: int | None = None

    @property
    def circled(self) -> str:
        return chr(0x2460 + self.number - 1) if self.number <= 20 else chr(0x3251 + self.number - 21)


@dataclass(frozen=True)
class Subfield:
    id: str
    pillar: int
    letter: str
    name: str
    area_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pillar:
    id: int
    name: str
    direction: str | None
    area_ids: tuple[str, ...] = ()
    subfield_ids: tuple[str, ...] = ()
    source_line: int | None = None


@dataclass(frozen=True)
class Kpi:
    id: str
    name: str
    measures: str  # node id: "1", "1.1", "3A"
    unit: str
    baseline: float
    baseline_year: int
    target: float
    direction: Direction
    reporters: tuple[str, ...]  # municipality codes expected to report
    reporters_all: bool
    source: str | None = None
    notes: str | None = None
    baseline_year_label: str | None = None
    target_label: str | None = None
    allow_negative: bool = False
    source_line: int | None = None
    # how many years the statistic lags the fiscal year it is reported for (kpis.yaml data_year_lag): the figure
    # reported for FY y is the statistic of y − lag (統計の年), e.g. 3 for 市町村民経済計算
    data_year_lag: int = 0
    predecessor: str | None = None  # the id of the same KPI in the previous plan (its series continues)
    new_series: bool = False  # the definition changed against the predecessor: the series starts anew
    # the target as the plan set it, when an amendment revised it (``target`` is then the latest revision's)
    adopted_target: float | None = None
    adopted_target_label: str | None = None


@dataclass(frozen=True)
class PlanMeta:
    id: str
    title: str
    alliance: str
    revision: str
    first_fiscal_year: int
    last_fiscal_year: int
    core_municipality: str
    office: str | None = None
    period_note: str | None = None
    population_as_of: str | None = None
    # ビジョン「目指すべき圏域人口」: {year, value (None when the vision gives it only in a figure), basis}
    population_goal: dict | None = None
    # the vision's own text of its 進行管理 chapter: "structure" (管理体制), "kpi" (施策ごとのKPI設定)
    management: dict[str, str] = field(default_factory=dict)

    @property
    def fiscal_years(self) -> tuple[int, ...]:
        return tuple(range(self.first_fiscal_year, self.last_fiscal_year + 1))

    def fiscal_year_problem(self, fiscal_year: int) -> str | None:
        """Why ``fiscal_year`` cannot be run or checked against this plan (Japanese), or None.

        The year after the period is accepted: results can still be checked then, without planned budgets.
        """
        first, last = self.first_fiscal_year, self.last_fiscal_year
        if first <= fiscal_year <= last + 1:
            return None
        return (
            f"{fiscal_year}年度は{self.title}の計画期間（{first}〜{last}年度）の外です。"
            f"--fiscal-year には {first}〜{last + 1} の年度を指定してください"
            f"（計画期間の翌年度 {last + 1} 年度は、計画期間の後の実績を確かめるために指定できます。"
            "その年度の計画事業費はありません）。"
        )


@dataclass(frozen=True)
class Plan:
    meta: PlanMeta
    municipalities: tuple[Municipality, ...]
    pillars: tuple[Pillar, ...]
    subfields: tuple[Subfield, ...]
    areas: tuple[PolicyArea, ...]
    initiatives: tuple[Initiative, ...]
    kpis: tuple[Kpi, ...]
    # code -> Membership; a municipality without an entry is a member in every fiscal year (plans without dates)
    memberships: dict[str, Membership] = field(default_factory=dict)
    amendments: tuple[Amendment, ...] = ()
    _index: dict[str, dict] = field(default_factory=dict, init=False, repr=False, compare=False)  # a copy has its own

    def __post_init__(self) -> None:
        self._index.update(
            municipality={m.code: m for m in self.municipalities},
            area={a.id: a for a in self.areas},
            initiative={i.id: i for i in self.initiatives},
            kpi={k.id: k for k in self.kpis},
            subfield={s.id: s for s in self.subfields},
            pillar={str(p.id): p for p in self.pillars},
        )

    def municipality(self, code: str) -> Municipality:
        return self._index["municipality"][code]

    def area(self, area_id: str) -> PolicyArea:
        return self._index["area"][area_id]

    def initiative(self, initiative_id: str) -> Initiative:
        return self._index["initiative"][initiative_id]

    def kpi(self, kpi_id: str) -> Kpi:
        return self._index["kpi"][kpi_id]

    def pillar(self, pillar_id: int | str) -> Pillar:
        return self._index["pillar"][str(pillar_id)]

    def subfield(self, subfield_id: str) -> Subfield:
        return self._index["subfield"][subfield_id]

    def has_municipality(self, code: str) -> bool:
        return code in self._index["municipality"]

    def has_initiative(self, initiative_id: str) -> bool:
        return initiative_id in self._index["initiative"]

    def has_kpi(self, kpi_id: str) -> bool:
        return kpi_id in self._index["kpi"]

    def node_exists(self, node: str) -> bool:
        return node in self._index["pillar"] or node in self._index["area"] or node in self._index["subfield"]

    def node_name(self, node: str) -> str:
        if node in self._index["pillar"]:
            return self._index["pillar"][node].name
        if node in self._index["subfield"]:
            return self._index["subfield"][node].name
        return self._index["area"][node].name

    # -- membership over time ----------------------------------------------------------------------------------
    def membership(self, code: str) -> Membership:
        """The membership record of a municipality the plan knows (an open one if the plan gives no dates)."""
        self.municipality(code)  # KeyError for a code the plan does not know
        return self.memberships.get(code) or Membership(code=code)

    def is_member(self, code: str, fiscal_year: int) -> bool:
        """True when ``code`` is a member that reports for ``fiscal_year`` (one of ``members``: a set per year, asked
        for every initiative's participants and every KPI's reporters)."""
        known = self._index.setdefault("member_sets", {})
        if fiscal_year not in known:
            known[fiscal_year] = frozenset(m.code for m in self.members(fiscal_year))
        return code in known[fiscal_year]

    def members(self, fiscal_year: int) -> tuple[Municipality, ...]:
        """The members that report for ``fiscal_year``, in plan order (found once per year: a report per member asks
        for them, and 1,741 members asked 1,741 times is three million membership checks)."""
        known = self._index.setdefault("members", {})
        if fiscal_year not in known:
            known[fiscal_year] = tuple(
                m for m in self.municipalities if self.membership(m.code).reports_in(fiscal_year)
            )
        return known[fiscal_year]

    @property
    def basis_members(self) -> tuple[Municipality, ...]:
        """The members the KPI baselines and targets were set for: those listed in the plan itself (not added by an
        amendment), in plan order."""
        known = self._index.setdefault("basis_members", {})  # found once (every municipality report asks)
        if "all" not in known:
            known["all"] = tuple(m for m in self.municipalities if self.membership(m.code).amendment is None)
        return known["all"]

    def is_basis_member(self, code: str) -> bool:
        return self.has_municipality(code) and self.membership(code).amendment is None

    def membership_problem(self, code: str, fiscal_year: int) -> str | None:
        """Why ``code`` does not report for ``fiscal_year`` (Japanese, one sentence), or None when it does."""
        if not self.has_municipality(code):
            return f"市町村コード {code} は{self.meta.alliance}の構成市町村ではありません。"
        ms = self.membership(code)
        if ms.reports_in(fiscal_year):
            return None
        who = f"{self.municipality(code).name}（{code}）"
        if ms.first_fiscal_year is not None and fiscal_year < ms.first_fiscal_year:
            when = f"（{date_ja(ms.joined)}加入）" if ms.joined else ""
            return f"{who}は{ms.first_fiscal_year}年度から報告する構成市町村です{when}。"
        when = f"（{date_ja(ms.left)}脱退）" if ms.left else ""
        return f"{who}は{ms.last_fiscal_year}年度まで報告した構成市町村です{when}。"

    # -- who reports what -----------------------------------------------------------------------------------------
    def initiatives_in(self, fiscal_year: int) -> tuple[Initiative, ...]:
        """The initiatives that run in ``fiscal_year`` (an initiative an amendment added runs from its first fiscal
        year, one an amendment ended up to its last), in plan order."""
        return tuple(i for i in self.initiatives if i.runs_in(fiscal_year))

    def initiative_runs(self, initiative_id: str, fiscal_year: int) -> bool:
        return self.initiative(initiative_id).runs_in(fiscal_year)

    def initiatives_of(self, code: str, fiscal_year: int | None = None) -> tuple[Initiative, ...]:
        """The initiatives ``code`` takes part in (○ in 関係市町村, plus those an amendment added); with a fiscal
        year, none when it is not a member that year, and only the initiatives that run that year."""
        if fiscal_year is not None and not self.is_member(code, fiscal_year):
            return ()
        return tuple(
            i
            for i in self.initiatives
            if code in self._participant_set(i) and (fiscal_year is None or i.runs_in(fiscal_year))
        )

    def _participant_set(self, i: Initiative) -> frozenset[str]:
        """The initiative's participants as a set, made once per plan (a tuple of 1,741 codes searched for each
        member and initiative: a second per use at scale)."""
        sets = self._index.setdefault("participant_sets", {})
        if i.id not in sets:
            sets[i.id] = frozenset(i.participants)
        return sets[i.id]

    def kpis_reported_by(self, code: str, fiscal_year: int | None = None) -> tuple[Kpi, ...]:
        """The KPIs ``code`` reports (every ``reporters: all`` KPI for any member; a fixed list stays fixed); with a
        fiscal year, none when it is not a member that year."""
        if fiscal_year is not None and not self.is_member(code, fiscal_year):
            return ()
        return tuple(k for k in self.kpis if code in self._reporter_set(k))

    def members_reporting(self, kpi_id: str, fiscal_year: int) -> tuple[Municipality, ...]:
        """The members of ``fiscal_year`` the KPI's reporters name, in plan order (found once per KPI and year: each
        member report names who reports the KPIs it does not)."""
        known = self._index.setdefault("members_reporting", {})
        if (kpi_id, fiscal_year) not in known:
            reporters = self._reporter_set(self.kpi(kpi_id))
            known[kpi_id, fiscal_year] = tuple(m for m in self.members(fiscal_year) if m.code in reporters)
        return known[kpi_id, fiscal_year]

    def _reporter_set(self, k: Kpi) -> frozenset[str]:
        sets = self._index.setdefault("reporter_sets", {})
        if k.id not in sets:
            sets[k.id] = frozenset(k.reporters)
        return sets[k.id]

    def kpi_target(self, kpi_id: str, fiscal_year: int) -> tuple[float, str | None]:
        """(target, target_label) in force for ``fiscal_year``: the last revision by an amendment dated in that fiscal
        year or before, else the target the plan set (a later amendment does not change an earlier year)."""
        k = self.kpi(kpi_id)
        revisions = [(a, r) for a in self.amendments for r in a.targets_revised if r.kpi == kpi_id]
        if not revisions:
            return k.target, k.target_label
        in_force = [r for a, r in revisions if fiscal_year_of(a.date) <= fiscal_year]
        if in_force:
            return in_force[-1].target, in_force[-1].target_label
        return (k.adopted_target if k.adopted_target is not None else k.target), k.adopted_target_label

    def as_of(self, fiscal_year: int) -> Plan:
        """The plan with the KPI targets in force for ``fiscal_year`` (``kpi_target``): what a year's tables and
        report are computed with, so that an amendment dated after the year leaves them as they were."""
        if not any(a.targets_revised for a in self.amendments):
            return self
        kpis = []
        for k in self.kpis:
            target, label = self.kpi_target(k.id, fiscal_year)
            kpis.append(dataclasses.replace(k, target=target, target_label=label))
        return dataclasses.replace(self, kpis=tuple(kpis))  # a copy builds its own lookups (_index)

    def lead_of(self, initiative_id: str) -> str:
        """The municipality that reports what was done for the whole initiative (its 取組実績 heads the report): the
        plan's ``lead`` for the initiative, else the core municipality (連携中枢都市) of the plan."""
        return self.initiative(initiative_id).lead or self.meta.core_municipality

    def participants(self, initiative_id: str, fiscal_year: int) -> tuple[str, ...]:
        """The initiative's participants that are members in ``fiscal_year``, in plan order; none in a year the
        initiative does not run."""
        known = self._index.setdefault("participants", {})  # found once per initiative and year
        if (initiative_id, fiscal_year) not in known:
            i = self.initiative(initiative_id)
            runs = i.runs_in(fiscal_year)
            known[initiative_id, fiscal_year] = (
                tuple(c for c in i.participants if self.is_member(c, fiscal_year)) if runs else ()
            )
        return known[initiative_id, fiscal_year]

    def kpi_reporters(self, kpi_id: str, fiscal_year: int) -> tuple[str, ...]:
        """Who is expected to report the KPI for ``fiscal_year``: every member of that year for ``reporters: all``,
        else the fixed list (those of it that are members that year), in plan order."""
        return tuple(c for c in self.kpi(kpi_id).reporters if self.is_member(c, fiscal_year))

    def kpi_basis_reporters(self, kpi_id: str, fiscal_year: int) -> tuple[str, ...]:
        """The expected reporters of ``fiscal_year`` that belong to the basis (``basis_members``): the set whose sum
        is compared with the baseline and the target."""
        return tuple(c for c in self.kpi_reporters(kpi_id, fiscal_year) if self.is_basis_member(c))

    def area_initiatives(self, area_id: str, fiscal_year: int | None = None) -> tuple[Initiative, ...]:
        """The area's initiatives in plan order; with a fiscal year, those that run that year."""
        inits = (self.initiative(i) for i in self.area(area_id).initiative_ids)
        return tuple(i for i in inits if fiscal_year is None or i.runs_in(fiscal_year))

    def parent_nodes(self, area_id: str) -> tuple[str, ...]:
        """The nodes above an area, nearest first: its sub-field (if any), then its pillar."""
        a = self.area(area_id)
        return tuple(n for n in (a.subfield, str(a.pillar)) if n)
