"""A real Prefect server with PostgreSQL as its database: deployments from prefect.yaml, a worker, a run."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PG_BIN = (
    next((Path(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
    if Path("/usr/lib/postgresql").is_dir()
    else None
)

pytestmark = pytest.mark.skipif(
    PG_BIN is None or not (PG_BIN / "initdb").exists(), reason="PostgreSQL server binaries are installed by .ci/run"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user when we are root."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture()
def postgres():
    # outside pytest's tmp_path: the postgres user must be able to reach the folder
    d = Path(tempfile.mkdtemp(prefix="vision-report-pg-"))
    if os.geteuid() == 0:
        shutil.chown(d, "postgres")
    port = free_port()
    subprocess.run(
        as_postgres([str(PG_BIN / "initdb"), "-D", str(d / "data"), "-U", "prefect", "--auth=trust", "-E", "UTF8"]),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        as_postgres(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(d / "data"),
                "-l",
                str(d / "log"),
                "-w",
                "-o",
                f"-p {port} -k {d} -c listen_addresses=127.0.0.1",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            as_postgres([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "prefect", "prefect"]),
            check=True,
            capture_output=True,
        )
        yield f"postgresql://prefect@127.0.0.1:{port}/prefect", port
    finally:
        subprocess.run(
            as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(d / "data"), "-m", "fast", "stop"]), capture_output=True
        )
        shutil.rmtree(d, ignore_errors=True)


def test_deployment_runs_on_a_worker_with_postgresql(tmp_path, postgres):
    from vision_report.operations import serve

    url, pg_port = postgres
    proj = tmp_path / "proj"
    for part in ("config", "plans", "expectations", "templates", "inputs", "flows", "prefect.yaml"):
        src = ROOT / part
        (shutil.copytree if src.is_dir() else shutil.copy)(src, proj / part)
    old = time.time() - 3600
    for p in (proj / "inputs").rglob("*"):
        os.utime(p, (old, old))
    port = free_port()
    procs = serve.start(proj, tmp_path / "prefect", port=port, database=url, log=lambda *_: None)
    try:
        env = serve.server_env(proj, tmp_path / "prefect", port, url)
        ls = subprocess.run(
            [serve._prefect(), "deployment", "ls"], env=env, cwd=proj, capture_output=True, text=True, check=True
        ).stdout
        assert "on-dema" in ls and "previous-year" in ls
        run = subprocess.run(
            [
                serve._prefect(),
                "deployment",
                "run",
                "vision-report-yearly/on-demand",
                "--param",
                "fiscal_year=2024",
                "--watch",
                "--watch-timeout",
                "600",
            ],
            env=env,
            cwd=proj,
            capture_output=True,
            text=True,
            timeout=700,
        )
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    finally:
        serve.stop(procs)
    assert (proj / "outputs" / "2024" / "kpi_attainment.csv").is_file()  # the worker ran the real flow
    rows = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(pg_port),
            "-U",
            "prefect",
            "-d",
            "prefect",
            "-At",
            "-c",
            "select name, state_type from flow_run",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "fy2024|COMPLETED" in rows  # Prefect kept its state in PostgreSQL
