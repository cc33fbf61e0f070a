"""The plan loader refuses inconsistent data, one broken fixture per rule."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from vision_report.plan import PlanError, load_plan

FIX = Path(__file__).resolve().parent / "fixtures"
BROKEN = sorted(p.name for p in (FIX / "plan_broken").iterdir() if p.is_dir())


def overlay(tmp_path: Path, broken: str) -> Path:
    """The tiny valid plan with the broken fixture's files laid over it."""
    target = tmp_path / "plan"
    shutil.copytree(FIX / "plan_tiny", target)
    src = FIX / "plan_broken" / broken
    for f in src.rglob("*"):
        if f.is_file() and f.name != "expected.txt":
            dest = target / f.relative_to(src)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, dest)
    return target


def test_tiny_plan_is_valid():
    plan = load_plan(FIX / "plan_tiny")
    assert [i.id for i in plan.initiatives] == ["1.1.1", "1.1.2", "2.1.1", "2.2.1"]
    assert plan.initiative("2.2.1").participants == ("431001", "432083")  # document order, not file order
    assert plan.initiative("1.1.2").budget.years == {2021: 0, 2022: None, 2023: 5, 2024: 5, 2025: "未定"}
    assert plan.initiative("2.1.1").budget.total == 99 and plan.initiative("2.1.1").budget.planned(2021) is None
    assert plan.subfield("2A").area_ids == ("2.1", "2.2")
    assert plan.kpi("k_up").reporters == ("431001", "432067", "432083") and plan.kpi("k_up").reporters_all


def test_every_broken_fixture_has_its_own_defect():
    assert len(BROKEN) >= 15
    for name in BROKEN:
        assert (FIX / "plan_broken" / name / "expected.txt").is_file(), name


@pytest.mark.parametrize("broken", BROKEN)
def test_loader_refuses(tmp_path: Path, broken: str):
    expected = (FIX / "plan_broken" / broken / "expected.txt").read_text(encoding="utf-8").strip()
    with pytest.raises(PlanError) as info:
        load_plan(overlay(tmp_path, broken))
    problems = info.value.problems
    assert any(expected in p for p in problems), problems
    # every message starts with the file to fix (then the item, where there is one), then a colon
    assert all(re.match(r"^[\w/*.-]+\.(yaml|csv)( [^:]+)?: \S", p) for p in problems), problems


def test_missing_plan_folder(tmp_path: Path):
    with pytest.raises(PlanError, match="計画フォルダ"):
        load_plan(tmp_path / "nowhere")
