"""Regenerate the SYNTHETIC sample submissions in inputs/ (not real figures).

    python tools/make_samples.py [--out inputs] [--years 2021 2022 2023 2024] [--seed 20240301]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from vision_report.config import load_settings
from vision_report.plan import load_plan
from vision_report.samples import make_sample_set

# Fixed modification times (per year) so that "newest file wins" is reproducible after a copy.
MTIME_BASE = 1_717_200_000  # 2024-06-01 JST


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="inputs")
    ap.add_argument("--years", type=int, nargs="+", default=[2021, 2022, 2023, 2024])
    ap.add_argument("--seed", type=int, default=20240301)
    args = ap.parse_args()
    settings = load_settings()
    plan = load_plan(settings.plan_dir)
    paths = make_sample_set(plan, Path(args.out), args.years, args.seed)
    for p in paths:
        os.utime(p, (MTIME_BASE, MTIME_BASE))
    print(f"{len(paths)} files (synthetic) in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
