"""Operations that survive a kill: outputs swapped in as one set with a manifest, no Prefect server outliving its
run, the interruption recorded by the next run, and `watch` judging what arrived while it was stopped."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import CSVS

from vision_report.core import audit
from vision_report.outputs import year as year_outputs

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).resolve().parent / "fixtures" / "submissions"


# -- helpers -------------------------------------------------------------------------------------------------------


def processes_with_home(home: Path) -> list[int]:
    """Processes (other than this one) whose environment names ``home`` as PREFECT_HOME (read from /proc)."""
    needle = f"PREFECT_HOME={home}".encode()
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            env = (d / "environ").read_bytes().split(b"\0")
            state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in env and state != "Z":
            found.append(int(d.name))
    return found


def wait_until(predicate, limit: float, step: float = 0.2) -> bool:
    """Poll ``predicate`` until true or ``limit`` seconds passed (a wait, not a timing assertion)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def set_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def make_stage(parent: Path, name: str, files: dict[str, str]) -> Path:
    stage = parent / name
    for rel, text in files.items():
        (stage / rel).parent.mkdir(parents=True, exist_ok=True)
        (stage / rel).write_text(text, encoding="utf-8")
    return stage


# -- the swap itself, killed at each step -------------------------------------------------------------------------

OLD = {"kpi_attainment.csv": "old kpi\n", "feedback/431001_熊本市.txt": "old feedback\n", "report_2024.docx": "old"}
NEW = {"kpi_attainment.csv": "new kpi\n", "feedback/431001_熊本市.txt": "new feedback\n", "report_2024.docx": "new"}

KILLERS = {
    # killed while copying the files runs do not make (after_lock/, templates/) into the new set
    "carry_over": "os.link = lambda *a: os.kill(os.getpid(), signal.SIGKILL)",
    # killed with the manifest written, before the swap
    "before_swap": "year_outputs.swap_in = lambda *a: os.kill(os.getpid(), signal.SIGKILL)",
    # killed right after the atomic exchange, before the previous set is removed
    "after_exchange": (
        "real = year_outputs._exchange\n"
        "def exchange(a, b):\n"
        "    assert real(a, b)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "year_outputs._exchange = exchange"
    ),
    # no renameat2 (fallback): killed between the two renames
    "between_renames": (
        "year_outputs._exchange = lambda a, b: False\n"
        "real = os.rename\n"
        "def rename(a, b):\n"
        "    real(a, b)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "os.rename = rename"
    ),
}


@pytest.mark.parametrize("point", sorted(KILLERS))
def test_outputs_are_wholly_old_or_wholly_new_after_a_kill_during_publish(tmp_path, point):
    out = tmp_path / "outputs" / "2024"
    first = make_stage(tmp_path / "outputs", ".2024.staging-a", OLD)
    year_outputs.publish(first, out, fiscal_year=2024, run_id="a", inputs=[{"file": "x.csv", "sha256": "1" * 64}])
    (out / "after_lock").mkdir()
    (out / "after_lock" / "submissions.csv").write_text("locked list\n", encoding="utf-8")  # not made by runs
    before = set_files(out)
    second = make_stage(tmp_path / "outputs", ".2024.staging-b", NEW)
    script = textwrap.dedent(
        """
        import os, signal, sys
        from pathlib import Path
        from vision_report.outputs import year as year_outputs
        {killer}
        year_outputs.publish(Path(sys.argv[1]), Path(sys.argv[2]), fiscal_year=2024, run_id="b", inputs=[])
        """
    ).format(killer=KILLERS[point])
    child = subprocess.run([sys.executable, "-c", script, str(second), str(out)], cwd=ROOT, capture_output=True)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    year_outputs.recover_outputs(out)  # what the next run does first, under the run lock
    after = set_files(out)
    manifest = year_outputs.read_manifest(out)
    assert year_outputs.manifest_problems(out, strict=False) == []  # after_lock/ was added after that run
    if manifest["run_id"] == "a":
        assert after == before  # wholly the previous set
        assert point in ("carry_over", "before_swap", "between_renames")
    else:
        assert point == "after_exchange"
        assert {k: v for k, v in after.items() if k != year_outputs.MANIFEST} == {
            **{k: v.encode() for k, v in NEW.items()},
            "after_lock/submissions.csv": b"locked list\n",  # carried over into the new set
        }
    assert [p.name for p in (tmp_path / "outputs").iterdir()] == ["2024"]  # no staging or old folder left


def test_manifest_lists_each_output_with_its_hash_and_the_inputs(tmp_path):
    out = tmp_path / "2024"
    stage = make_stage(tmp_path, ".2024.staging-r1", NEW)
    inputs = [{"file": "431001_熊本市.csv", "sha256": "ab" * 32, "status": "accepted"}]
    m = year_outputs.publish(stage, out, fiscal_year=2024, run_id="r1", inputs=inputs)
    assert m["run_id"] == "r1" and m["inputs"] == inputs and m["kept"] == {}
    assert m["outputs"] == {rel: year_outputs.sha256_file(out / rel) for rel in NEW}
    again = year_outputs.publish(stage, out, fiscal_year=2024, run_id="r1", inputs=inputs)  # a retried task
    assert again == m and year_outputs.manifest_problems(out) == []
    (out / "kpi_attainment.csv").write_text("changed\n", encoding="utf-8")
    (out / "stray.txt").write_text("x", encoding="utf-8")
    assert year_outputs.manifest_problems(out) == [
        "stray.txt: マニフェストにないファイル",
        "kpi_attainment.csv: sha256 が一致しない",
    ]


# -- the real command, killed -------------------------------------------------------------------------------------


def _project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    for part in ("config", "plans", "expectations", "templates", "inputs"):
        shutil.copytree(ROOT / part, proj / part)
    old = time.time() - 3600
    for p in (proj / "inputs").rglob("*"):
        os.utime(p, (old, old))
    return proj


def _run(proj: Path, out: Path, home: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(home), PREFECT_LOGGING_LEVEL="WARNING")
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "vision-report"),
            "--root",
            str(proj),
            "run",
            "--fiscal-year",
            "2024",
            "--outputs",
            str(out),
            "--archive",
            str(proj / "archive"),
        ],
        env=env,
        cwd=proj,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_and_check_no_orphan(victim: subprocess.Popen, home: Path) -> None:
    os.kill(victim.pid, signal.SIGKILL)  # the command only: its Prefect server must go by itself
    victim.wait(timeout=60)
    assert wait_until(lambda: not processes_with_home(home), 90), processes_with_home(home)


def test_kill_9_leaves_no_server_no_mixed_set_and_the_next_run_records_the_interruption(tmp_path):
    proj, home = _project(tmp_path), tmp_path / "prefect"
    out = tmp_path / "out"
    target = out / "2024"

    # killed while the temporary server starts: no server is left behind
    victim = _run(proj, out, home)
    assert wait_until(lambda: (home / "logs" / "run-server.log").exists(), 300)
    _kill_and_check_no_orphan(victim, home)

    clean = _run(proj, out, home)
    stdout, stderr = clean.communicate(timeout=900)
    assert clean.returncode == 0, stderr[-3000:]
    assert "Prefect サーバーを起動しました" in stdout
    assert year_outputs.manifest_problems(target) == []
    published = set_files(target)
    first = year_outputs.read_manifest(target)
    assert {i["file"] for i in first["inputs"]} >= {"431001_熊本市_合成データ.csv"}
    assert all(len(i["sha256"]) == 64 for i in first["inputs"])

    # killed in the middle of writing the new set (feedback written, reports being made)
    victim = _run(proj, out, home)
    staged = lambda: [p for p in out.glob(".2024.staging-*") if (p / "feedback").is_dir()]  # noqa: E731
    assert wait_until(staged, 600)
    _kill_and_check_no_orphan(victim, home)
    assert set_files(target) == published  # wholly the previous set
    assert year_outputs.manifest_problems(target) == []
    log = audit.read_log(proj / "archive")
    killed = [e["run_id"] for e in log if e["event"] == "run_started"][-1]
    assert killed != first["run_id"]

    rerun = _run(proj, out, home)
    stdout, stderr = rerun.communicate(timeout=900)
    assert rerun.returncode == 0, stderr[-3000:]
    assert f"前回の2024年度の集計（実行ID {killed}、" in stdout and "強制終了されていました" in stdout
    assert "Prefect でも Crashed にしました" in stdout  # the flow run's state was changed in Prefect
    log = audit.read_log(proj / "archive")
    assert [e for e in log if e["event"] == "run_interrupted"] == [
        e for e in log if e["event"] == "run_interrupted" and e["run_id"] == killed
    ]
    assert len([e for e in log if e["event"] == "run_interrupted"]) == 1
    assert year_outputs.manifest_problems(target) == []
    for name in CSVS:  # identical inputs give identical CSVs (Word determinism is tested with the reports)
        assert (target / name).read_bytes() == published[name], name
    assert year_outputs.read_manifest(target)["run_id"] != first["run_id"]
    assert [p.name for p in out.iterdir()] == ["2024"]
    assert not processes_with_home(home)


# -- watch ------------------------------------------------------------------------------------------------------


def test_watch_judges_on_start_what_arrived_while_it_was_stopped(tmp_path, plan):
    from vision_report.core.config import load_settings
    from vision_report.operations.watch import watch

    settings = load_settings(ROOT)
    inputs, outputs, archive = tmp_path / "inputs", tmp_path / "outputs", tmp_path / "archive"
    folder = inputs / "2024"
    folder.mkdir(parents=True)
    judged = folder / "431001_熊本市.csv"
    shutil.copy(ROOT / "inputs" / "2024" / "431001_熊本市_合成データ.csv", judged)
    audit.record(  # judged before (by a run or an earlier watch)
        archive, "file_checked", fiscal_year=2024, file=judged.name, sha256=year_outputs.sha256_file(judged)
    )
    dropped = folder / "434337_南阿蘇村.csv"  # arrived while watch was stopped
    shutil.copy(FIX / "bad" / "434337_value_not_number.csv", dropped)
    for p in (judged, dropped):
        os.utime(p, (time.time() - 3600,) * 2)
    results: list[tuple[str, str]] = []

    def run_watch(seconds: float) -> int:
        return watch(
            settings,
            plan,
            2024,
            inputs,
            outputs,
            archive,
            interval=0.2,
            stop_after=seconds,
            on_result=lambda *r: results.append(r),
        )

    assert run_watch(settings.validation.settle_seconds + 4) == 1
    assert results == [("434337_南阿蘇村.csv", "rejected")]  # the judged file is not judged again
    assert "差戻し" in (outputs / "2024" / "feedback" / "434337_南阿蘇村.txt").read_bytes().decode("utf-8-sig")
    results.clear()
    assert run_watch(settings.validation.settle_seconds + 2) == 0  # now both have a file_checked record
    assert results == []


def test_audit_names_runs_that_never_ended(tmp_path):
    for event, rid in (("run_started", "a"), ("run_finished", "a"), ("run_started", "b"), ("run_started", "c")):
        audit.record(tmp_path, event, fiscal_year=2024, run_id=rid)
    audit.record(tmp_path, "run_started", fiscal_year=2023, run_id="d")
    audit.record(tmp_path, "run_failed", fiscal_year=2024, run_id="c", error="x")
    assert [e["run_id"] for e in audit.unfinished_runs(tmp_path, 2024)] == ["b"]
    assert audit.unfinished_runs(tmp_path, 2024, exclude="b") == []
    assert json.loads((tmp_path / audit.AUDIT_FILE).read_text(encoding="utf-8").splitlines()[0])["run_id"] == "a"
