"""Regenerate the SYNTHETIC sample submissions in inputs/ (not real figures) and inputs/README.md.

    python tools/make_samples.py [--out inputs] [--years 2021 2022 2023 2024 2025 2026] [--seed 20240301]
                                 [--faulty-year 2024]

Each year has the members of that year (the plan's membership and amendments), made with the plan that config
plans: sets for that year (FY2026: the synthetic next plan of tools/make_next_plan.py); the deliberately faulty
files are in the faulty year only, inputs/README.md describes every plan's years.

The output is byte-for-byte the same for the same plan, years and seed. Files already in the year folders that the
generator does not make are left alone (they may be real submissions) and listed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # samples/ lives beside the package, not in it

from samples.generator import FAULTY, make_demo_inputs, plans_of_years  # noqa: E402
from vision_report.core.config import load_settings  # noqa: E402
from vision_report.intake import synthetic_receipts  # noqa: E402
from vision_report.plan import load_plan  # noqa: E402

# Fixed modification times so that "newest file wins" is reproducible after a copy.
MTIME_BASE = 1_717_200_000  # 2024-06-01 09:00 JST


SYNTHETIC_NOTE = (
    "合成データ: サンプルの受付日時（実在の受付ではありません）。ファイルの内容がここの sha256 と同じときだけ、"
    "複製した時刻の代わりにこの日時を受付日時とします（vision_report/intake/synthetic_receipts.py）。"
)


def write_receipts(folder: Path, files: list[Path], settings, fiscal_year: int, seed: int) -> None:
    """The year's synthetic receipt times (issue 18 item 5): each member's file on a working day between 45 and 3
    days before the year's deadline, 9:00–17:00 Japan time, so that a fresh clone shows realistic times (not every
    member 期限後). Several files of one member keep their name order, one hour apart (newest wins as before)."""
    import random
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    rng = random.Random(seed * 10_000 + fiscal_year)
    deadline = settings.deadlines.for_year(fiscal_year)
    entries = {}
    by_member: dict[str, list[Path]] = {}
    for p in sorted(files, key=lambda p: p.name):
        by_member.setdefault(p.name.split("_", 1)[0], []).append(p)
    for member in sorted(by_member):
        day = deadline - timedelta(days=rng.randint(3, 45))
        while day.weekday() >= 5:  # a working day
            day -= timedelta(days=1)
        start = datetime.combine(day, time(9), ZoneInfo("Asia/Tokyo")) + timedelta(minutes=rng.randrange(0, 420, 5))
        for k, p in enumerate(by_member[member]):
            entries[p.name] = (synthetic_receipts.file_sha256(p), start + timedelta(hours=k))
    target = folder / synthetic_receipts.MANIFEST_NAME
    target.write_bytes(synthetic_receipts.manifest_bytes(SYNTHETIC_NOTE, entries))
    os.utime(target, (MTIME_BASE, MTIME_BASE))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="inputs", help="folder for <FY>/ (default: inputs)")
    ap.add_argument("--years", type=int, nargs="+", default=[2021, 2022, 2023, 2024, 2025, 2026], help="fiscal years")
    ap.add_argument("--seed", type=int, default=20240301, help="random seed (same seed, same bytes)")
    ap.add_argument("--faulty-year", type=int, default=2024, help="the year with the deliberately faulty files")
    args = ap.parse_args(argv)
    settings = load_settings()
    out = Path(args.out)
    groups = [(load_plan(d), ys) for d, ys in plans_of_years(settings, args.years).items()]
    paths, _later = make_demo_inputs(groups, out, args.seed, args.faulty_year)
    for p in paths:  # (a later mtime for a later plan's year would lie in the future: "still being written")
        os.utime(p, (MTIME_BASE, MTIME_BASE))
    panel = [out / str(fy) / name for fy in set(args.years) for name in settings.evaluation.coordinator_files]
    for p in panel:  # the sample 懇談会意見 and 総括所見 (samples/panel/), copied by make_sample_set
        if p.is_file():
            os.utime(p, (MTIME_BASE, MTIME_BASE))
    for fy in sorted(set(args.years)):
        write_receipts(out / str(fy), [p for p in paths if p.parent.name == str(fy)], settings, fy, args.seed)
    made = set(paths) | set(panel) | {out / str(fy) / synthetic_receipts.MANIFEST_NAME for fy in set(args.years)}
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
