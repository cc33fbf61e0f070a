"""What the reports say about each initiative's 自己評価, 今後の方向性 and texts (取組実績・成果・課題).

Pure steps, DataFrame in, DataFrame out: the accepted rows of a fiscal year (docs/interface.md §2: the optional
columns result_text, outcome_text, challenge_text, direction, self_evaluation; "" where a municipality wrote
nothing) are counted per initiative, per policy area / sub-field / pillar and per municipality. Rows without those
columns (submissions from before the columns existed) count as rows with nothing written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from vision_report.plan import Plan

TEXT_COLUMNS = ("result_text", "outcome_text", "challenge_text")
CHOICE_COLUMNS = ("direction", "self_evaluation")
EXPENDITURE = "expenditure"


def with_text_columns(rows: pd.DataFrame | None) -> pd.DataFrame:
    """The rows with every text and choice column present as strings ("" where empty or absent)."""
    out = (rows if rows is not None else pd.DataFrame(columns=["municipality_code", "kind", "item_id"])).copy()
    for col in (*TEXT_COLUMNS, *CHOICE_COLUMNS):
        if col not in out.columns:
            out[col] = ""
        elif not _plain_strings(out[col]):
            out[col] = out[col].where(out[col].notna(), "").astype(str)
    return out


def _plain_strings(col: pd.Series) -> bool:
    """Strings only, none missing: nothing to convert (the reports pass the same rows again, per initiative)."""
    if col.isna().any():
        return False
    if isinstance(col.dtype, pd.StringDtype):
        return True
    return col.dtype == object and pd.api.types.infer_dtype(col, skipna=False) in ("string", "empty")


def expenditure_rows(rows: pd.DataFrame | None) -> pd.DataFrame:
    out = with_text_columns(rows)
    return out[out["kind"] == EXPENDITURE].reset_index(drop=True)


def _groups(df: pd.DataFrame, column: str) -> dict[str, pd.DataFrame]:
    """``df``'s rows by the value of ``column`` (each group in the frame's row order)."""
    return {str(k): g for k, g in df.groupby(column, sort=False)}


def same_text_key(text: str) -> str:
    """Two texts that differ only in spaces, tabs or line breaks (also full-width spaces) are the same text."""
    return "".join(str(text).split())


def initiative_counts(
    plan: Plan, rows: pd.DataFrame | None, fiscal_year: int, grades: Sequence[str], directions: Sequence[str]
) -> pd.DataFrame:
    """One row per initiative (plan order): ``expected`` participants of the year, ``reported`` (a row
    received), ``evaluated`` (自己評価 given), ``directed`` (今後の方向性 given), one column ``grade_<g>`` per grade
    and ``direction_<d>`` per direction (in the configured order)."""
    exp = expenditure_rows(rows)
    by_item = _groups(exp, "item_id")  # one pass: a filter per initiative over every row is quadratic at scale
    out = []
    for ini in plan.initiatives_in(fiscal_year):
        expected = set(plan.participants(ini.id, fiscal_year))
        part = by_item.get(ini.id, exp.iloc[0:0])
        mine = part[part["municipality_code"].isin(expected)]
        ev = mine["self_evaluation"].str.strip()
        di = mine["direction"].str.strip()
        rec: dict[str, object] = {
            "initiative_id": ini.id,
            "area_id": ini.area_id,
            "expected": len(expected),
            "reported": int(mine["municipality_code"].nunique()),
            "evaluated": int((ev != "").sum()),
            "directed": int((di != "").sum()),
        }
        rec.update({f"grade_{g}": int((ev == g).sum()) for g in grades})
        rec.update({f"direction_{d}": int((di == d).sum()) for d in directions})
        out.append(rec)
    cols = ["initiative_id", "area_id", "expected", "reported", "evaluated", "directed"]
    cols += [f"grade_{g}" for g in grades] + [f"direction_{d}" for d in directions]
    return pd.DataFrame(out, columns=cols)


def disagrees(grades_by_status: Mapping[str, Sequence[str]], status: str, grade: str) -> bool:
    """A self-evaluation outside the grades that agree with its 実施状況 by the criteria (config
    evaluation.grades_by_status: e.g. 一部実施 with B, where C means 一部のみ実施); nothing to say without both."""
    agree = grades_by_status.get(status)
    return bool(status and grade and agree is not None and grade not in agree)


def status_grade_counts(plan: Plan, rows: pd.DataFrame | None, fiscal_year: int) -> pd.DataFrame:
    """The participants' answers of the year (each expenditure row of a participant of the initiative, as
    :func:`initiative_counts` counts them) by 実施状況 and 自己評価: columns ``status``, ``self_evaluation`` ("" where
    none was given) and ``answers``, sorted by the two."""
    exp = expenditure_rows(rows)
    pairs = pd.DataFrame(
        [(code, ini.id) for ini in plan.initiatives_in(fiscal_year) for code in plan.participants(ini.id, fiscal_year)],
        columns=["municipality_code", "item_id"],
    )
    mine = exp.merge(pairs, on=["municipality_code", "item_id"], how="inner")
    status = mine["status"] if "status" in mine.columns else pd.Series("", index=mine.index)
    keys = pd.DataFrame(
        {
            "status": status.where(status.notna(), "").astype(str).str.strip(),
            "self_evaluation": mine["self_evaluation"].str.strip(),
        }
    )
    out = keys.groupby(["status", "self_evaluation"], sort=True).size().rename("answers").reset_index()
    return out.astype({"answers": "int64"})[["status", "self_evaluation", "answers"]]


def status_disagreements(
    counts: pd.DataFrame, grades_by_status: Mapping[str, Sequence[str]], grades: Sequence[str]
) -> list[tuple[str, str, int]]:
    """The answers whose 自己評価 disagrees with their 実施状況 (:func:`disagrees`): (status, grade, answers), the
    statuses in the order of grades_by_status and the grades in the configured order; pairs with answers only."""
    n = {(str(r.status), str(r.self_evaluation)): int(r.answers) for r in counts.itertuples()}
    return [
        (s, g, n[(s, g)])
        for s in grades_by_status
        for g in grades
        if disagrees(grades_by_status, s, g) and n.get((s, g), 0)
    ]


def blank_answers(counts: pd.DataFrame, status: str) -> int:
    """The answers with the 実施状況 ``status`` and no 自己評価."""
    hit = counts[(counts["status"] == status) & (counts["self_evaluation"] == "")]
    return int(hit["answers"].sum())


def good_share(plan: Plan, counts: pd.DataFrame, good_grades: Sequence[str]) -> pd.DataFrame:
    """Per pillar, sub-field and policy area (each pillar, then
    each of its sub-fields followed by that sub-field's areas, then the pillar's areas outside a sub-field): the
    self-evaluations given (``evaluated``), how many of them are good grades (``good``, config
    evaluation.good_grades) and ``good_pct`` (NaN where none was given)."""
    good_cols = [f"grade_{g}" for g in good_grades]
    by_area = counts.groupby("area_id", sort=False)[["evaluated", *good_cols]].sum()
    rows = []

    def add(level: str, node: str, name: str, area_ids: Sequence[str]) -> None:
        part = by_area.reindex(list(area_ids)).fillna(0)
        evaluated = int(part["evaluated"].sum())
        good = int(part[good_cols].to_numpy().sum()) if good_cols else 0
        pct = good / evaluated * 100 if evaluated else float("nan")
        rows.append({"level": level, "id": node, "name": name, "evaluated": evaluated, "good": good, "good_pct": pct})

    for pillar in plan.pillars:
        add("pillar", str(pillar.id), pillar.name, pillar.area_ids)
        placed: set[str] = set()
        for sid in pillar.subfield_ids:  # each sub-field followed by its own areas (review 3 #1)
            sub = plan.subfield(sid)
            add("subfield", sid, sub.name, sub.area_ids)
            for aid in [a for a in pillar.area_ids if a in sub.area_ids and a not in placed]:
                add("area", aid, plan.area(aid).name, [aid])
                placed.add(aid)
        for aid in [a for a in pillar.area_ids if a not in placed]:  # areas outside any sub-field
            add("area", aid, plan.area(aid).name, [aid])
    return pd.DataFrame(rows, columns=["level", "id", "name", "evaluated", "good", "good_pct"])


def municipality_summary(
    plan: Plan, rows: pd.DataFrame | None, fiscal_year: int, grades: Sequence[str], good_grades: Sequence[str]
) -> pd.DataFrame:
    """One row per member of the year (plan order): its ``initiatives`` of the year, how many it ``reported`` (a row
    received in an accepted file), ``evaluated`` (with 自己評価), ``with_result`` (with 取組実績), one column
    ``grade_<g>`` per grade, and ``good`` (good grades)."""
    exp = expenditure_rows(rows)
    members = plan.members(fiscal_year)
    own = {m.code: [i.id for i in plan.initiatives_of(m.code, fiscal_year)] for m in members}
    pairs = pd.DataFrame(
        [(code, item) for code, ids in own.items() for item in ids], columns=["municipality_code", "item_id"]
    )
    # one pass over the rows (a filter per member is quadratic: 165 s at 1,741 members)
    mine = exp.merge(pairs, on=["municipality_code", "item_id"], how="inner")
    ev = mine["self_evaluation"].str.strip()
    flags = pd.DataFrame(
        {
            "municipality_code": mine["municipality_code"],
            "evaluated": (ev != "").astype(int),
            "with_result": (mine["result_text"].str.strip() != "").astype(int),
            **{f"grade_{g}": (ev == g).astype(int) for g in grades},
            "good": ev.isin(list(good_grades)).astype(int),
        }
    )
    sums = flags.groupby("municipality_code", sort=False).sum()
    reported = mine.groupby("municipality_code", sort=False)["item_id"].nunique()
    codes = [m.code for m in members]
    out = pd.DataFrame(
        {
            "municipality_code": codes,
            "municipality_name": [m.name for m in members],
            "initiatives": [len(own[c]) for c in codes],
            "reported": reported.reindex(codes, fill_value=0).astype(int).to_numpy(),
        }
    )
    for col in ["evaluated", "with_result", *[f"grade_{g}" for g in grades], "good"]:
        out[col] = sums[col].reindex(codes, fill_value=0).astype(int).to_numpy() if len(sums) else 0
    cols = ["municipality_code", "municipality_name", "initiatives", "reported", "evaluated", "with_result"]
    return out[[*cols, *[f"grade_{g}" for g in grades], "good"]]


def initiative_texts(plan: Plan, rows: pd.DataFrame | None, initiative_id: str, fiscal_year: int) -> pd.DataFrame:
    """The texts printed under one initiative: the lead's (plan.lead_of) first, then the other participants' texts
    that add something — non-empty, not the lead's text of the same column, and each distinct text once (the names
    of every participant that wrote it joined, in plan order).

    Columns: ``column`` (result_text / outcome_text / challenge_text), ``lead`` (bool), ``codes`` (tuple of
    municipality codes), ``names`` (tuple of names), ``text`` (as written, line breaks kept; the first writer's
    wording)."""
    return prepared_initiative_texts(plan, expenditure_rows(rows), initiative_id, fiscal_year)


def prepared_initiative_texts(plan: Plan, exp: pd.DataFrame, initiative_id: str, fiscal_year: int) -> pd.DataFrame:
    """:func:`initiative_texts` of rows already made by :func:`expenditure_rows` (a report's rows of one initiative,
    ReportData.initiative_rows: prepared once for the whole report, not again for every initiative)."""
    participants = plan.participants(initiative_id, fiscal_year)
    order = {c: k for k, c in enumerate(participants)}
    # the participants' rows of the initiative in plan order (a member's rows in the frame's order), as plain lists:
    # a report asks this for every initiative, and pandas' per-call overhead was most of its time
    of_initiative = (exp["item_id"] == initiative_id).fillna(False).astype(bool).tolist()  # a missing id: not it
    columns = {col: exp[col].tolist() for col in ("municipality_code", *TEXT_COLUMNS)}
    picked = sorted(
        (order[code], k)
        for k, (code, hit) in enumerate(zip(columns["municipality_code"], of_initiative, strict=True))
        if hit and code in order
    )
    mine_codes = [columns["municipality_code"][k] for _, k in picked]
    texts = {col: [columns[col][k] for _, k in picked] for col in TEXT_COLUMNS}
    lead = plan.lead_of(initiative_id)
    first_lead = next((i for i, code in enumerate(mine_codes) if code == lead), None)
    out: list[dict[str, object]] = []
    for col in TEXT_COLUMNS:
        lead_text = str(texts[col][first_lead]).strip() if first_lead is not None else ""
        if lead_text:
            name = plan.municipality(lead).name
            out.append({"column": col, "lead": True, "codes": (lead,), "names": (name,), "text": lead_text})
    for col in TEXT_COLUMNS:
        lead_key = same_text_key(texts[col][first_lead]) if first_lead is not None else ""
        seen: dict[str, dict[str, object]] = {}
        for code, text in zip(mine_codes, texts[col], strict=True):
            key = same_text_key(text)
            if code == lead or not key or key == lead_key:
                continue
            if key in seen:
                entry = seen[key]
                entry["codes"] = (*entry["codes"], code)  # type: ignore[misc]
                entry["names"] = (*entry["names"], plan.municipality(code).name)  # type: ignore[misc]
                continue
            entry = {
                "column": col,
                "lead": False,
                "codes": (code,),
                "names": (plan.municipality(code).name,),
                "text": str(text).strip(),
            }
            seen[key] = entry
            out.append(entry)
    return pd.DataFrame(out, columns=["column", "lead", "codes", "names", "text"])


def own_evaluations(plan: Plan, rows: pd.DataFrame | None, code: str, fiscal_year: int) -> pd.DataFrame:
    """One municipality's initiatives of the year (plan order) with what it wrote: ``reported`` (bool), the
    self-evaluation, the direction and the three texts ("" where nothing was written), and its 実施状況 (``status``,
    "" where none was given)."""
    exp = expenditure_rows(rows)
    mine = exp[exp["municipality_code"] == code]
    # the member's first row of each initiative, as plain values (a report per member: pandas' per-cell lookups
    # were most of this step's time)
    cols = [*CHOICE_COLUMNS, *TEXT_COLUMNS, *(("status",) if "status" in mine.columns else ())]
    first: dict[object, dict[str, object]] = {}
    for item, *values in zip(mine["item_id"].tolist(), *(mine[c].tolist() for c in cols), strict=True):
        first.setdefault(item, dict(zip(cols, values, strict=True)))
    out = []
    for ini in plan.initiatives_of(code, fiscal_year):
        row = first.get(ini.id)
        rec: dict[str, object] = {"initiative_id": ini.id, "name": ini.name, "reported": row is not None}
        for col in (*CHOICE_COLUMNS, *TEXT_COLUMNS):
            rec[col] = str(row[col]).strip() if row is not None else ""
        status = row.get("status") if row is not None else None
        rec["status"] = str(status).strip() if isinstance(status, str) else ""
        out.append(rec)
    return pd.DataFrame(out, columns=["initiative_id", "name", "reported", *CHOICE_COLUMNS, *TEXT_COLUMNS, "status"])
