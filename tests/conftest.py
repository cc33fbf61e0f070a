"""Shared fixtures. Prefect runs against a throw-away PREFECT_HOME with telemetry off."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

_PREFECT_HOME = tempfile.mkdtemp(prefix="vision-report-prefect-")
os.environ.setdefault("PREFECT_HOME", _PREFECT_HOME)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def plan():
    from vision_report.config import load_settings
    from vision_report.plan import load_plan

    return load_plan(load_settings(ROOT).plan_dir)
