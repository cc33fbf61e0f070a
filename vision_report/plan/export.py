"""The plan as JSON (docs/interface.md §6 `vision-report plan --json`) and as a readable summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vision_report.plan.models import UNDECIDED, BudgetValue, Plan


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    m = plan.meta
    return {
        "plan": {
            "id": m.id,
            "title": m.title,
            "alliance": m.alliance,
            "revision": m.revision,
            "period": {"first_fiscal_year": m.first_fiscal_year, "last_fiscal_year": m.last_fiscal_year},
            "core_municipality": m.core_municipality,
        },
        "municipalities": [
            {
                "code": x.code,
                "name": x.name,
                "population": x.population,
                "households": x.households,
                "area_km2": x.area_km2,
                **_membership(plan, x.code),
            }
            for x in plan.municipalities
        ],
        "amendments": [
            {
                "id": a.id,
                "date": a.date.isoformat(),
                "title": a.title,
                "source": a.source,
                "members_added": [
                    {"code": m.code, "name": m.name, "joined": m.joined.isoformat(), "initiatives": list(m.initiatives)}
                    for m in a.members_added
                ],
                **(
                    {"targets_revised": [{"kpi": t.kpi, "target": _num(t.target)} for t in a.targets_revised]}
                    if a.targets_revised
                    else {}
                ),
                **({"initiatives_added": list(a.initiatives_added)} if a.initiatives_added else {}),
                **(
                    {
                        "initiatives_ended": [
                            {"id": e.initiative, "last_fiscal_year": e.last_fiscal_year} for e in a.initiatives_ended
                        ]
                    }
                    if a.initiatives_ended
                    else {}
                ),
            }
            for a in plan.amendments
        ],
        "pillars": [
            {"id": p.id, "name": p.name, "areas": list(p.area_ids), "subfields": list(p.subfield_ids)}
            for p in plan.pillars
        ],
        "subfields": [
            {"id": s.id, "pillar": s.pillar, "name": s.name, "areas": list(s.area_ids)} for s in plan.subfields
        ],
        "policy_areas": [
            {
                "id": a.id,
                "name": a.name,
                "subfield": a.subfield,
                "pillar": a.pillar,
                "field_label": a.agreement.field_label,
            }
            for a in plan.areas
        ],
        "initiatives": [
            {
                "id": i.id,
                "name": i.name,
                "area": i.area_id,
                "participants": list(i.participants),
                "budget": {**{str(y): v for y, v in i.budget.years.items()}, "total": i.budget.total},
                **({"predecessor": i.predecessor} if i.predecessor else {}),
                **({"first_fiscal_year": i.first_fiscal_year, "added_by": i.added_by} if i.added_by else {}),
                **({"last_fiscal_year": i.last_fiscal_year, "ended_by": i.ended_by} if i.ended_by else {}),
            }
            for i in plan.initiatives
        ],
        "kpis": [
            {
                "id": k.id,
                "name": k.name,
                "unit": k.unit,
                "baseline": _num(k.baseline),
                "baseline_year": k.baseline_year,
                "target": _num(k.target),
                "direction": k.direction,
                "measures": k.measures,
                "reporters": "all" if k.reporters_all else list(k.reporters),
                "source": k.source,
                **({"predecessor": k.predecessor} if k.predecessor else {}),
                **({"new_series": True} if k.new_series else {}),
            }
            for k in plan.kpis
        ],
    }


def _membership(plan: Plan, code: str) -> dict:
    """joined / left (ISO dates or None), the fiscal years it reports, whether the KPI basis includes it."""
    ms = plan.membership(code)
    return {
        "joined": ms.joined.isoformat() if ms.joined else None,
        "left": ms.left.isoformat() if ms.left else None,
        "first_fiscal_year": ms.first_fiscal_year,
        "last_fiscal_year": ms.last_fiscal_year,
        "added_by_amendment": ms.amendment,
        "basis": ms.amendment is None,
    }


def _sum_planned(values: Sequence[BudgetValue]) -> tuple[int, bool]:
    """Sum of printed figures; the flag says whether some were blank or 未定."""
    s = sum(v for v in values if isinstance(v, int))
    return s, any(not isinstance(v, int) for v in values)


def plan_summary(plan: Plan) -> str:
    """A plain-text overview in Japanese: counts per pillar and area, planned budget per FY and pillar."""
    m = plan.meta
    years = m.fiscal_years
    lines = [
        f"{m.title}（{m.revision}）",
        f"計画期間: {years[0]}〜{years[-1]}年度 / 構成市町村: {len(plan.municipalities)} / "
        f"柱: {len(plan.pillars)} / 政策分野: {len(plan.areas)} / 具体的取組: {len(plan.initiatives)} / KPI: {len(plan.kpis)}",
        "",
        f"■ 年度ごとの構成市町村（KPIの目標値の基準: 計画に載っている{len(plan.basis_members)}市町村）",
    ]
    for fy in years:
        lines.append(f"  {fy}年度: {len(plan.members(fy))}市町村")
    for amendment in plan.amendments:
        added = "、".join(f"{x.name}（{x.code}）" for x in amendment.members_added) or "なし"
        changes = f"加入 {added}"
        if amendment.initiatives_added:
            changes += "／取組の追加 " + "、".join(
                f"{i}（{plan.initiative(i).first_fiscal_year}年度から）" for i in amendment.initiatives_added
            )
        if amendment.initiatives_ended:
            changes += "／取組の終了 " + "、".join(
                f"{e.initiative}（{e.last_fiscal_year}年度まで）" for e in amendment.initiatives_ended
            )
        lines.append(f"  改定 {amendment.date.isoformat()} {amendment.title}: {changes}（出典: {amendment.source}）")
    lines += ["", "■ 柱・政策分野ごとの取組数とKPI"]
    for p in plan.pillars:
        kp = [k.id for k in plan.kpis if k.measures == str(p.id)]
        n_init = sum(len(plan.area(a).initiative_ids) for a in p.area_ids)
        lines.append(f"{p.id} {p.name}（政策分野 {len(p.area_ids)}・取組 {n_init}）KPI: {', '.join(kp) or 'なし'}")
        for a in p.area_ids:
            area = plan.area(a)
            ka = [k.id for k in plan.kpis if k.measures == a]
            sub = f" [{area.subfield}]" if area.subfield else ""
            lines.append(
                f"  {area.id:<5} {area.name}{sub}: 取組 {len(area.initiative_ids)}"
                + (f" / KPI: {', '.join(ka)}" if ka else "")
            )
    for sf in plan.subfields:
        ks = [k.id for k in plan.kpis if k.measures == sf.id]
        lines.append(f"小分野 {sf.id} {sf.name}（{sf.area_ids[0]}〜{sf.area_ids[-1]}）KPI: {', '.join(ks) or 'なし'}")
    lines += ["", "■ 計画事業費（千円）", "柱    " + "".join(f"{y:>14}" for y in years) + f"{'合計（表記）':>14}"]
    grand: dict[int, list[BudgetValue]] = {y: [] for y in years}
    grand_total: list[BudgetValue] = []
    for p in plan.pillars:
        inits = [i for i in plan.initiatives if plan.area(i.area_id).pillar == p.id]
        cells = []
        for y in years:
            vals = [i.budget.planned(y) for i in inits]
            grand[y] += vals
            s, partial = _sum_planned(vals)
            cells.append(f"{s:>13,}{'*' if partial else ' '}")
        totals = [i.budget.total for i in inits]
        grand_total += totals
        s, partial = _sum_planned(totals)
        lines.append(f"{p.id:<5} " + "".join(cells) + f"{s:>13,}{'*' if partial else ' '}")
    cells = []
    for y in years:
        s, partial = _sum_planned(grand[y])
        cells.append(f"{s:>13,}{'*' if partial else ' '}")
    s, partial = _sum_planned(grand_total)
    lines.append("計    " + "".join(cells) + f"{s:>13,}{'*' if partial else ' '}")
    undecided = sum(1 for i in plan.initiatives for v in i.budget.years.values() if v == UNDECIDED)
    blank = sum(1 for i in plan.initiatives for v in i.budget.years.values() if v is None)
    lines.append(f"* 空欄または「未定」を含む（空欄 {blank} か所・未定 {undecided} か所は0として数えていない）")
    return "\n".join(lines)
