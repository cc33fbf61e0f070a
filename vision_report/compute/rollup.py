"""Roll-ups of one fiscal year per pillar, sub-field and policy area in document order: the KPIs measuring each
node and the budget of the initiatives below it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vision_report.compute.common import GRADES, _pct, _sum_or_nan
from vision_report.plan import Plan

ROLLUP_COLUMNS = [
    "level",
    "id",
    "name",
    "kpi_ids",
    "kpi_inherited",
    "kpi_attainment_mean",
    "rating_A",
    "rating_B",
    "rating_C",
    "rating_D",
    "rating_none",
    "planned_thousand_yen",
    "actual_thousand_yen",
    "execution_pct",
    "initiatives",
    "initiatives_implemented",
]


def _rollup_nodes(plan: Plan) -> list[tuple[str, str, str, tuple[str, ...], tuple[str, ...]]]:
    """(level, id, name, node ids at or below, initiative ids below) in document order: each pillar, then its
    areas in order, a sub-field's row coming just before its first area (1, 1.1–1.3, 2, 2.1–2.3, 3, 3A, 3.1–3.14,
    3B, 3.15–3.20, 3C, 3.21–3.22). A sub-field without areas follows its pillar's areas."""
    nodes = []

    def initiatives(area_ids) -> tuple[str, ...]:
        return tuple(i for a in area_ids for i in plan.area(a).initiative_ids)

    for p in plan.pillars:
        pid = str(p.id)
        nodes.append(("pillar", pid, p.name, (pid, *p.subfield_ids, *p.area_ids), initiatives(p.area_ids)))
        sequence: list[tuple[str, str]] = []  # (level, id) below the pillar
        for aid in p.area_ids:
            sid = plan.area(aid).subfield
            if sid and ("subfield", sid) not in sequence:
                sequence.append(("subfield", sid))
            sequence.append(("area", aid))
        sequence += [("subfield", sid) for sid in p.subfield_ids if ("subfield", sid) not in sequence]
        for level, nid in sequence:
            if level == "subfield":
                s = plan.subfield(nid)
                nodes.append(("subfield", nid, s.name, (nid, *s.area_ids), initiatives(s.area_ids)))
            else:
                nodes.append(("area", nid, plan.area(nid).name, (nid,), initiatives((nid,))))
    return nodes


def rollup(plan: Plan, kpi_result: pd.DataFrame, budget_result: pd.DataFrame) -> pd.DataFrame:
    """One row per pillar, sub-field and policy area in document order (see ``_rollup_nodes``).

    KPIs of a node: those measuring the node or anything below it, in plan order. A node with none shows the KPIs
    measuring its nearest parent that has some of its own — for an area its sub-field, then its pillar; for a
    sub-field its pillar — with kpi_inherited=True. kpi_attainment_mean and the rating counts are over the KPIs
    shown ("-" counts as rating_none). Budget figures are NaN-skipping sums over the initiatives below (so spend on
    initiatives whose plan is 未定/blank counts in actual but not in planned); execution_pct = actual / planned × 100
    (NaN if planned is 0 or NaN); initiatives_implemented counts implemented_by_all.
    """
    kres = kpi_result.set_index("kpi_id")
    bres = budget_result.set_index("initiative_id")

    def kpis_measuring(node_ids) -> list[str]:
        wanted = set(node_ids)
        return [k.id for k in plan.kpis if k.measures in wanted]

    records = []
    for level, nid, name, scope, inits in _rollup_nodes(plan):
        kids, inherited = kpis_measuring(scope), False
        if not kids:
            if level == "area":
                parents = plan.parent_nodes(nid)
            else:
                parents = (str(plan.subfield(nid).pillar),) if level == "subfield" else ()
            for parent in parents:
                kids = kpis_measuring((parent,))
                if kids:
                    inherited = True
                    break
        k = kres.reindex(kids)
        ratings = k["rating"].tolist()
        att = pd.to_numeric(k["attainment_pct"], errors="coerce").dropna()
        inits = tuple(i for i in inits if i in bres.index)  # those that run this year (amendments add and end some)
        b = bres.reindex(list(inits))
        planned = _sum_or_nan(b["planned_thousand_yen"])
        actual = _sum_or_nan(b["actual_thousand_yen"])
        records.append(
            [
                level,
                nid,
                name,
                ";".join(kids),
                inherited,
                float(att.mean()) if len(att) else np.nan,
                *(ratings.count(g) for g in GRADES),
                sum(1 for r in ratings if r not in GRADES),
                planned,
                actual,
                _pct(actual, planned),
                len(inits),
                int(b["implemented_by_all"].eq(True).sum()),
            ]
        )
    return pd.DataFrame(records, columns=ROLLUP_COLUMNS).astype(
        {
            "kpi_inherited": "bool",
            "kpi_attainment_mean": "float64",
            "rating_A": "int64",
            "rating_B": "int64",
            "rating_C": "int64",
            "rating_D": "int64",
            "rating_none": "int64",
            "planned_thousand_yen": "float64",
            "actual_thousand_yen": "float64",
            "execution_pct": "float64",
            "initiatives": "int64",
            "initiatives_implemented": "int64",
        }
    )
