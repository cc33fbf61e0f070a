"""Benchmark: the yearly run at 20 and at 1,741 submissions against a plain pandas + python-docx baseline.

    python bench/run.py [--repeat 3] [--sizes 20 1741] [--out bench/results.md]
    python bench/run.py --scaleout [--repeat 3]      # rendering with 1 worker process vs all cores

Each measurement is a whole process (`/usr/bin/time`): wall time, peak RSS, CPU%. Medians of --repeat runs.
Each `vision-report run` also records its phases (VISION_REPORT_PROFILE, vision_report/core/timing.py: start and
imports, the temporary Prefect server, intake, Great Expectations, compute, each document, PDF); the medians per
phase are printed as a second table. The results go to the top of --out as a dated section; earlier sections stay.
Marginal cost per submission = (median at the large size - median at the small size) / (difference in
submissions). Fixed cost = median at the small size - small size x marginal cost. Not a test: this machine
is noisy, compare ratios, not absolute seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
from vision_report.core.timing import read_profile  # noqa: E402


def run_command(proj: Path, outputs: Path, archive: Path) -> list[str]:
    """`vision-report run` for FY2024 of the project ``proj``, writing to ``outputs`` and ``archive``."""
    return [
        str(BIN / "vision-report"),
        "--root",
        str(proj),
        "run",
        "--fiscal-year",
        "2024",
        "--outputs",
        str(outputs),
        "--archive",
        str(archive),
    ]


def user_environ() -> dict[str, str]:
    """This process's environment as a user's machine has it: Python writes its bytecode cache (__pycache__) on the
    first run and reads it afterwards. A sandbox may turn that off (PYTHONDONTWRITEBYTECODE): every run would then
    compile the project's modules again, a cost (about 0.1-0.2 s per run) no user pays."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(cmd: list[str], env: dict, profile: bool = False) -> dict:
    """One whole process: wall, peak RSS, CPU%; with ``profile`` also its phases (vision_report.core.timing)."""
    with (
        tempfile.NamedTemporaryFile("r", suffix=".time") as tf,
        tempfile.NamedTemporaryFile("r", suffix=".phases") as pf,
    ):
        if profile:
            env = {**env, "VISION_REPORT_PROFILE": pf.name, "VISION_REPORT_PROFILE_T0": repr(time.time())}
        r = subprocess.run(
            ["/usr/bin/time", "-f", "%e %M %P", "-o", tf.name, *cmd],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if r.returncode != 0:
            raise RuntimeError(f"{cmd} failed: {r.stderr[-2000:]}")
        wall, rss_kb, cpu = tf.read().split()
        phases = read_profile(pf.name) if profile else {}
    return {"wall": float(wall), "rss_mb": int(rss_kb) / 1024, "cpu": int(cpu.rstrip("%")), "phases": phases}


# the phases of a run (vision_report.core.timing), in the order they happen; "write" holds the reports and the PDFs
PHASES = [
    ("start_and_imports", "起動と import（プロセス開始から main まで）"),
    ("prefect_server_start", "一時 Prefect サーバーの起動"),
    ("import_flow", "フローの import"),
    ("collect", "受付（読み込み・保管、全年度）"),
    ("screen", "検証（Great Expectations、Data Docs を含む、全年度）"),
    ("hold", "要確認の値"),
    ("compute", "計算（全年度）"),
    ("year_tables", "推移・期間の表"),
    ("region_report", "圏域の報告書 (.docx)"),
    ("summary_report", "概要版 (.docx)"),
    ("municipality_reports", "市町村別報告書 (.docx)"),
    ("pdf", "PDF（LibreOffice）"),
    ("write", "出力の書き込み計（CSV・フィードバック・報告書・PDF）"),
    ("publish", "公開（入れ替え）"),
]


def phase_table(results: dict[int, list[dict]]) -> list[str]:
    """Median seconds per phase at each size, and the rest of the wall time (Prefect, interpreter exit …)."""
    sizes = sorted(results)
    lines = [
        "| 段階 | " + " | ".join(f"{n} 提出 (s)" for n in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
    ]
    med = {n: {k: statistics.median(r["phases"].get(k, 0.0) for r in results[n]) for k, _ in PHASES} for n in sizes}
    for key, label in PHASES:
        lines.append(f"| {label} | " + " | ".join(f"{med[n][key]:.2f}" for n in sizes) + " |")
    listed = ("start_and_imports", "prefect_server_start", "import_flow", "collect", "screen", "hold", "compute")
    rest = {
        n: median(results[n], "wall")
        - sum(med[n][k] for k in listed)
        - med[n]["year_tables"]
        - med[n]["write"]
        - med[n]["publish"]
        for n in sizes
    }
    lines.append("| そのほか（フロー・タスクの記録、終了処理） | " + " | ".join(f"{rest[n]:.2f}" for n in sizes) + " |")
    return lines


def add_section(path: Path, section: list[str]) -> None:
    """Put a dated measurement at the top of ``path`` (under its title): earlier ones stay below, so a regression
    shows as a row that got worse than the table under it."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# ベンチマーク結果 / benchmark\n"
    title, _, rest = old.partition("\n")
    path.write_text(title + "\n\n" + "\n".join(section).rstrip() + "\n\n" + rest.lstrip("\n"), encoding="utf-8")


def walls(runs: list[dict]) -> str:
    return " / ".join(f"{r['wall']:.2f}" for r in runs)


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sizes", type=int, nargs=2, default=[20, 1741])
    ap.add_argument(
        "--out", type=Path, default=None, help="default: bench/results.md (bench/results_scaleout.md with --scaleout)"
    )
    ap.add_argument(
        "--pdf",
        action="store_true",
        help="also make the PDFs (LibreOffice); off by default: its cost grows with the region report, not per submission",
    )
    ap.add_argument(
        "--scaleout",
        action="store_true",
        help="only the large size, rendering with 1 worker process and with all cores (scale-out gain)",
    )
    args = ap.parse_args()
    if args.out is None:
        args.out = ROOT / "bench" / ("results_scaleout.md" if args.scaleout else "results.md")
    if args.scaleout:
        return scaleout(args)
    sys.path.insert(0, str(ROOT / "bench"))
    from make_scaled import build

    work = Path(tempfile.mkdtemp(prefix="vision-bench-"))
    env = {
        **user_environ(),
        "PREFECT_HOME": str(work / "prefect"),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        # a fresh PREFECT_HOME migrates its database on the first start: give the baseline's ephemeral server the
        # same patience `run` gives its own (config prefect.startup_timeout_seconds)
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    }
    results: dict[str, dict[int, list[dict]]] = {"ours": {}, "baseline": {}}
    load_start = os.getloadavg()[0]
    empty = [timed([str(BIN / "python"), str(ROOT / "bench" / "empty_flow.py")], env) for _ in range(args.repeat)]
    for n in args.sizes:
        proj = build(n, work / f"p{n}", pdf=args.pdf)
        for rep in range(args.repeat):
            out = work / f"out{n}-{rep}"
            results["ours"].setdefault(n, []).append(
                timed(run_command(proj, out / "ours", out / "archive"), env, profile=True)
            )
            results["baseline"].setdefault(n, []).append(
                timed(
                    [
                        str(BIN / "python"),
                        str(ROOT / "bench" / "baseline.py"),
                        "--root",
                        str(proj),
                        "--out",
                        str(out / "baseline"),
                    ],
                    env,
                )
            )
            shutil.rmtree(out)
            print(n, rep, results["ours"][n][-1], results["baseline"][n][-1], flush=True)
    small, large = args.sizes
    lines = [
        f"## {datetime.now().astimezone().strftime('%Y-%m-%d %H:%M')} — bench/run.py",
        "",
        f"`python bench/run.py --repeat {args.repeat} --sizes {small} {large}{' --pdf' if args.pdf else ''}`、"
        f"{os.cpu_count()} コア（PDF の作成{'を含む' if args.pdf else 'は含まない'}）。"
        f"各値は {args.repeat} 回の中央値（プロセス全体）。"
        f"load average（1 分）: 開始時 {load_start:.2f}、終了時 {os.getloadavg()[0]:.2f}。",
        "",
        "| 対象 | 提出数 | 実行時間 (s) | ピークRSS (MB) | CPU (%) |",
        "|---|---:|---:|---:|---:|",
    ]
    lines.append(
        f"| 空の Prefect フロー | 0 | {median(empty, 'wall'):.2f} | {median(empty, 'rss_mb'):.0f} | "
        f"{median(empty, 'cpu'):.0f} |"
    )
    for who, label in (("ours", "vision-report run"), ("baseline", "素の pandas + python-docx")):
        for n in args.sizes:
            runs = results[who][n]
            lines.append(
                f"| {label} | {n} | {median(runs, 'wall'):.2f} | {median(runs, 'rss_mb'):.0f} | "
                f"{median(runs, 'cpu'):.0f} |"
            )
    marg = {
        w: (median(results[w][large], "wall") - median(results[w][small], "wall")) / (large - small) for w in results
    }
    fixed = {w: median(results[w][small], "wall") - small * marg[w] for w in results}
    lines += [
        "",
        "| 指標 | vision-report | 素の基準 | 比 | 目標 |",
        "|---|---:|---:|---:|---|",
        f"| 1提出あたりの限界コスト (ms) | {marg['ours'] * 1000:.1f} | {marg['baseline'] * 1000:.1f} | "
        f"{marg['ours'] / marg['baseline']:.2f} | ≤ 1.0（issue 21） |",
        f"| {large} 提出の実行時間 (s) | {median(results['ours'][large], 'wall'):.2f} | "
        f"{median(results['baseline'][large], 'wall'):.2f} | "
        f"{median(results['ours'][large], 'wall') / median(results['baseline'][large], 'wall'):.2f} | "
        "素の基準より速い（< 1） |",
        f"| 固定コスト (s) | {fixed['ours']:.2f} | {fixed['baseline']:.2f} | — | ≤ 空のフロー "
        f"{median(empty, 'wall'):.2f} + 2 = {median(empty, 'wall') + 2:.2f} |",
        f"| {large} 提出のピークRSS (MB) | {median(results['ours'][large], 'rss_mb'):.0f} | "
        f"{median(results['baseline'][large], 'rss_mb'):.0f} | — | ≤ 1024 |",
        f"| {large} 提出の CPU 使用率 (%) | {median(results['ours'][large], 'cpu'):.0f} | "
        f"{median(results['baseline'][large], 'cpu'):.0f} | — | 2コアとも使用（> 100%） |",
    ]
    lines += ["", "各回の実行時間（秒、実行順）:", ""]
    lines.append(f"- 空の Prefect フロー: {walls(empty)}")
    for who, label in (("ours", "vision-report run"), ("baseline", "素の pandas + python-docx")):
        for n in args.sizes:
            lines.append(f"- {label} {n} 提出: {walls(results[who][n])}")
    lines += ["", "段階ごとの時間（vision-report run、中央値。`VISION_REPORT_PROFILE` で記録）:", ""]
    lines += phase_table(results["ours"])
    add_section(args.out, lines)
    print("\n".join(lines))
    shutil.rmtree(work, ignore_errors=True)
    return 0


def scaleout(args) -> int:
    """Report rendering fanned out over processes: the large size with VISION_REPORT_WORKERS=1 vs all cores."""
    sys.path.insert(0, str(ROOT / "bench"))
    from make_scaled import build

    work = Path(tempfile.mkdtemp(prefix="vision-bench-"))
    n = args.sizes[1]
    proj = build(n, work / f"p{n}")
    runs: dict[int, list[dict]] = {}
    for rep in range(args.repeat):
        for workers in (1, os.cpu_count() or 1):
            env = {
                **user_environ(),
                "PREFECT_HOME": str(work / "prefect"),
                "DO_NOT_TRACK": "1",
                "PREFECT_LOGGING_LEVEL": "WARNING",
                "VISION_REPORT_WORKERS": str(workers),
            }
            out = work / f"out-{workers}-{rep}"
            runs.setdefault(workers, []).append(timed(run_command(proj, out, out / "archive"), env))
            shutil.rmtree(out)
            print(workers, rep, runs[workers][-1], flush=True)
    lines = [
        f"# スケールアウト（報告書作成のプロセス並列） / {n} 提出、{os.cpu_count()} コア、{args.repeat} 回の中央値",
        "",
        "| ワーカー数 | 実行時間 (s) | CPU (%) | ピークRSS (MB, 最大の1プロセス) |",
        "|---:|---:|---:|---:|",
    ]
    for w, r in runs.items():
        lines.append(f"| {w} | {median(r, 'wall'):.1f} | {median(r, 'cpu'):.0f} | {median(r, 'rss_mb'):.0f} |")
    one, many = median(runs[1], "wall"), median(runs[max(runs)], "wall")
    lines += ["", f"{max(runs)} プロセスでの短縮: {one - many:.1f} 秒（{one / many:.2f} 倍）"]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
