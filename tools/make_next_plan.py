"""Make the SYNTHETIC next plan (FY2026–2030, 合成データ — not the real next vision) THROUGH the plan workbook.

    python tools/make_next_plan.py [--id kumamoto-2026-synthetic] [--workbook FILE.xlsx] [--dry-run]

It takes the current plan, changes it the way a next vision plausibly would (24 members, the four members of
2025-03-27 in initiatives, an ended initiative and the renumbering after it, a renamed and a new initiative, budgets
for 2026–2030, KPIs continued with their predecessor, one KPI with a changed definition, one new KPI), writes that
as a plan workbook (vision-report plan export's format) and imports it exactly as the office would
(`vision-report plan import FILE --id ID --from-fiscal-year 2026`): plans/<ID>/ and config plans: are written by
the import, not by this script. The real next vision replaces it when the office imports the adopted text.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import sys
import tempfile
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from vision_report.core.atomic import write_bytes
from vision_report.core.config import load_settings
from vision_report.plan import load_plan
from vision_report.plan.models import UNDECIDED, Budget, Kpi, Membership, Municipality, Plan
from vision_report.plan.planbook import import_plan
from vision_report.plan.workbook import labels, workbook_bytes

FIRST, LAST = 2026, 2030
MARK = "合成データ"
NEW_MEMBERS = [("432041", "荒尾市"), ("433675", "南関町"), ("433683", "長洲町"), ("433691", "和水町")]
JOINED = date(2025, 3, 27)
ENDED = "1.1.2"  # 医療・介護・健康サービス産業支援: no budget since FY2023 in the vision; ended in the synthetic plan
RENAMED = {"3.15.2": "鉄道・バス交通の確保のための連携"}
# the four members' initiatives beyond those every member takes part in (synthetic)
EXTRA_PARTICIPATION = {"3.15.2": ["432041", "433683"], "3.22.1": ["432041", "433675", "433683", "433691"]}
NEW_INITIATIVE_AREA = "3.22"
NEW_SERIES = "transit_riders"  # the definition changes (千人/年 -> 人/日): a new series
NEW_KPI = Kpi(
    id="online_procedures",
    name="圏域共同で提供するオンライン手続の数",
    measures="3C",
    unit="件",
    baseline=12,
    baseline_year=2024,
    target=40,
    direction="increase",
    reporters=("431001",),
    reporters_all=False,
    source=f"{MARK}（熊本市調べを想定）",
)
DESCRIPTION = (
    f"{MARK}：実在の計画ではありません。次期ビジョン（2026〜2030年度）の取り込みと初年度の報告書を示すため、"
    "tools/make_next_plan.py が現行ビジョンをもとに作った架空の計画です。"
)


def _budget(b: Budget, k: int) -> Budget:
    """Five synthetic years from the vision's last printed year (+2% a year); blanks and 未定 stay."""
    last = b.years.get(max(b.years)) if b.years else None
    years: dict = {}
    for n, fy in enumerate(range(FIRST, LAST + 1)):
        if isinstance(last, int):
            years[fy] = round(last * (1.02**n) * (1 + (k % 3) * 0.01))
        else:
            years[fy] = last if last == UNDECIDED else None
    total = sum(years.values()) if all(isinstance(v, int) for v in years.values()) else None
    return Budget(years=years, total=total)


def _kpi(k: Kpi, all_codes: tuple[str, ...]) -> Kpi:
    span = k.target - k.baseline
    reporters = all_codes if k.reporters_all else k.reporters
    if k.id == NEW_SERIES:
        return dataclasses.replace(
            k,
            name="公共交通機関の一日あたり利用者数",
            unit="人/日",
            baseline=124_600,
            baseline_year=2024,
            baseline_year_label=None,
            target=150_000,
            target_label=None,
            reporters=reporters,
            predecessor=k.id,
            new_series=True,
            notes=f"{MARK}：定義を年間の利用者（千人/年）から一日あたりの利用者（人/日）に変更。",
        )
    if k.direction == "at_least":
        baseline, target = k.target, k.target
    else:
        baseline, target = k.baseline + span * 0.8, k.target + span * 0.5
    return dataclasses.replace(
        k,
        baseline=float(round(baseline)),
        baseline_year=2024,
        baseline_year_label=None,
        target=float(round(target)),
        target_label=None,
        notes=None,
        source_line=None,
        reporters=reporters,
        predecessor=k.id,
    )


def next_plan(old: Plan, plan_id: str) -> Plan:
    """The synthetic next plan (a Plan in memory; it becomes a workbook, then plans/<ID>/ through the import)."""
    base = list(old.basis_members)
    munis = base + [Municipality(code=c, name=n) for c, n in NEW_MEMBERS]
    memberships = {m.code: dataclasses.replace(old.membership(m.code), last_fiscal_year=None) for m in base}
    memberships.update({c: Membership(code=c, joined=JOINED, first_fiscal_year=2025) for c, _n in NEW_MEMBERS})
    order = {m.code: n for n, m in enumerate(munis)}
    all_codes = tuple(m.code for m in munis)
    old_base = {m.code for m in base}

    areas, initiatives = [], []
    for area in old.areas:
        ids = []
        kept = [i for i in old.area_initiatives(area.id) if i.id != ENDED]
        for n, ini in enumerate(kept, start=1):
            new_id = f"{area.id}.{n}"
            participants = set(ini.participants)
            if old_base <= participants:
                participants |= {c for c, _n in NEW_MEMBERS}
            participants |= set(EXTRA_PARTICIPATION.get(ini.id, []))
            initiatives.append(
                dataclasses.replace(
                    ini,
                    id=new_id,
                    number=n,
                    name=RENAMED.get(ini.id, ini.name),
                    participants=tuple(sorted(participants, key=order.__getitem__)),
                    budget=_budget(ini.budget, len(initiatives)),
                    predecessor=ini.id,
                    source_line=None,
                    schedule=tuple(s for s in ini.schedule),
                )
            )
            ids.append(new_id)
        if area.id == NEW_INITIATIVE_AREA:
            n = len(ids) + 1
            template = initiatives[-1]
            initiatives.append(
                dataclasses.replace(
                    template,
                    id=f"{area.id}.{n}",
                    number=n,
                    name="行政手続のオンライン化の共同推進",
                    participants=all_codes,
                    budget=Budget(years=dict.fromkeys(range(FIRST, LAST + 1), 3000), total=15000),
                    description=f"{MARK}：圏域の市町村が共同で行政手続のオンライン化を進め、住民が住所地に関わらず同じ手続を使えるようにする。",
                    role_kumamoto="共同利用のシステムを調達し、運用の事務局を担う。",
                    role_neighbours="対象手続の選定と、住民への周知を行う。",
                    cost_sharing="システムの調達・運用に要する費用は、熊本市が負担する（合成データ）。",
                    schedule=("対象手続の選定", "共同利用システムの運用"),
                    subsidies=None,
                    effects="住民の利便性の向上と、市町村の事務の効率化を図る。",
                    predecessor=None,
                    lead=None,
                )
            )
            ids.append(f"{area.id}.{n}")
        areas.append(dataclasses.replace(area, initiative_ids=tuple(ids), source_line=None))
    pillars = tuple(dataclasses.replace(p, source_line=None) for p in old.pillars)
    kpis = tuple(_kpi(k, all_codes) for k in old.kpis) + (NEW_KPI,)
    meta = dataclasses.replace(
        old.meta,
        id=plan_id,
        title=f"第2期熊本連携中枢都市圏ビジョン（{MARK}）",
        revision=f"2026年3月策定（{MARK}）",
        first_fiscal_year=FIRST,
        last_fiscal_year=LAST,
        period_note=f"2026年4月1日から2031年3月31日までの5年間（{MARK}）",
    )
    return Plan(
        meta=meta,
        municipalities=tuple(munis),
        pillars=pillars,
        subfields=old.subfields,
        areas=tuple(areas),
        initiatives=tuple(initiatives),
        kpis=kpis,
        memberships=memberships,
        amendments=(),
    )


def next_plan_workbook(old: Plan, plan_id: str, templates: Path) -> bytes:
    """The workbook the office would fill in for the next plan (synthetic)."""
    data = workbook_bytes(next_plan(old, plan_id), templates)
    wb = load_workbook(io.BytesIO(data))
    lab = labels(templates)
    ws = wb[lab["sheets"]["plan"]]
    fields = lab["plan_fields"]
    values = {
        fields["published"]: "2026-03",
        fields["description"]: DESCRIPTION,
        fields["source"]: f"{MARK}（tools/make_next_plan.py。実在の計画ではない）",
        fields["budget_unit"]: "千円",
    }
    for row in ws.iter_rows(min_row=2):
        if row[0].value in values:
            row[1].value = values[row[0].value]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--id", default="kumamoto-2026-synthetic", help="plan id (folder under plans/)")
    ap.add_argument("--workbook", help="also keep the generated workbook here (.xlsx)")
    ap.add_argument("--root", help="project folder (default: the one holding config/vision-report.yaml)")
    ap.add_argument("--dry-run", action="store_true", help="check the workbook only")
    args = ap.parse_args(argv)
    settings = load_settings(Path(args.root) if args.root else None)
    old = load_plan(settings.plan_dir_for(FIRST - 1))
    data = next_plan_workbook(old, args.id, settings.root / "templates")
    with tempfile.TemporaryDirectory() as d:
        path = Path(args.workbook) if args.workbook else Path(d) / f"{args.id}_{MARK}.xlsx"
        write_bytes(path, data)
        code, lines = import_plan(settings, path, args.id, FIRST, args.dry_run)
    print("\n".join(lines), file=sys.stderr if code else sys.stdout)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
