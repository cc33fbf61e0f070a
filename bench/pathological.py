"""Benchmark: one pathological submission (an Excel fill-down accident, 200,000 copies of one row) must cost
seconds, not minutes, and must not change how the other files of the year are handled.

    python bench/pathological.py [--repeat 3] [--rows 200000] [--xlsx] [--full-run]

Measures (medians of --repeat):
- `vision-report check FILE` as a whole process on a normal file and on the fill-down file (CSV; with
  --xlsx also the same rows as .xlsx);
- the year's intake and validation (collect, read, validate: what `run` does before computing) on the
  synthetic sample inputs/2024, without and with the fill-down file among them, and whether every other
  file got the same status;
- with --full-run, the whole `vision-report run` once without and once with the file.
Not a test: this machine is shared and noisy; the point is seconds against the 100 s and 20+ min of issue 12.
The data are synthetic.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

HEADER = ["区分", "ID", "項目名", "実績値", "単位", "実施状況", "備考", "市町村コード", "年度"]
GOOD = ROOT / "tests" / "fixtures" / "submissions" / "good" / "434337_南阿蘇村.csv"


def filldown_csv(path: Path, rows: int) -> None:
    """The good file, then its births row copied down ``rows`` times (short rows: the file stays under 5 MB)."""
    text = GOOD.read_bytes().decode("utf-8-sig")
    buf = io.StringIO()
    buf.write(text)
    w = csv.writer(buf, lineterminator="\r\n")
    row = ["KPI", "births", "", "61", "人", "", "", "", ""]
    for _ in range(rows - (len(text.splitlines()) - 1)):
        w.writerow(row)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))


def filldown_xlsx(path: Path, rows: int, *, sized: bool = True) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("提出データ")
    ws.append(HEADER)
    for r in csv.reader(io.StringIO(GOOD.read_bytes().decode("utf-8-sig"))):
        if r and r[0] != "区分":
            ws.append(r)
    row = ["KPI", "births", None, 61, "人", None, None, None, None]
    for _ in range(rows):
        ws.append(row)
    wb.save(path)
    if sized:  # Excel writes the sheet's size (<dimension>) first; openpyxl's write-only mode does not
        import zipfile

        src = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                part = zin.read(info.filename)
                if info.filename.startswith("xl/worksheets/"):
                    dim = f'<dimension ref="A1:I{rows + 65}"/>'.encode()
                    part = part.replace(b"<sheetViews>", dim + b"<sheetViews>", 1)
                zout.writestr(info, part)


def check_seconds(path: Path, env: dict) -> tuple[float, int, str]:
    t = time.perf_counter()
    r = subprocess.run(
        [str(BIN / "vision-report"), "check", str(path), "--fiscal-year", "2024"],
        env=env,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - t, r.returncode, (r.stdout.strip().splitlines() or [""])[-1]


def year_validation(inputs: Path, archive: Path) -> tuple[float, dict[str, str]]:
    from vision_report.core.config import load_settings
    from vision_report.plan import load_plan
    from vision_report.screening.screen import collect, screen

    settings = load_settings(ROOT)
    plan = load_plan(settings.plan_dir)
    t = time.perf_counter()
    year = screen(collect(settings, plan, 2024, inputs, archive), plan, 2024, settings)
    return time.perf_counter() - t, {r.name: r.status for r in year.received}


def age(folder: Path) -> None:
    old = time.time() - 3600
    for p in folder.rglob("*"):
        os.utime(p, (old, old))


def newer(inputs: Path, extra: Path | None) -> None:
    """The fill-down file arrives after 南阿蘇村's sample, so it is the one used (and read)."""
    if extra is not None:
        t = time.time() - 1800
        os.utime(inputs / "2024" / extra.name, (t, t))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--xlsx", action="store_true", help="also a fill-down .xlsx")
    ap.add_argument("--full-run", action="store_true", help="also the whole `vision-report run`, once each")
    args = ap.parse_args()
    env = dict(os.environ, VISION_REPORT_HOME=str(ROOT), GX_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    with tempfile.TemporaryDirectory(prefix="vr-patho-") as tmp_s:
        tmp = Path(tmp_s)
        env["PREFECT_HOME"] = str(tmp / "prefect")
        bad = tmp / "434337_南阿蘇村_フィルダウン.csv"
        filldown_csv(bad, args.rows)
        files = {"normal CSV (65 rows)": GOOD, f"fill-down CSV ({args.rows:,} rows)": bad}
        if args.xlsx:
            bx = tmp / "434337_南阿蘇村_フィルダウン.xlsx"
            filldown_xlsx(bx, args.rows)
            files[f"fill-down XLSX ({args.rows:,} rows)"] = bx
            bu = tmp / "434337_南阿蘇村_フィルダウン_サイズなし.xlsx"
            filldown_xlsx(bu, args.rows, sized=False)
            files["  same, without <dimension>"] = bu
        print(f"# vision-report check (whole process), median of {args.repeat}")
        for label, path in files.items():
            runs = [check_seconds(path, env) for _ in range(args.repeat)]
            secs = [r[0] for r in runs]
            print(
                f"{label:<32} {path.stat().st_size / 1e6:6.2f} MB  median {statistics.median(secs):6.2f} s  "
                f"(runs {' / '.join(f'{s:.2f}' for s in secs)})  exit {runs[0][1]}  {runs[0][2][:70]}"
            )

        print(f"\n# the year's intake + validation (inputs/2024 samples), median of {args.repeat}")
        results = {}
        for n, (label, extra) in enumerate((("samples only", None), ("samples + fill-down CSV", bad))):
            secs, statuses = [], {}
            for k in range(args.repeat):
                inputs = tmp / f"in-{n}-{k}"
                shutil.copytree(ROOT / "inputs" / "2024", inputs / "2024")
                if extra is not None:
                    shutil.copy(extra, inputs / "2024" / extra.name)
                age(inputs)
                newer(inputs, extra)
                s, statuses = year_validation(inputs, tmp / f"archive-{n}-{k}")
                secs.append(s)
            results[label] = statuses
            print(f"{label:<32} median {statistics.median(secs):6.2f} s  (runs {' / '.join(f'{s:.2f}' for s in secs)})")
        base, withbad = results["samples only"], results["samples + fill-down CSV"]
        others = {n: s for n, s in base.items() if not n.startswith("434337_")}
        same = all(withbad[n] == s for n, s in others.items())
        print(
            f"fill-down file: {withbad[bad.name]}; the sample it replaces: "
            f"{withbad['434337_南阿蘇村_合成データ.csv']}; the {len(others)} other files the same status "
            f"as without it: {same}"
        )

        if args.full_run:
            print("\n# vision-report run (whole flow, once each)")
            for n, (label, extra) in enumerate((("samples only", None), ("samples + fill-down CSV", bad))):
                inputs = tmp / f"run-{n}"
                shutil.copytree(ROOT / "inputs" / "2024", inputs / "2024")
                if extra is not None:
                    shutil.copy(extra, inputs / "2024" / extra.name)
                age(inputs)
                newer(inputs, extra)
                out = tmp / f"out-{n}"
                t = time.perf_counter()
                r = subprocess.run(
                    [str(BIN / "vision-report"), "run", "--fiscal-year", "2024"]
                    + ["--inputs", str(inputs), "--outputs", str(out), "--archive", str(tmp / f"arch-{n}")],
                    env=env,
                    capture_output=True,
                    text=True,
                )
                secs = time.perf_counter() - t
                subs = out / "2024" / "submissions.csv"
                size = subs.stat().st_size if subs.exists() else 0
                print(f"{label:<32} {secs:6.1f} s  exit {r.returncode}  submissions.csv {size:,} bytes")
                if r.returncode != 0:
                    print("    " + (r.stderr.strip().splitlines() or [""])[-1][:300])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
