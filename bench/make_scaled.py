"""A synthetic project with N member municipalities taking part in the vision's same initiatives.

    python bench/make_scaled.py --members 1741 --out /tmp/scaled

Copies the real plan, replaces municipalities.csv with N synthetic members (valid check digits; the real
20 first), makes every initiative include all of them and every `all`-KPI sum over them, writes one
synthetic submission per member for FY2024 into <out>/inputs/2024/. Not real figures.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def check_digit(five: str) -> str:
    d = [int(c) for c in five]
    return str((11 - (6 * d[0] + 5 * d[1] + 4 * d[2] + 3 * d[3] + 2 * d[4]) % 11) % 10)


def build(members: int, out: Path, seed: int = 1, pdf: bool = False) -> Path:
    import sys

    sys.path.insert(0, str(ROOT))
    from samples.generator import STYLES, synthetic_rows, write_submission
    from vision_report.plan import load_plan

    if out.exists():
        shutil.rmtree(out)
    for part in ("config", "expectations", "templates"):
        shutil.copytree(ROOT / part, out / part)
    plan_dir = out / "plans" / "scaled"
    shutil.copytree(ROOT / "plans" / "kumamoto-2024-03", plan_dir)
    cfg = yaml.safe_load((out / "config" / "vision-report.yaml").read_text(encoding="utf-8"))
    # The PDF step (LibreOffice) is left out unless asked for: it converts the region report, whose ○ grids grow
    # with the number of members, so at 1,741 members it dominates the run and is not a cost per submission.
    cfg.setdefault("report", {})["pdf"] = bool(pdf)
    if "plans" in cfg:  # the same fiscal-year ranges, each on the scaled plan
        cfg["plans"] = [{**r, "plan": "plans/scaled"} for r in cfg["plans"]]
    else:
        cfg["plan"] = "plans/scaled"
    (out / "config" / "vision-report.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    real = (ROOT / "plans" / "kumamoto-2024-03" / "municipalities.csv").read_text(encoding="utf-8").splitlines()
    lines = list(real)
    k = 0
    while len(lines) - 1 < members:
        five = f"{10000 + k:05d}"
        k += 1
        lines.append(f"{five}{check_digit(five)},合成{k:04d}町,{1000 + k % 5000},{400 + k % 2000},10.0")
    (plan_dir / "municipalities.csv").write_text("\n".join(lines[: members + 1]) + "\n", encoding="utf-8")
    meta = yaml.safe_load((plan_dir / "plan.yaml").read_text(encoding="utf-8"))
    meta.pop("municipality_totals", None)
    (plan_dir / "plan.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    names = [ln.split(",")[1] for ln in lines[1 : members + 1]]
    for pf in sorted((plan_dir / "pillars").glob("*.yaml")):
        doc = yaml.safe_load(pf.read_text(encoding="utf-8"))
        for a in doc["areas"]:
            for i in a["initiatives"]:
                i["participants"] = names
        pf.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    plan = load_plan(plan_dir)
    inputs = out / "inputs" / "2024"
    for n, m in enumerate(plan.municipalities):
        rows = synthetic_rows(plan, m.code, 2024, random.Random(f"{seed}-{m.code}"))
        encoding, headers, number_style, newline, money = STYLES[n % len(STYLES)]
        p = write_submission(
            inputs / f"{m.code}_{m.name}.csv",
            rows,
            code=m.code,
            fiscal_year=2024,
            encoding=encoding,
            headers=headers,
            number_style=number_style,
            newline=newline,
            money_unit=money,
        )
        os.utime(p, (1_717_200_000, 1_717_200_000))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--members", type=int, default=1741)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    build(args.members, args.out)
    print(f"{args.members} members -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
