"""Issue 18 item 5: after a fresh clone the bundled samples show their synthetic receipt times (not the clone's time,
which made every member 期限後), and only files whose content is exactly the generated one get them."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import datetime
from pathlib import Path

from vision_report.core.config import load_settings
from vision_report.intake import synthetic_receipts
from vision_report.screening.screen import collect, submissions_table

ROOT = Path(__file__).resolve().parents[1]


def _fresh_clone(tmp_path: Path, fy: int) -> Path:
    """inputs/<fy> copied with the modification time a clone gives: now."""
    inputs = tmp_path / "inputs"
    shutil.copytree(ROOT / "inputs" / str(fy), inputs / str(fy))
    now = time.time()
    for p in (inputs / str(fy)).iterdir():
        os.utime(p, (now, now))
    return inputs


def test_every_sample_file_is_listed_with_its_hash_and_marked_synthetic():
    for fy in range(2021, 2026):
        folder = ROOT / "inputs" / str(fy)
        doc = json.loads((folder / synthetic_receipts.MANIFEST_NAME).read_text(encoding="utf-8"))
        assert doc["note"].startswith("合成データ")
        samples = {p.name for p in folder.iterdir() if p.suffix in (".csv", ".xlsx")}
        assert set(doc["files"]) == samples
        for name, e in doc["files"].items():
            assert e["sha256"] == synthetic_receipts.file_sha256(folder / name)
            assert datetime.fromisoformat(e["received_at"]).date() < load_settings(ROOT).deadlines.for_year(fy)


def test_a_fresh_clone_shows_the_synthetic_times_on_time(tmp_path, plan):
    settings = load_settings(ROOT)
    inputs = _fresh_clone(tmp_path, 2025)
    received = collect(settings, plan, 2025, inputs, tmp_path / "archive")
    listed = synthetic_receipts.load(inputs / "2025")
    subs = [r for r in received if r.name in listed]
    assert len(subs) == 24 and all(r.mtime == listed[r.name][1] for r in subs)
    table = submissions_table(plan, received, 2025, settings.deadlines.for_year(2025))
    assert set(table["timeliness"]) == {"on_time"}, table[["file", "timeliness"]]


def test_an_edited_file_keeps_its_own_time(tmp_path, plan):
    settings = load_settings(ROOT)
    inputs = _fresh_clone(tmp_path, 2025)
    (edited,) = (inputs / "2025").glob("431001_*")
    edited.write_bytes(edited.read_bytes() + b"\r\n")
    when = time.time() - 600
    os.utime(edited, (when, when))
    received = {r.name: r for r in collect(settings, plan, 2025, inputs, tmp_path / "archive")}
    assert received[edited.name].mtime == when  # a real submission (or an edited sample) is never given a fake time


def test_a_broken_manifest_changes_nothing(tmp_path, plan):
    settings = load_settings(ROOT)
    inputs = _fresh_clone(tmp_path, 2025)
    (inputs / "2025" / synthetic_receipts.MANIFEST_NAME).write_text("{", encoding="utf-8")
    before = {p.name: p.stat().st_mtime for p in (inputs / "2025").iterdir()}
    received = collect(settings, plan, 2025, inputs, tmp_path / "archive")
    assert all(r.mtime == before[r.name] for r in received)
    assert synthetic_receipts.MANIFEST_NAME not in {r.name for r in received}  # never a submission
