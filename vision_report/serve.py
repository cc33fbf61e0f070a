"""`vision-report serve`: a Prefect server (SQLite or PostgreSQL), the work pool, the deployments of
prefect.yaml and a worker, started together and stopped together (Ctrl+C)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

POOL = "vision-report"


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
        "VISION_REPORT_HOME": str(root),
        "PREFECT_UI_ENABLED": os.environ.get("PREFECT_UI_ENABLED", "true"),
    }
    if database:
        url = database
        if url.startswith("postgresql://"):
            url = "postgresql+asyncpg://" + url[len("postgresql://") :]
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = url
    return env


def wait_healthy(port: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"Prefect サーバーが {timeout:.0f} 秒以内に起動しませんでした（ポート {port}）")


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
    procs.append(
        subprocess.Popen(
            [_prefect(), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    )
    try:
        wait_healthy(port)
        subprocess.run(
            [_prefect(), "work-pool", "create", POOL, "--type", "process", "--overwrite"],
            env=env,
            cwd=root,
            check=True,
            capture_output=True,
        )
        log(f"ワークプール {POOL} を作成しました。prefect.yaml のデプロイを登録しています…")
        subprocess.run(
            [_prefect(), "--no-prompt", "deploy", "--all"], env=env, cwd=root, check=True, capture_output=True
        )
        if worker:
            procs.append(
                subprocess.Popen(
                    [_prefect(), "worker", "start", "--pool", POOL],
                    env=env,
                    cwd=root,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
            log("ワーカーを起動しました。")
    except BaseException:
        stop(procs)
        raise
    return procs


def stop(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for p in reversed(procs):
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
