"""Regenerate the SYNTHETIC sample submissions in inputs/ (not real figures) and inputs/README.md.

    python tools/make_samples.py [--out inputs] [--years 2021 2022 2023 2024 2025] [--seed 20240301]
                                 [--faulty-year 2024]

Each year has the members of that year (the plan's membership and amendments).

The output is byte-for-byte the same for the same plan, years and seed. Files already in the year folders that the
generator does not make are left alone (they may be real submissions) and listed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # samples/ lives beside the package, not in it

from samples.generator import FAULTY, make_sample_set  # noqa: E402
from vision_report.core.config import load_settings  # noqa: E402
from vision_report.plan import load_plan  # noqa: E402

# Fixed modification times so that "newest file wins" is reproducible after a copy.
MTIME_BASE = 1_717_200_000  # 2024-06-01 09:00 JST


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="inputs", help="folder for <FY>/ (default: inputs)")
    ap.add_argument("--years", type=int, nargs="+", default=[2021, 2022, 2023, 2024, 2025], help="fiscal years")
    ap.add_argument("--seed", type=int, default=20240301, help="random seed (same seed, same bytes)")
    ap.add_argument("--faulty-year", type=int, default=2024, help="the year with the deliberately faulty files")
    args = ap.parse_args(argv)
    settings = load_settings()
    plan = load_plan(settings.plan_dir)
    out = Path(args.out)
    paths = make_sample_set(plan, out, sorted(set(args.years)), args.seed, faulty_year=args.faulty_year)
    for p in paths:
        os.utime(p, (MTIME_BASE, MTIME_BASE))
    panel = [out / str(fy) / settings.evaluation.panel_opinions_file for fy in set(args.years)]
    for p in panel:  # the sample ビジョン懇談会 opinions (samples/panel/), copied by make_sample_set
        if p.is_file():
            os.utime(p, (MTIME_BASE, MTIME_BASE))
    made = set(paths) | set(panel)
    others = sorted(p for fy in set(args.years) for p in (out / str(fy)).iterdir() if p.is_file() and p not in made)
    print(
        f"{len(paths)} files (synthetic, not real figures) in {out}; "
        f"deliberately faulty in FY{args.faulty_year}: {', '.join(FAULTY)}"
    )
    for p in others:
        print(f"note: {p} was not made by this generator and was left as it is")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
