"""Compare the independent manual transcription (docs/xcheck/*.csv) with the plan data.

    python tools/compare_xcheck.py [docs/xcheck/*.csv]

Each CSV row: id, participants (20 characters of 1/0 in the vision's municipality order), b2021..b2025, btotal.
Prints every difference; exit 1 if there is any.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vision_report.core.config import load_settings  # noqa: E402
from vision_report.plan import Plan, load_plan  # noqa: E402


def _num(v: str):
    v = (v or "").strip().replace(",", "")
    if v == "":
        return None
    if v == "未定":
        return "未定"
    return int(float(v))


def compare(plan: Plan, files: list[Path]) -> tuple[int, list[str]]:
    order = [m.code for m in plan.basis_members]  # the vision's own ○ grid (members added later are not in it)
    diffs: list[str] = []
    n = 0
    for f in files:
        for r in csv.DictReader(f.open(encoding="utf-8-sig")):
            n += 1
            iid = r["id"].strip()
            if not plan.has_initiative(iid):
                diffs.append(f"{f.name}: {iid} is not in the plan")
                continue
            ini = plan.initiative(iid)
            mine = "".join("1" if c in ini.participants else "0" for c in order)
            if mine != r["participants"].strip():
                diffs.append(f"{iid}: participants plan={mine} xcheck={r['participants'].strip()}")
            plan_budget = [ini.budget.planned(y) for y in plan.meta.fiscal_years] + [ini.budget.total]
            theirs = [_num(r[k]) for k in ("b2021", "b2022", "b2023", "b2024", "b2025", "btotal")]
            if plan_budget != theirs:
                diffs.append(f"{iid}: budget plan={plan_budget} xcheck={theirs}")
    return n, diffs


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or sorted((ROOT / "docs" / "xcheck").glob("*.csv"))
    plan = load_plan(load_settings(ROOT).plans[0].plan_dir)  # docs/xcheck/ transcribes the vision (the first plan)
    n, diffs = compare(plan, files)
    for d in diffs:
        print(d)
    print(f"{n} initiatives compared, {len(diffs)} differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
