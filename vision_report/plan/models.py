"""Typed, immutable models of a 連携中枢都市圏ビジョン (the plan)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

UNDECIDED = "未定"
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
    _index: dict[str, dict] = field(default_factory=dict, repr=False, compare=False)

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

    def initiatives_of(self, code: str) -> tuple[Initiative, ...]:
        return tuple(i for i in self.initiatives if code in i.participants)

    def kpis_reported_by(self, code: str) -> tuple[Kpi, ...]:
        return tuple(k for k in self.kpis if code in k.reporters)

    def area_initiatives(self, area_id: str) -> tuple[Initiative, ...]:
        return tuple(self.initiative(i) for i in self.area(area_id).initiative_ids)

    def parent_nodes(self, area_id: str) -> tuple[str, ...]:
        """The nodes above an area, nearest first: its sub-field (if any), then its pillar."""
        a = self.area(area_id)
        return tuple(n for n in (a.subfield, str(a.pillar)) if n)
