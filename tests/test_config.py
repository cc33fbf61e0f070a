"""config/vision-report.yaml: plans by fiscal year (issue 10), one broken configuration per rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vision_report.core.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[1]


def project(tmp_path: Path, plans_yaml: str) -> Path:
    """A project folder whose config is the shipped one with its plans: section replaced by ``plans_yaml``."""
    (tmp_path / "config").mkdir()
    text = (ROOT / "config" / "vision-report.yaml").read_text(encoding="utf-8")
    shipped = (
        "plans:\n  - {from: 2021, to: 2025, plan: plans/kumamoto-2024-03}\n"
        "  - {from: 2026, to: 2030, plan: plans/kumamoto-2026-synthetic}\n"
    )
    assert shipped in text
    (tmp_path / "config" / "vision-report.yaml").write_text(text.replace(shipped, plans_yaml + "\n"), encoding="utf-8")
    return tmp_path


def test_shipped_config_maps_the_vision_period_to_its_plan():
    s = load_settings(ROOT)
    assert [(r.first_fiscal_year, r.last_fiscal_year) for r in s.plans] == [(2021, 2025), (2026, 2030)]
    for fy in range(2021, 2026):
        assert s.plan_dir_for(fy) == ROOT / "plans" / "kumamoto-2024-03"
    for fy in range(2026, 2031):  # the synthetic next plan (issue 20, made through `plan import`)
        assert s.plan_dir_for(fy) == ROOT / "plans" / "kumamoto-2026-synthetic"
    assert s.plan_dir == ROOT / "plans" / "kumamoto-2026-synthetic"


def test_a_year_no_plan_covers_is_refused_with_what_to_add():
    s = load_settings(ROOT)
    with pytest.raises(ConfigError) as info:
        s.plan_dir_for(2031)
    assert str(info.value).startswith(
        "2031年度を対象とする計画がありません（設定済み: 2021年度〜2025年度（plans/kumamoto-2024-03）、"
        "2026年度〜2030年度（plans/kumamoto-2026-synthetic））。"
        "config/vision-report.yaml の plans: に 2031年度を含む計画のフォルダを追加してください"
    )
    with pytest.raises(ConfigError, match="2020年度を対象とする計画がありません"):
        s.plan_dir_for(2020)


def test_two_plans_and_an_open_end(tmp_path):
    root = project(
        tmp_path,
        "plans:\n  - {from: 2026, plan: plans/next}\n  - {from: 2021, to: 2025, plan: plans/kumamoto-2024-03}",
    )
    s = load_settings(root)
    assert s.plan_dir_for(2025) == root / "plans" / "kumamoto-2024-03"
    assert s.plan_dir_for(2026) == s.plan_dir_for(2040) == root / "plans" / "next"
    assert s.plan_dir == root / "plans" / "next"  # the newest range


def test_the_old_single_plan_key_is_still_accepted(tmp_path):
    root = project(tmp_path, "plan: plans/kumamoto-2024-03")
    s = load_settings(root)
    assert s.plan_dir == s.plan_dir_for(2021) == s.plan_dir_for(2030) == root / "plans" / "kumamoto-2024-03"


@pytest.mark.parametrize(
    "plans_yaml, message",
    [
        (
            "plans:\n  - {from: 2021, to: 2025, plan: a}\n  - {from: 2025, to: 2030, plan: b}",
            "設定 plans: の年度の範囲が重なっています（2021年度〜2025年度 と 2025年度〜2030年度）",
        ),
        (
            "plans:\n  - {from: 2025, to: 2021, plan: a}",
            "設定 plans: の1番目 の年度の範囲 from: 2025 〜 to: 2021 が逆です",
        ),
        ("plans:\n  - {from: 2021, to: 2025}", "設定 plans: の1番目 に計画フォルダ plan: がありません"),
        (
            "plans:\n  - {from: '令和3', plan: a}",
            "設定 plans: の1番目 の年度 '令和3' は4桁の年度（例: 2021）にしてください",
        ),
        ("plans:\n  - {from: 2021, until: 2025, plan: a}", "設定 plans: の1番目 に不明な項目があります: until"),
        ("plans: []", "設定 plans: には年度の範囲と計画フォルダの一覧を書いてください"),
        ("plan: a\nplans:\n  - {from: 2021, plan: a}", "設定 plan: と plans: の両方があります"),
    ],
)
def test_broken_plans_configuration(tmp_path, plans_yaml, message):
    with pytest.raises(ConfigError) as info:
        load_settings(project(tmp_path, plans_yaml))
    assert message in str(info.value)


def test_copy_of_the_shipped_config_loads(tmp_path):
    shutil.copytree(ROOT / "config", tmp_path / "config")
    assert load_settings(tmp_path).plan_dir_for(2024) == tmp_path / "plans" / "kumamoto-2024-03"


def test_final_evaluation_rule_comes_from_configuration(tmp_path):
    assert load_settings(ROOT).final_evaluation.achieved_if == {"increase": ">=", "at_least": ">=", "decrease": "<="}
    root = project(tmp_path, "plans:\n  - {from: 2021, to: 2025, plan: plans/kumamoto-2024-03}")
    cfg = root / "config" / "vision-report.yaml"
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace('decrease: "<="}', 'decrease: "=="}'), encoding="utf-8")
    with pytest.raises(ConfigError, match="設定 final_evaluation.achieved_if には increase・decrease・at_least"):
        load_settings(root)


def test_evaluation_settings_default_and_checked(tmp_path):
    from vision_report.core.config import load_settings

    s = load_settings()
    assert s.evaluation.self_evaluation["A"] == "計画どおり実施し成果が出た"
    assert s.evaluation.directions == ("拡充", "継続", "改善", "縮小", "廃止", "完了")
    assert s.evaluation.max_text_chars == 400
    root = tmp_path / "p"
    (root / "config").mkdir(parents=True)
    text = (s.root / "config" / "vision-report.yaml").read_text(encoding="utf-8")
    (root / "config" / "vision-report.yaml").write_text(
        text.replace("good_grades: [A, B]", "good_grades: [A, S]"), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="good_grades の S が self_evaluation の区分（A・B・C・D）にありません"):
        load_settings(root)


def test_the_columns_every_file_is_asked_to_fill_come_from_configuration(tmp_path):
    """review 4 #2: evaluation.required_in_file names the optional columns whose absence throughout a file is warned
    about (default 自己評価); a name that is not one of the five optional columns stops the run in Japanese."""
    assert load_settings(ROOT).evaluation.required_in_file == ("self_evaluation",)
    root = project(tmp_path, "plans:\n  - {from: 2021, to: 2025, plan: plans/kumamoto-2024-03}")
    cfg = root / "config" / "vision-report.yaml"
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(
        text.replace("required_in_file: [self_evaluation]", "required_in_file: [自己評価]"), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="設定 evaluation.required_in_file には self_evaluation・direction"):
        load_settings(root)
    cfg.write_text(
        text.replace("required_in_file: [self_evaluation]", "required_in_file: [direction]"), encoding="utf-8"
    )
    assert load_settings(root).evaluation.required_in_file == ("direction",)


def test_the_grades_that_agree_with_each_status_come_from_configuration(tmp_path):
    """review 4 #15: evaluation.grades_by_status (一部実施 → C …); a grade that is not one of self_evaluation's stops
    the run in Japanese."""
    assert load_settings(ROOT).evaluation.grades_by_status["一部実施"] == ("C",)
    root = project(tmp_path, "plans:\n  - {from: 2021, to: 2025, plan: plans/kumamoto-2024-03}")
    cfg = root / "config" / "vision-report.yaml"
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace("一部実施: [C]", "一部実施: [S]"), encoding="utf-8")
    with pytest.raises(ConfigError, match="設定 evaluation.grades_by_status には、実施状況ごとに合う自己評価の区分"):
        load_settings(root)
