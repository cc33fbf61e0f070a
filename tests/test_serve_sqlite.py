"""The operator's paths with a real Prefect server on SQLite: `vision-report serve` stopped by SIGTERM leaves no
process behind, and the README's manual deployment path runs the on-demand deployment to Completed."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from test_resilience import processes_with_home, wait_until

from vision_report.operations.prefect_server import die_with_parent, free_port, healthy, stop_group
from vision_report.outputs import year as year_outputs

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    for part in ("config", "plans", "expectations", "templates", "inputs", "flows", "prefect.yaml"):
        src = ROOT / part
        (shutil.copytree if src.is_dir() else shutil.copy)(src, proj / part)
    return proj


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "VISION_REPORT_HOME")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    return env


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def test_sigterm_to_serve_stops_server_and_worker(tmp_path):
    proj, home, port = _project(tmp_path), tmp_path / "prefect", free_port()
    portal_port = free_port()  # serve starts the 提出ポータル too: on a free port, not the default 8400
    with open(proj / "config" / "vision-report.yaml", "a", encoding="utf-8") as cfg:
        cfg.write(f"\nportal:\n  port: {portal_port}\n")
    out = tmp_path / "serve.out"
    with open(out, "w") as f:
        serve = subprocess.Popen(
            [str(BIN / "vision-report"), "--root", str(proj), "serve", "--port", str(port)],
            env=_env(home),
            cwd=proj,
            stdout=f,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_until(lambda: "準備ができました" in out.read_text() or serve.poll() is not None, 600, 0.5)
        assert serve.poll() is None, out.read_text()
        assert len(processes_with_home(home)) >= 4  # serve, the server, the worker and the portal
        assert wait_until(lambda: _healthy(f"http://127.0.0.1:{portal_port}/healthz"), 120, 0.5), out.read_text()
        # with a server configured, `run` records into it (one UI for every run) instead of starting its own
        api = f"http://127.0.0.1:{port}/api"
        run = subprocess.run(
            [str(BIN / "vision-report"), "--root", str(proj), "run", "--fiscal-year", "2024"],
            env={**_env(home), "PREFECT_API_URL": api, "PREFECT_LOGGING_LEVEL": "WARNING"},
            cwd=proj,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        assert f"Prefect サーバー {api} に実行を記録します" in run.stdout
        assert not (home / "logs" / "run-server.log").exists()  # no temporary server was started
        req = urllib.request.Request(
            f"{api}/flow_runs/filter", data=b"{}", headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            runs = json.load(r)
        assert [(f["name"], f["state_type"]) for f in runs] == [("fy2024", "COMPLETED")]
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=120) == 0, out.read_text()
    finally:
        if serve.poll() is None:
            serve.kill()
    assert wait_until(lambda: not processes_with_home(home), 60), processes_with_home(home)
    text = out.read_text()
    assert "停止しています" in text and "停止しました" in text
    assert (home / "logs" / "server.log").stat().st_size > 0
    assert (home / "logs" / "worker.log").exists()


def test_readme_manual_deployment_path_runs_the_on_demand_deployment(tmp_path):
    """The commands of the README, as written, from the project folder; VISION_REPORT_HOME is not set."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    steps = [
        "prefect work-pool create vision-report --type process",
        "prefect --no-prompt deploy --all",
        "prefect worker start --pool vision-report",
        "prefect deployment run 'vision-report-yearly/on-demand' -p fiscal_year=2024",
    ]
    for step in steps:
        assert step in readme, step
    proj, home, port = _project(tmp_path), tmp_path / "prefect", free_port()
    env = _env(home)
    home.mkdir()
    procs = []
    with open(tmp_path / "server.log", "wb") as log:
        procs.append(
            subprocess.Popen(
                [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                cwd=proj,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent(),
            )
        )
    env["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"

    def cmd(step: str) -> list[str]:
        args = shlex.split(step)
        return [str(BIN / args[0]), *args[1:]]

    try:
        assert wait_until(lambda: healthy(env["PREFECT_API_URL"]), 300, 0.5), (tmp_path / "server.log").read_text()
        for step in steps[:2]:
            r = subprocess.run(cmd(step), env=env, cwd=proj, capture_output=True, text=True, stdin=subprocess.DEVNULL)
            assert r.returncode == 0, step + "\n" + r.stdout[-2000:] + r.stderr[-2000:]
            assert "{{" not in r.stdout
        with open(tmp_path / "worker.log", "wb") as log:
            procs.append(
                subprocess.Popen(
                    cmd(steps[2]), env=env, cwd=proj, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent()
                )
            )
        run = subprocess.run(
            [*cmd(steps[3]), "--watch", "--watch-timeout", "900"],
            env=env,
            cwd=tmp_path,  # the run itself finds the project folder recorded by `prefect deploy`
            capture_output=True,
            text=True,
            timeout=1000,
        )
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:] + (tmp_path / "worker.log").read_text()
        assert "Completed" in run.stdout + run.stderr
    finally:
        for p in reversed(procs):
            stop_group(p)
    assert year_outputs.manifest_problems(proj / "outputs" / "2024") == []  # the worker ran the real flow


def test_a_child_that_stops_is_named_with_the_last_lines_of_its_log(tmp_path):
    from vision_report.operations import serve

    p = serve._spawn(
        "ワーカー",
        [sys.executable, "-c", "print('starting'); print('port 4200 is already in use'); raise SystemExit(3)"],
        dict(os.environ),
        tmp_path,
        tmp_path / "logs" / "worker.log",
    )
    assert p.wait(timeout=60) == 3
    text = serve.describe_stop(p)
    assert text.startswith(f"ワーカーが停止しました（終了コード 3）。ログ {tmp_path / 'logs' / 'worker.log'} の最後:")
    assert text.endswith("starting\nport 4200 is already in use")
