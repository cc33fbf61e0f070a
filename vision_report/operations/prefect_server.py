"""The Prefect API a command talks to.

A configured server (``PREFECT_API_URL`` or ``prefect: api_url:`` in config/vision-report.yaml) is used as is, so
every run shows in one UI. Otherwise ``vision-report run`` starts a temporary server of its own: one process in its
own process group that the kernel stops when the command dies (even by ``kill -9``), started with a limit that fits
a busy 2-core machine, retried once, and stopped when the command ends. The database is prepared (migrated) once,
before the first start, with a message, instead of inside the server's start-up limit.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

PR_SET_PDEATHSIG = 1
DEFAULT_STARTUP_TIMEOUT = 120.0
LOG_DIR = "logs"


class ServerStartError(Exception):
    """The temporary Prefect server could not start (message in Japanese)."""


def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - not Linux
        return None


_LIBC = _libc()


def die_with_parent() -> Callable[[], None]:
    """A ``preexec_fn``: own process group (so it can be stopped whole) and SIGTERM when the parent dies (Linux)."""
    parent = os.getpid()
    prctl = getattr(_LIBC, "prctl", None)

    def preexec() -> None:
        os.setsid()
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def stop_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group of ``proc``, then SIGKILL what is left after ``grace`` seconds."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    with contextlib.suppress(ProcessLookupError):  # a child that outlived its leader
        os.killpg(proc.pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def tail(path: Path, n: int = 15) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


def configured_api_url(prefect_cfg: dict) -> str | None:
    """PREFECT_API_URL from the environment, else ``prefect: api_url:`` from the configuration."""
    return os.environ.get("PREFECT_API_URL") or (prefect_cfg or {}).get("api_url") or None


def _db_marker(home: Path) -> Path:
    db = os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL", "sqlite")
    key = hashlib.sha256(f"{version('prefect')}|{db}".encode()).hexdigest()[:12]
    return home / f".vision-report-db-{key}"


def _server_env(home: Path, migrate: bool) -> dict[str, str]:
    return {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",  # no scheduler services: this server only records one run
        "PREFECT__SERVER_FINAL": "1",
        "PREFECT_API_DATABASE_MIGRATE_ON_START": "true" if migrate else "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }


def prepare_database(home: Path, timeout: float, log: Callable[[str], None]) -> None:
    """Create/migrate Prefect's database once per Prefect version (the slow part of a first start)."""
    marker = _db_marker(home)
    if "PREFECT_API_DATABASE_CONNECTION_URL" not in os.environ and not (home / "prefect.db").exists():
        marker.unlink(missing_ok=True)  # the SQLite file was removed: prepare it again
    if marker.exists():
        return
    log("Prefect のデータベースを準備しています（初回と Prefect の更新後のみ。混んでいるマシンでは数十秒かかります）…")
    started = time.monotonic()
    logfile = home / LOG_DIR / "database-upgrade.log"
    logfile.parent.mkdir(parents=True, exist_ok=True)
    with open(logfile, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"],
            env=_server_env(home, migrate=True),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent(),
        )
        try:
            rc = proc.wait(timeout=timeout * 3)
        except subprocess.TimeoutExpired:
            stop_group(proc)
            rc = None
    if rc != 0:
        raise ServerStartError(
            f"Prefect のデータベースを準備できませんでした（{'時間切れ' if rc is None else f'終了コード {rc}'}）。"
            f"ログ {logfile} の最後:\n{tail(logfile)}"
        )
    marker.write_text(version("prefect") + "\n", encoding="utf-8")
    log(f"Prefect のデータベースを準備しました（{time.monotonic() - started:.1f} 秒）")


@dataclass
class TemporaryServer:
    home: Path
    timeout: float = DEFAULT_STARTUP_TIMEOUT
    log: Callable[[str], None] = print
    proc: subprocess.Popen | None = None
    port: int = 0
    startup_seconds: float = 0.0
    attempts: int = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def logfile(self) -> Path:
        return self.home / LOG_DIR / "run-server.log"

    def _spawn(self, migrate: bool) -> None:
        self.port = free_port()
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        with open(self.logfile, "ab") as out:
            out.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} port {self.port}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    "prefect.server.api.server:create_app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                    "--lifespan",
                    "on",
                ],
                env=_server_env(self.home, migrate),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent(),
            )

    def _wait(self) -> str | None:
        """None when healthy, else why not."""
        assert self.proc is not None
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                return f"サーバーのプロセスが終了コード {rc} で停止しました"
            if healthy(self.api_url, timeout=min(5.0, max(0.5, deadline - time.monotonic()))):
                return None
            time.sleep(0.25)
        return f"{self.timeout:.0f} 秒以内に応答しませんでした"

    def start(self, while_starting: Callable[[], None] | None = None) -> None:
        """Start the server and wait until it answers; ``while_starting`` runs once in this process right after the
        server's process is spawned (the run's own imports, overlapping the server's start on another core)."""
        self.home.mkdir(parents=True, exist_ok=True)
        prepare_database(self.home, self.timeout, self.log)
        started = time.monotonic()
        reasons = []
        for attempt in (1, 2):  # one retry, on a new port
            self.attempts = attempt
            self._spawn(migrate=False)
            if while_starting is not None:
                while_starting()
                while_starting = None
            reason = self._wait()
            if reason is None:
                self.startup_seconds = round(time.monotonic() - started, 1)
                return
            reasons.append(reason)
            self.stop()
            if attempt == 1:
                self.log(f"Prefect サーバーの起動に失敗しました（{reason}）。もう一度起動します…")
        raise ServerStartError(
            f"Prefect サーバーを起動できませんでした（2回試行: {' / '.join(reasons)}）。"
            f"ログ {self.logfile} の最後:\n{tail(self.logfile)}"
        )

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc)
            self.proc = None


@contextlib.contextmanager
def prefect_api(
    home: Path,
    prefect_cfg: dict,
    *,
    log: Callable[[str], None] = print,
    while_starting: Callable[[], None] | None = None,
) -> Iterator[tuple[str, TemporaryServer | None]]:
    """Yield (API URL, the temporary server or None); the temporary server is stopped on the way out.
    ``while_starting`` runs once before the yield: while the temporary server starts, or first with a configured one."""
    url = configured_api_url(prefect_cfg)
    if url:
        if while_starting is not None:
            while_starting()
        if not healthy(url, timeout=10):
            raise ServerStartError(
                f"設定された Prefect サーバー {url} に接続できません。サーバー（vision-report serve など）が"
                "起動しているか、PREFECT_API_URL または config/vision-report.yaml の prefect: api_url: を確かめてください。"
            )
        yield url, None
        return
    timeout = float((prefect_cfg or {}).get("startup_timeout_seconds", DEFAULT_STARTUP_TIMEOUT))
    server = TemporaryServer(home, timeout=timeout, log=log)
    try:
        server.start(while_starting)
        yield server.api_url, server
    finally:
        server.stop()
