"""Does `vision-report run` start on a busy machine? Runs it N times next to two CPU-bound processes.

    python bench/busy_start.py [--n 3] [--fiscal-year 2024] [--out bench/results.md]

The first run uses a fresh Prefect home (database migrations included); the others reuse it. Reports, for each
run, whether it completed, the temporary server's start-up time as `run` prints it, and the whole run's wall
time, into its own section of bench/results.md (replaced on each run). Outputs and archive go to a temporary folder (the checkout's outputs/ and archive/ are not touched).
Not a test: this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from vision_report.operations.prefect_server import die_with_parent, stop_group  # noqa: E402

BIN = Path(sys.executable).parent
BEGIN, END = "<!-- busy_start: begin -->", "<!-- busy_start: end -->"
STARTED = re.compile(r"Prefect サーバーを起動しました（([0-9.]+) 秒）")


def burners(n: int = 2) -> list[subprocess.Popen]:
    return [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], preexec_fn=die_with_parent()) for _ in range(n)
    ]


def one_run(tmp: Path, home: Path, fiscal_year: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(home), PREFECT_LOGGING_LEVEL="WARNING")
    t0 = time.monotonic()
    r = subprocess.run(
        [
            str(BIN / "vision-report"),
            "--root",
            str(ROOT),
            "run",
            "--fiscal-year",
            str(fiscal_year),
            "--outputs",
            str(tmp / "outputs"),
            "--archive",
            str(tmp / "archive"),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - t0
    m = STARTED.search(r.stdout)
    return {
        "ok": r.returncode == 0,
        "rc": r.returncode,
        "startup": float(m.group(1)) if m else None,
        "prepared": "データベースを準備しています" in r.stdout,
        "retried": "もう一度起動します" in r.stdout,
        "wall": wall,
        "error": "" if r.returncode == 0 else (r.stderr.strip().splitlines() or [""])[-1][:200],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--fiscal-year", type=int, default=2024)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results.md"))
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="vision-report-busy-") as d:
        tmp = Path(d)
        procs = burners()
        try:
            for i in range(args.n):
                r = one_run(tmp, tmp / "prefect", args.fiscal_year)
                rows.append(r)
                print(f"run {i + 1}/{args.n}: {r}", flush=True)
        finally:
            for p in procs:
                stop_group(p, grace=2)
    ok = sum(r["ok"] for r in rows)
    starts = [r["startup"] for r in rows if r["startup"] is not None]
    load = os.getloadavg()
    lines = [
        BEGIN,
        "## `vision-report run` が混んだマシンで起動できるか / busy start",
        "",
        f"`python bench/busy_start.py --n {args.n}`: CPU を使い切るプロセス2つの横で `vision-report run "
        f"--fiscal-year {args.fiscal_year}` を {args.n} 回（1回目は新しい Prefect ホーム＝データベースの準備あり）。",
        f"測定: {datetime.now():%Y-%m-%d %H:%M}、{os.cpu_count()} コア、終了時の load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}（他の開発者のプロセスも動いている共有マシン）。",
        "",
        f"**成功 {ok} / {args.n}**。一時サーバーの起動時間（秒）: "
        + (f"最小 {min(starts):.1f}、最大 {max(starts):.1f}" if starts else "—")
        + "（起動を待つ上限 120 秒、失敗したら1回やり直す）。",
        "",
        "| 回 | 結果 | DB準備 | やり直し | サーバー起動 (s) | 実行全体 (s) | エラー |",
        "|---:|---|:-:|:-:|---:|---:|---|",
    ]
    for i, r in enumerate(rows, 1):
        result = "成功" if r["ok"] else f"失敗（終了コード {r['rc']}）"
        lines.append(
            f"| {i} | {result} | {'○' if r['prepared'] else ''} | "
            f"{'○' if r['retried'] else ''} | {r['startup'] if r['startup'] is not None else '—'} | "
            f"{r['wall']:.1f} | {r['error']} |"
        )
    lines.append(END)
    text = "\n".join(lines) + "\n"
    out = Path(args.out)
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    if BEGIN in old and END in old:
        new = old[: old.index(BEGIN)] + text + old[old.index(END) + len(END) :].lstrip("\n")
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + text
    out.write_text(new, encoding="utf-8")
    print(text)
    return 0 if ok == args.n else 1


if __name__ == "__main__":
    sys.exit(main())
