"""The plain baseline: the same reading, checks, sums and one document per municipality, with only
pandas and python-docx (no Prefect, no Great Expectations, no archive, no feedback).

    python bench/baseline.py --root PROJECT --out DIR
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import unicodedata
from pathlib import Path

import pandas as pd
from docx import Document

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEAD = {
    "区分": "kind",
    "ID": "id",
    "項目名": "name",
    "実績値": "value",
    "単位": "unit",
    "実施状況": "status",
    "備考": "note",
    "市町村コード": "municipality",
    "年度": "fiscal_year",
}


def number(s: str) -> float | None:
    t = unicodedata.normalize("NFKC", s).strip().replace(",", "")
    neg = t[:1] in "▲△"
    t = t[1:] if neg else t
    try:
        return -float(t) if neg else float(t)
    except ValueError:
        return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    from vision_report.core.config import load_settings
    from vision_report.plan import load_plan

    plan = load_plan(load_settings(args.root).plan_dir)
    ids = {i.id for i in plan.initiatives} | {k.id for k in plan.kpis}
    frames = []
    for f in sorted((args.root / "inputs" / "2024").glob("*.csv")):
        data = f.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp932")
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        df = df.rename(columns=HEAD)
        df["code"] = f.name[:6]
        df["num"] = [number(v) for v in df["value"]]
        df["factor"] = df["unit"].map({"円": 0.001, "百万円": 1000}).fillna(1.0)
        frames.append(df)
    rows = pd.concat(frames, ignore_index=True)
    bad = rows[~rows["id"].isin(ids) | rows["num"].isna()]
    ok = rows[~rows["code"].isin(set(bad["code"]))].copy()
    ok["v"] = ok["num"] * ok["factor"]
    sums = ok.groupby("id")["v"].sum()
    args.out.mkdir(parents=True, exist_ok=True)
    sums.to_csv(args.out / "sums.csv")
    by_code = dict(tuple(ok.groupby("code")))
    (args.out / "municipalities").mkdir(exist_ok=True)
    for m in plan.municipalities:
        doc = Document()
        doc.add_heading(f"{m.name} 取組状況", level=0)
        mine = by_code.get(m.code)
        table = doc.add_table(rows=1, cols=3)
        table.rows[0].cells[0].text, table.rows[0].cells[1].text, table.rows[0].cells[2].text = "取組", "支出", "圏域"
        if mine is not None:
            for r in mine.itertuples():
                cells = table.add_row().cells
                cells[0].text, cells[1].text, cells[2].text = r.id, f"{r.v:,.0f}", f"{sums.get(r.id, 0):,.0f}"
        doc.save(args.out / "municipalities" / f"{m.code}.docx")
    with (args.out / "bad.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(bad[["code", "id", "value"]].values.tolist())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
