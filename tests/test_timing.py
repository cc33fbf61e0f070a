"""Phases of a run are timed only when a profile is asked for (bench/run.py, issue 21)."""

from __future__ import annotations

import json

from vision_report.core import timing
from vision_report.pipeline import PLAIN


def test_without_the_variable_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv(timing.ENV_PROFILE, raising=False)
    monkeypatch.chdir(tmp_path)
    with timing.phase("compute"):
        pass
    timing.since_start("start_and_imports")
    assert list(tmp_path.iterdir()) == []


def test_phases_are_appended_and_summed(tmp_path, monkeypatch):
    profile = tmp_path / "run.phases"
    monkeypatch.setenv(timing.ENV_PROFILE, str(profile))
    monkeypatch.setenv(timing.ENV_T0, "0")
    for _ in range(2):
        with timing.phase("screen"):
            pass
    timing.record("pdf", 1.5)
    timing.since_start("start_and_imports")
    lines = [json.loads(x) for x in profile.read_text(encoding="utf-8").splitlines()]
    assert [x["phase"] for x in lines] == ["screen", "screen", "pdf", "start_and_imports"]
    got = timing.read_profile(profile)
    assert got["pdf"] == 1.5 and got["screen"] >= 0 and got["start_and_imports"] > 1e9  # since the epoch's 0


def test_timed_steps_call_the_same_functions_and_record_their_names(tmp_path, monkeypatch):
    profile = tmp_path / "run.phases"
    monkeypatch.setenv(timing.ENV_PROFILE, str(profile))
    steps = PLAIN.timed()
    assert steps.write_after_lock_list is not PLAIN.write_after_lock_list
    path = steps.write_after_lock_list(tmp_path / "outputs" / "2025" / "after_lock.csv", _empty())
    assert path.is_file() and set(timing.read_profile(profile)) == {"write_after_lock_list"}


def _empty():
    import pandas as pd

    return pd.DataFrame({"municipality_code": []})
