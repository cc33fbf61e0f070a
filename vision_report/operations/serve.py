"""`vision-report serve`: a Prefect server (SQLite or PostgreSQL), the work pool, the deployments of
prefect.yaml and a worker, started together and stopped together (Ctrl+C, SIGTERM, or the death of serve).

Each child runs in its own process group with SIGTERM as its parent-death signal, and writes its output to
$PREFECT_HOME/logs/server.log and worker.log, whose last lines are shown when it stops.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from vision_report.operations.prefect_server import die_with_parent, stop_group, tail

POOL = "vision-report"
STOP_GRACE_SECONDS = 15.0


def _prefect() -> str:
    exe = Path(sys.executable).with_name("prefect")
    return str(exe) if exe.exists() else (shutil.which("prefect") or "prefect")


def server_env(root: Path, prefect_home: Path, port: int, database: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": os.environ.get("PREFECT_UI_ENABLED", "true"),
    }
    if database:
        url = database
        if url.startswith("postgresql://"):
            url = "postgresql+asyncpg://" + url[len("postgresql://") :]
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = url
    return env


def wait_healthy(port: int, proc: subprocess.Popen | None = None, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(describe_stop(proc))
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"Prefect サーバーが {timeout:.0f} 秒以内に起動しませんでした（ポート {port}）")


def log_dir(prefect_home: Path) -> Path:
    return prefect_home / "logs"


def _spawn(label: str, args: list[str], env: dict, root: Path, logfile: Path) -> subprocess.Popen:
    logfile.parent.mkdir(parents=True, exist_ok=True)
    with open(logfile, "ab") as out:
        out.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(args[1:])}\n".encode())
        out.flush()
        p = subprocess.Popen(
            args,
            env=env,
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent(),
        )
    p.label = label  # type: ignore[attr-defined]
    p.logfile = logfile  # type: ignore[attr-defined]
    return p


def _step(label: str, args: list[str], env: dict, root: Path) -> None:
    r = subprocess.run(args, env=env, cwd=root, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        last = "\n".join((r.stdout + r.stderr).splitlines()[-15:])
        raise RuntimeError(f"{label}に失敗しました（{' '.join(args[1:])}、終了コード {r.returncode}）:\n{last}")


def describe_stop(p: subprocess.Popen, lines: int = 20) -> str:
    """Which child stopped, with what exit code, and the last lines of its log (Japanese)."""
    label = getattr(p, "label", "プロセス")
    logfile = getattr(p, "logfile", None)
    text = tail(logfile, lines) if logfile else ""
    return f"{label}が停止しました（終了コード {p.returncode}）。ログ {logfile} の最後:\n{text or '（なし）'}"


def start(
    root: Path, prefect_home: Path, *, port: int = 4200, database: str | None = None, worker: bool = True, log=print
) -> list[subprocess.Popen]:
    """Start the server, create the work pool, deploy prefect.yaml and start a worker; returns the processes."""
    env = server_env(root, prefect_home, port, database)
    prefect_home.mkdir(parents=True, exist_ok=True)
    procs = []
    log(
        f"Prefect サーバーを起動しています（http://127.0.0.1:{port}、データベース: "
        f"{'PostgreSQL' if database else 'SQLite（' + str(prefect_home) + '）'}）…"
    )
    logs = log_dir(prefect_home)
    procs.append(
        _spawn(
            "Prefect サーバー",
            [_prefect(), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env,
            root,
            logs / "server.log",
        )
    )
    try:
        wait_healthy(port, procs[0])
        _step(
            "ワークプールの作成",
            [_prefect(), "work-pool", "create", POOL, "--type", "process", "--overwrite"],
            env,
            root,
        )
        log(f"ワークプール {POOL} を作成しました。prefect.yaml のデプロイを登録しています…")
        _step("デプロイの登録", [_prefect(), "--no-prompt", "deploy", "--all"], env, root)
        if worker:
            procs.append(
                _spawn("ワーカー", [_prefect(), "worker", "start", "--pool", POOL], env, root, logs / "worker.log")
            )
            log(f"ワーカーを起動しました。ログ: {logs}")
    except BaseException:
        stop(procs)
        raise
    return procs


def start_portal(root: Path, prefect_home: Path, *, port: int = 4200, database: str | None = None) -> subprocess.Popen:
    """The 提出ポータル (`vision-report portal`, host and port from config ``portal:``) beside the server: it starts
    yearly runs through this server's deployments and keeps its accounts in ``database`` when one is given."""
    env = server_env(root, prefect_home, port, database)
    if database:
        env["VISION_REPORT_DATABASE"] = database
    args = [sys.executable, "-m", "vision_report.cli", "--root", str(root), "portal"]
    return _spawn("提出ポータル", args, env, root, log_dir(prefect_home) / "portal.log")


def stop(procs: list[subprocess.Popen]) -> None:
    """Stop the worker first, then the server: SIGTERM to each process group, SIGKILL after a grace period."""
    for p in reversed(procs):
        stop_group(p, grace=STOP_GRACE_SECONDS)
