"""The plan workbook (issue 20, docs CONTRACT §8): export, import with every problem named, amendments, continuity."""

from __future__ import annotations

import hashlib
import io
import json
import math
import shutil
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from vision_report.cli import main
from vision_report.compute.history import history_tables
from vision_report.compute.period import period_budget
from vision_report.compute.tables import compute_year
from vision_report.core.config import load_settings
from vision_report.plan import load_plan
from vision_report.plan.continuity import carried_initiatives, carried_kpis, rekey_results
from vision_report.screening import screen

ROOT = Path(__file__).resolve().parents[1]
PLAN_ID = "kumamoto-2024-03"


@pytest.fixture
def proj(tmp_path) -> Path:
    """A project copy with only the shipped vision (FY2021–2025) in its config."""
    p = tmp_path / "proj"
    for part in ("config", "templates", "expectations"):
        shutil.copytree(ROOT / part, p / part)
    shutil.copytree(ROOT / "plans" / PLAN_ID, p / "plans" / PLAN_ID)
    cfg = p / "config" / "vision-report.yaml"
    lines = [x for x in cfg.read_text(encoding="utf-8").splitlines(keepends=True) if "plans/kumamoto-2026" not in x]
    cfg.write_text("".join(lines), encoding="utf-8")
    return p


def _json(proj: Path, capsys) -> dict:
    capsys.readouterr()
    assert main(["--root", str(proj), "plan", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# the exported workbook per project content (every file but workbooks): most tests export the shipped plan
# unchanged and then edit the workbook, and the export is byte-for-byte deterministic, so the command runs once per
# content in this process (half of a defect test's time was the export;
# test_the_exported_workbook_is_byte_for_byte_deterministic)
_EXPORTED: dict[str, bytes] = {}


def _export(proj: Path, capsys, name: str = "plan.xlsx") -> Path:
    out = proj / name
    content = hashlib.sha256(repr(sorted(_snapshot(proj).items())).encode()).hexdigest()
    if content in _EXPORTED:
        out.write_bytes(_EXPORTED[content])
        return out
    assert main(["--root", str(proj), "plan", "export", "--out", str(out), "--plan", PLAN_ID]) == 0
    assert f"計画 {PLAN_ID} を" in capsys.readouterr().out
    _EXPORTED[content] = out.read_bytes()
    return out


def _snapshot(proj: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(proj)): p.read_bytes()
        for p in sorted(proj.rglob("*"))
        if p.is_file() and p.suffix != ".xlsx" and ".prefect" not in p.parts
    }


INITIATIVE_AMENDMENT = """\
id: 2025-04-01-initiatives
date: 2025-04-01
title: 取組の追加と終了（テスト）
source: 連携中枢都市圏ビジョン懇談会の決定（テスト）
initiatives_added:
  - id: '3.15.4'
    area: '3.15'
    name: 鉄道駅の乗継ぎ改善（テスト）
    lead: 熊本市
    participants: ['431001', '432041']
    description: 駅での乗継ぎを改善する（テスト）
    budget: {2025: 1200, total: 1200}
initiatives_ended:
  - id: '1.1.2'
targets_revised:
  - {kpi: startups, target: 1250}
"""


def _amend_initiatives(proj: Path) -> None:
    """An amendment of 2025-04-01 (in FY2025): 3.15.4 added (熊本市 and 荒尾市, from FY2025), 1.1.2 ended (last FY2024),
    the target of startups revised (from FY2025)."""
    folder = proj / "plans" / PLAN_ID / "amendments"
    (folder / "2025-04-01_initiatives.yaml").write_text(INITIATIVE_AMENDMENT, encoding="utf-8")


@pytest.mark.parametrize("with_initiative_amendment", [False, True], ids=["plan", "initiatives_added_and_ended"])
def test_export_then_import_gives_the_same_plan(proj, capsys, with_initiative_amendment):
    if with_initiative_amendment:
        _amend_initiatives(proj)
    before_json = _json(proj, capsys)
    before = load_plan(proj / "plans" / PLAN_ID)
    config_before = (proj / "config" / "vision-report.yaml").read_text(encoding="utf-8")
    book = _export(proj, capsys)
    rc = main(["--root", str(proj), "plan", "import", str(book), "--id", PLAN_ID, "--from-fiscal-year", "2021"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "変更はありません。" in out
    assert _json(proj, capsys) == before_json
    after = load_plan(proj / "plans" / PLAN_ID)
    # the texts too (事業内容, 役割分担, 費用負担, スケジュール, 効果, 連携協約 …), not only what --json shows
    for part in ("meta", "municipalities", "pillars", "subfields", "areas", "initiatives", "kpis", "memberships"):
        assert getattr(after, part) == getattr(before, part), part
    assert [a.members_added for a in after.amendments] == [a.members_added for a in before.amendments]
    assert [(a.initiatives_added, a.initiatives_ended) for a in after.amendments] == [
        (a.initiatives_added, a.initiatives_ended) for a in before.amendments
    ]
    assert (proj / "config" / "vision-report.yaml").read_text(encoding="utf-8") == config_before
    assert not [p for p in (proj / "plans").iterdir() if p.name.startswith(".")]  # no temp folder left
    if with_initiative_amendment:
        assert before_json["initiatives"][[i["id"] for i in before_json["initiatives"]].index("3.15.4")] == {
            "id": "3.15.4",
            "name": "鉄道駅の乗継ぎ改善（テスト）",
            "area": "3.15",
            "participants": ["431001", "432041"],
            "budget": {"2021": None, "2022": None, "2023": None, "2024": None, "2025": 1200, "total": 1200},
            "first_fiscal_year": 2025,
            "added_by": "2025-04-01-initiatives",
        }
        files = sorted(p.name for p in (proj / "plans" / PLAN_ID / "amendments").iterdir())
        assert files == ["2025-03-27_2025-03-27-members.yaml", "2025-04-01_2025-04-01-initiatives.yaml"]
        pillar = (proj / "plans" / PLAN_ID / "pillars" / "3.yaml").read_text(encoding="utf-8")
        assert "3.15.4" not in pillar  # recorded in the amendment's file, not as part of the adopted vision


def test_the_exported_workbook_is_byte_for_byte_deterministic(proj, capsys, monkeypatch):
    """The same plan exported twice (the second an hour later by the clock) gives the same bytes: no save time in
    the workbook's properties or its zip entries (core.xlsx), as for the submission templates."""
    outs = []
    now = time.time
    for name, later in (("a.xlsx", 0), ("b.xlsx", 3600)):
        monkeypatch.setattr(time, "time", lambda later=later: now() + later)  # what zipfile stamps entries with
        out = proj / name
        assert main(["--root", str(proj), "plan", "export", "--out", str(out), "--plan", PLAN_ID]) == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert b"2024-04-01T00:00:00Z" in zipfile.ZipFile(io.BytesIO(outs[0])).read("docProps/core.xml")


def test_exported_workbook_is_readable_with_lists_and_frozen_headers(proj, capsys):
    wb = load_workbook(_export(proj, capsys))
    assert wb.sheetnames[:2] == ["記入方法", "計画"]
    assert {"構成市町村", "柱", "小分野", "政策分野", "取組", "関係市町村", "事業費", "KPI", "改定"} <= set(
        wb.sheetnames
    )
    ini = wb["取組"]
    head = [c.value for c in ini[1]]
    assert head[:5] == ["取組ID", "政策分野ID", "取組名", "前計画の取組ID", "取りまとめ役"]
    assert {"事業内容", "役割分担（中心市）", "費用負担", "スケジュール", "効果"} <= set(head)
    assert ini.freeze_panes == "D2" and ini.column_dimensions["F"].width >= 40
    assert ini.cell(row=2, column=head.index("事業内容") + 1).alignment.wrap_text
    grid = wb["関係市町村"]
    assert [c.value for c in grid[1]][:4] == ["取組ID", "取組名", "熊本市", "玉名市"]
    row = {c.value: n for n, c in enumerate(grid["A"], start=1)}["3.15.2"]
    marks = {h.value: c.value for h, c in zip(grid[1], grid[row], strict=True)}
    assert [h for h, v in marks.items() if v == "○"] == ["熊本市", "合志市"]  # the vision's ○ for 3.15.2
    kpi = wb["KPI"]
    kh = [c.value for c in kpi[1]]
    gdp = [c.value for c in kpi[2]]
    assert gdp[kh.index("目標値")] == 4830000 and gdp[kh.index("方向")] == "増加を目指す"
    assert any("方向" in str(kh) and dv.type == "list" for dv in kpi.data_validations.dataValidation)
    assert wb["選択肢"].sheet_state == "hidden"
    amend = wb["改定"]
    assert [c.value for c in amend[2]][:6] == [
        "2025-03-27-members",
        "2025-03-27",
        amend["C2"].value,
        amend["D2"].value,
        "市町村の加入",
        "432041",
    ]


# -- one defect per workbook: each is named with sheet, row and column, and nothing is written -----------------------
def _cell(ws, row_key: str, column: str):
    head = [c.value for c in ws[1]]
    rows = {str(c.value): n for n, c in enumerate(ws["A"], start=1)}
    return ws.cell(row=rows[row_key], column=head.index(column) + 1)


def _no_participant(wb):
    ws = wb["関係市町村"]
    for c in ws[2][2:]:
        c.value = None
    return "【関係市町村】2行目：関係市町村に ○ が一つもありません"


def _participant_not_member(wb):
    _cell(wb["構成市町村"], "432083", "脱退日").value = "2020-03-31"  # 山鹿市 left before the period
    return "【関係市町村】2行目 山鹿市：山鹿市（432083）は計画期間（2021〜2025年度）に報告する構成市町村ではありません"


def _kpi_without_target(wb):
    _cell(wb["KPI"], "startups", "目標値").value = None
    return "【KPI】3行目 目標値：目標値がありません"


def _budget_not_number(wb):
    _cell(wb["事業費"], "1.1.1", "2022年度").value = "約5,000"
    return "【事業費】2行目 2022年度：約5,000 は千円単位の整数・空欄・「未定」のいずれかにしてください"


def _duplicate_id(wb):
    _cell(wb["KPI"], "startups", "KPI ID").value = "gdp"
    return "【KPI】3行目 KPI ID：gdp が重複しています（2行目と同じ）"


def _unknown_area(wb):
    _cell(wb["取組"], "1.1.1", "政策分野ID").value = "1.9"
    return "【取組】2行目 政策分野ID：政策分野 1.9 はシート【政策分野】にありません"


def _unknown_measures(wb):
    _cell(wb["KPI"], "gdp", "測る対象（柱・小分野・政策分野）").value = "4"
    return "【KPI】2行目 測る対象（柱・小分野・政策分野）：測る対象 4 は柱・小分野・政策分野のいずれにもありません"


def _bad_check_digit(wb):
    _cell(wb["構成市町村"], "434477", "市町村コード").value = "434470"
    return "【構成市町村】21行目 市町村コード：市町村コード 434470 は6桁の全国地方公共団体コードではありません（検査数字が合いません）"


def _bad_direction(wb):
    _cell(wb["KPI"], "gdp", "方向").value = "増やす"
    return "【KPI】2行目 方向：増やす は選択肢（増加を目指す・減少を目指す・目標値以上を維持）から選んでください"


def _total_mismatch(wb):
    _cell(wb["事業費"], "1.1.1", "合計").value = 30000
    return "【事業費】2行目 合計：合計 30,000 が各年度の和 29,552 と一致しません"


def _unknown_member_column(wb):
    wb["関係市町村"].cell(row=1, column=3).value = "熊本町"
    return "【関係市町村】1行目 熊本町：熊本町 はシート【構成市町村】にありません"


def _amendment_without_source(wb):
    wb["改定"]["D2"].value = None
    return "【改定】2行目 出典：必須の項目が空です"


def _amendment_unknown_initiative(wb):
    ws = wb["改定"]
    ws.cell(row=2, column=[c.value for c in ws[1]].index("参加する取組ID") + 1).value = "3.15.2、3.99.1"
    return "【改定】2行目 参加する取組ID：取組 3.99.1 はシート【取組】にありません"


def _predecessor_without_previous_plan(wb):
    _cell(wb["KPI"], "gdp", "前計画のKPI ID").value = "gdp"
    return "【KPI】2行目 前計画のKPI ID：前の計画がないため、gdp を前計画のIDとして使えません"


COLUMN_TARGET = "対象（市町村コード・取組ID・KPI ID）"


def _amendment_row(wb, kind: str, target: str, day: str | None = "2025-04-01", **extra) -> int:
    """A row of the 改定 sheet (an amendment of FY2025 with its source); its row number."""
    ws = wb["改定"]
    values = {
        "改定ID": "2025-04-01-initiatives",
        "改定日": day,
        "件名": "取組の追加と終了（テスト）",
        "出典": "連携中枢都市圏ビジョン懇談会の決定（テスト）",
        "種類": kind,
        COLUMN_TARGET: target,
        **extra,
    }
    ws.append([values.get(c.value) for c in ws[1]])
    return ws.max_row


def _initiative_rows(wb, iid: str = "3.15.4", area: str = "3.15", marks=("熊本市", "荒尾市")) -> dict[str, int]:
    """A new initiative written like any other on 取組, 関係市町村 and 事業費; sheet -> its row number."""
    name = "鉄道駅の乗継ぎ改善（テスト）"
    rows = {}
    ws = wb["取組"]
    ws.append(
        [{"取組ID": iid, "政策分野ID": area, "取組名": name, "取りまとめ役": "熊本市"}.get(c.value) for c in ws[1]]
    )
    rows["取組"] = ws.max_row
    ws = wb["関係市町村"]
    ws.append([iid, name, *("○" if c.value in marks else None for c in ws[1][2:])])
    rows["関係市町村"] = ws.max_row
    ws = wb["事業費"]
    ws.append([{"取組ID": iid, "取組名": name, "2025年度": 1200, "合計": 1200}.get(c.value) for c in ws[1]])
    rows["事業費"] = ws.max_row
    return rows


def _added_initiative_id_exists(wb):
    n = _amendment_row(wb, "取組の追加", "3.15.2")
    return (
        f"【改定】{n}行目 {COLUMN_TARGET}：取組 3.15.2 はすでに計画にある取組です"
        "（取組の追加には、その政策分野の次の番号の新しい取組IDを付けてください）"
    )


def _added_initiative_in_unknown_area(wb):
    n = _initiative_rows(wb, "3.23.1", "3.23")["取組"]
    _amendment_row(wb, "取組の追加", "3.23.1")
    return f"【取組】{n}行目 政策分野ID：政策分野 3.23 はシート【政策分野】にありません"


def _added_initiative_without_participant(wb):
    n = _initiative_rows(wb, marks=())["関係市町村"]
    _amendment_row(wb, "取組の追加", "3.15.4")
    return f"【関係市町村】{n}行目：関係市町村に ○ が一つもありません"


def _added_initiative_participant_not_member(wb):
    n = _initiative_rows(wb)["関係市町村"]
    _amendment_row(wb, "取組の追加", "3.15.4", day="2025-01-01")  # 荒尾市 joined on 2025-03-27
    return f"【関係市町村】{n}行目 荒尾市：荒尾市（432041）は取組 3.15.4 を追加する改定の日（2025年1月1日）に構成市町村ではありません"


def _ended_initiative_unknown(wb):
    n = _amendment_row(wb, "取組の終了", "1.1.9")
    return f"【改定】{n}行目 {COLUMN_TARGET}：取組 1.1.9 はシート【取組】にありません"


def _ended_before_it_starts(wb):
    _initiative_rows(wb)
    _amendment_row(wb, "取組の追加", "3.15.4")  # from FY2025
    n = _amendment_row(wb, "取組の終了", "3.15.4")  # the same day: its last year would be FY2024
    return f"【改定】{n}行目 {COLUMN_TARGET}：取組 3.15.4 は2025年度から始まる取組です。終了（最後の年度 2024）がそれより前です"


def _initiative_amendment_without_date(wb):
    _initiative_rows(wb)
    n = _amendment_row(wb, "取組の追加", "3.15.4", day=None)
    return f"【改定】{n}行目 改定日：必須の項目が空です"


def _initiative_amendment_without_source(wb):
    n = _amendment_row(wb, "取組の終了", "1.1.2", 出典=None)
    return f"【改定】{n}行目 出典：必須の項目が空です"


DEFECTS = [
    _no_participant,
    _participant_not_member,
    _kpi_without_target,
    _budget_not_number,
    _duplicate_id,
    _unknown_area,
    _unknown_measures,
    _bad_check_digit,
    _bad_direction,
    _total_mismatch,
    _unknown_member_column,
    _amendment_without_source,
    _amendment_unknown_initiative,
    _predecessor_without_previous_plan,
    _added_initiative_id_exists,
    _added_initiative_in_unknown_area,
    _added_initiative_without_participant,
    _added_initiative_participant_not_member,
    _ended_initiative_unknown,
    _ended_before_it_starts,
    _initiative_amendment_without_date,
    _initiative_amendment_without_source,
]


@pytest.mark.parametrize("defect", DEFECTS, ids=lambda f: f.__name__.strip("_"))
def test_each_defect_is_named_with_sheet_row_and_column_and_nothing_is_written(proj, capsys, defect):
    book = _export(proj, capsys)
    wb = load_workbook(book)
    expected = defect(wb)
    wb.save(book)
    before = _snapshot(proj)
    rc = main(["--root", str(proj), "plan", "import", str(book), "--id", PLAN_ID, "--from-fiscal-year", "2021"])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.startswith("計画ワークブック plan.xlsx に ")
    assert f"- {expected}\n" in err, err
    assert _snapshot(proj) == before


def test_every_problem_is_listed_at_once(proj, capsys):
    book = _export(proj, capsys)
    wb = load_workbook(book)
    expected = [d(wb) for d in (_kpi_without_target, _budget_not_number, _unknown_area, _bad_check_digit)]
    wb.save(book)
    assert main(["--root", str(proj), "plan", "import", str(book), "--id", PLAN_ID, "--from-fiscal-year", "2021"]) == 1
    err = capsys.readouterr().err
    assert all(f"- {e}\n" in err for e in expected), err


def test_a_period_overlapping_the_previous_plan_is_refused(proj, capsys):
    book = _export(proj, capsys)
    before = _snapshot(proj)
    assert main(["--root", str(proj), "plan", "import", str(book), "--id", "copy", "--from-fiscal-year", "2024"]) == 1
    err = capsys.readouterr().err
    assert (
        "- 【計画】7行目 内容：計画期間 2024〜2025年度が設定済みの計画 plans/kumamoto-2024-03（2021〜2025年度）と重なっています"
        in err
    )
    assert _snapshot(proj) == before


def test_dry_run_writes_nothing(proj, capsys):
    book = _export(proj, capsys)
    wb = load_workbook(book)
    _cell(wb["取組"], "3.15.2", "取組名").value = "鉄道・バス交通の確保のための連携"
    wb.save(book)
    before = _snapshot(proj)
    args = [
        "--root",
        str(proj),
        "plan",
        "import",
        str(book),
        "--id",
        PLAN_ID,
        "--from-fiscal-year",
        "2021",
        "--dry-run",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "取組名の変更：3.15.2「鉄道交通の確保のための連携」→「鉄道・バス交通の確保のための連携」" in out
    assert "問題はありません（--dry-run のため書き込んでいません）。" in out
    assert _snapshot(proj) == before


def _code(prefix: str) -> str:
    d = [int(x) for x in prefix]
    return prefix + str((11 - (6 * d[0] + 5 * d[1] + 4 * d[2] + 3 * d[3] + 2 * d[4]) % 11) % 10)


def test_an_amendment_through_the_workbook_becomes_an_amendment_file(proj, capsys):
    """A member joining (with its initiatives) and a revised target, each with date and source."""
    book = _export(proj, capsys)
    wb = load_workbook(book)
    ws = wb["改定"]
    head = [c.value for c in ws[1]]
    code = _code("43599")
    for values in (
        {
            "改定ID": "2025-10-01-join",
            "改定日": "2025-10-01",
            "件名": "架空町の加入（テスト）",
            "出典": "連携協約（テスト）",
            "種類": "市町村の加入",
            "対象（市町村コード・取組ID・KPI ID）": code,
            "市町村名": "架空町",
            "加入日": "2025-10-01",
            "参加する取組ID": "3.15.2、3.21.1",
        },
        {
            "改定ID": "2025-10-01-join",
            "改定日": "2025-10-01",
            "件名": "架空町の加入（テスト）",
            "出典": "連携協約（テスト）",
            "種類": "目標値の変更",
            "対象（市町村コード・取組ID・KPI ID）": "startups",
            "新しい目標値": 1250,
        },
    ):
        ws.append([values.get(h) for h in head])
    wb.save(book)
    rc = main(["--root", str(proj), "plan", "import", str(book), "--id", PLAN_ID, "--from-fiscal-year", "2021"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "KPIの変更：startups 圏域内の創業者数（目標値 1,190 → 1,250）" in out
    folder = proj / "plans" / PLAN_ID / "amendments"
    assert sorted(p.name for p in folder.iterdir()) == [
        "2025-03-27_2025-03-27-members.yaml",
        "2025-10-01_2025-10-01-join.yaml",
    ]
    text = (folder / "2025-10-01_2025-10-01-join.yaml").read_text(encoding="utf-8")
    assert "source: 連携協約（テスト）" in text and "date: 2025-10-01" in text
    plan = load_plan(proj / "plans" / PLAN_ID)
    assert plan.kpi("startups").target == 1250
    assert code in plan.initiative("3.15.2").participants and code in plan.initiative("3.21.1").participants
    assert plan.membership(code).first_fiscal_year == 2026  # joined mid-year: reports from the next fiscal year
    assert len(plan.members(2025)) == 24 and not plan.is_member(code, 2025)
    # the exported workbook shows the amendment again, so a second round trip keeps it
    again = _export(proj, capsys, "again.xlsx")
    assert main(["--root", str(proj), "plan", "import", str(again), "--id", PLAN_ID, "--from-fiscal-year", "2021"]) == 0
    assert "変更はありません。" in capsys.readouterr().out
    assert load_plan(proj / "plans" / PLAN_ID).kpi("startups").target == 1250


def test_initiatives_added_and_ended_through_the_workbook_become_an_amendment_file(proj, capsys):
    """取組の追加 (its rows on 取組・関係市町村・事業費, ○ for a member an amendment added too) and 取組の終了, with date
    and source: one amendment file; the plan has them from / up to the right fiscal years."""
    book = _export(proj, capsys)
    wb = load_workbook(book)
    _initiative_rows(wb)
    _amendment_row(wb, "取組の追加", "3.15.4")
    _amendment_row(wb, "取組の終了", "1.1.2")
    wb.save(book)
    rc = main(["--root", str(proj), "plan", "import", str(book), "--id", PLAN_ID, "--from-fiscal-year", "2021"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "取組の追加（改定 2025-04-01-initiatives）：3.15.4 鉄道駅の乗継ぎ改善（テスト）（2025年度から）" in out
    assert "取組の終了（改定 2025-04-01-initiatives）：1.1.2 医療・介護・健康サービス産業支援（2024年度まで）" in out
    text = (proj / "plans" / PLAN_ID / "amendments" / "2025-04-01_2025-04-01-initiatives.yaml").read_text(
        encoding="utf-8"
    )
    assert "source: 連携中枢都市圏ビジョン懇談会の決定（テスト）" in text and "date: 2025-04-01" in text
    plan = load_plan(proj / "plans" / PLAN_ID)
    new, ended = plan.initiative("3.15.4"), plan.initiative("1.1.2")
    assert (new.first_fiscal_year, new.added_by, new.participants) == (
        2025,
        "2025-04-01-initiatives",
        ("431001", "432041"),
    )
    assert (ended.last_fiscal_year, ended.ended_by) == (2024, "2025-04-01-initiatives")
    assert plan.area("3.15").initiative_ids[-1] == "3.15.4"
    assert [i.id for i in plan.initiatives_of("432041", 2025)] == ["3.15.4"]
    assert "1.1.2" not in {i.id for i in plan.initiatives_of("431001", 2025)}
    assert "1.1.2" in {i.id for i in plan.initiatives_of("431001", 2024)}
    assert "3.15.4" not in {i.id for i in plan.initiatives_of("431001", 2024)}


def test_a_later_amendment_leaves_an_earlier_year_unchanged(proj, capsys):
    """FY2024's tables are the same before and after an amendment dated in FY2025 adds and ends initiatives and revises
    a target; FY2025 expects the added one and not the ended one, whose years stay in the history."""
    settings = load_settings(proj)
    rows = pd.DataFrame(columns=screen.ACCEPTED_ROW_COLUMNS)
    before = load_plan(proj / "plans" / PLAN_ID)
    per_year_before = {y: compute_year(before, y, rows, settings) for y in (2023, 2024)}
    _amend_initiatives(proj)
    after = load_plan(proj / "plans" / PLAN_ID)
    per_year_after = {y: compute_year(after, y, rows, settings) for y in (2023, 2024)}
    for y in (2023, 2024):
        for name, table in per_year_before[y].items():
            pd.testing.assert_frame_equal(table, per_year_after[y][name], obj=f"{y} {name}")
    for name, table in history_tables(before, per_year_before).items():
        pd.testing.assert_frame_equal(table, history_tables(after, per_year_after)[name], obj=name)
    for code in ("431001", "432041"):
        assert [i.id for i in before.initiatives_of(code, 2024)] == [i.id for i in after.initiatives_of(code, 2024)]
    kpi2025 = compute_year(after, 2025, rows, settings)["kpi_attainment"].set_index("kpi_id")
    assert kpi2025.loc["startups", "target"] == 1250 and after.kpi_target("startups", 2024)[0] == 1190
    fy2025 = compute_year(after, 2025, rows, settings)["budget_execution"].set_index("initiative_id")
    assert "3.15.4" in fy2025.index and "1.1.2" not in fy2025.index
    assert fy2025.loc["3.15.4", "planned_thousand_yen"] == 1200
    per_year_after[2025] = compute_year(after, 2025, rows, settings)
    history = history_tables(after, per_year_after)["budget_history"].set_index("initiative_id")
    assert {"1.1.2", "3.15.4"} <= set(history.index)  # 1.1.2 ran in 2023–2024, 3.15.4 in 2025
    period = period_budget(after, {y: t["budget_execution"] for y, t in per_year_after.items()}, 2023, 2025, [])
    period = period.set_index("initiative_id")
    assert period.loc["1.1.2", "years"] == 2 and period.loc["3.15.4", "years"] == 1


def test_a_row_for_an_ended_initiative_is_refused(proj, capsys):
    _amend_initiatives(proj)
    shutil.copytree(ROOT / "inputs" / "2025", proj / "inputs" / "2025")
    (file,) = (proj / "inputs" / "2025").glob("431001_*.csv")
    rc = main(["--root", str(proj), "check", str(file), "--fiscal-year", "2025"])
    out = capsys.readouterr().out
    assert rc == 1, out
    assert (
        "取組 1.1.2（医療・介護・健康サービス産業支援）は、計画の改定「取組の追加と終了（テスト）」（2025年4月1日）により"
        "2024年度で終了した取組です。2025年度の行は削除してください。" in out
    ), out


def test_submission_templates_follow_the_initiatives_of_the_year(proj, capsys):
    _amend_initiatives(proj)
    ids = {}
    for fy in (2024, 2025):
        out = proj / f"templates_{fy}"
        assert main(["--root", str(proj), "templates", "--fiscal-year", str(fy), "--out", str(out)]) == 0
        for code in ("431001", "432041") if fy == 2025 else ("431001",):  # 荒尾市 reports from FY2025
            (csv_file,) = out.glob(f"{code}_*.csv")
            rows = pd.read_csv(csv_file, encoding="utf-8-sig", dtype=str)
            ids[(fy, code)] = set(rows.iloc[:, 1])
    assert "1.1.2" in ids[(2024, "431001")] and "3.15.4" not in ids[(2024, "431001")]
    assert "1.1.2" not in ids[(2025, "431001")] and "3.15.4" in ids[(2025, "431001")]
    assert "3.15.4" in ids[(2025, "432041")]


def test_a_row_for_an_initiative_not_yet_started_is_refused(proj, capsys):
    _amend_initiatives(proj)
    (proj / "inputs" / "2024").mkdir(parents=True)
    (source,) = (ROOT / "inputs" / "2024").glob("431001_*.csv")
    text = source.read_text(encoding="cp932").replace(
        "事業費,3.15.2,鉄道交通の確保のための連携,", "事業費,3.15.4,鉄道駅の乗継ぎ改善（テスト）,"
    )
    file = proj / "inputs" / "2024" / source.name
    file.write_text(text, encoding="cp932")
    assert main(["--root", str(proj), "check", str(file), "--fiscal-year", "2024"]) == 1
    out = capsys.readouterr().out
    assert (
        "取組 3.15.4（鉄道駅の乗継ぎ改善（テスト））は、計画の改定「取組の追加と終了（テスト）」（2025年4月1日）により"
        "2025年度から始まる取組です。2024年度の行は削除してください。" in out
    ), out


def _next_plan(proj: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_next_plan", ROOT / "tools" / "make_next_plan.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--root", str(proj)]) == 0


def test_the_synthetic_next_plan_is_made_through_the_import(proj, capsys):
    config = proj / "config" / "vision-report.yaml"
    before = config.read_text(encoding="utf-8").splitlines()
    _next_plan(proj)
    out = capsys.readouterr().out
    assert "取組の廃止：1.1.2 医療・介護・健康サービス産業支援" in out
    assert "KPIの定義の変更（新しい系列）：transit_riders 公共交通機関の一日あたり利用者数" in out
    after = config.read_text(encoding="utf-8").splitlines()
    added = [x for x in after if x not in before]
    assert added == ["  - {from: 2026, to: 2030, plan: plans/kumamoto-2026-synthetic}"]
    assert [x for x in after if x.startswith("#")] == [x for x in before if x.startswith("#")]  # comments kept
    settings = load_settings(proj)
    plan = load_plan(settings.plan_dir_for(2026))
    assert "合成データ" in plan.meta.title and (plan.meta.first_fiscal_year, plan.meta.last_fiscal_year) == (2026, 2030)
    assert len(plan.members(2026)) == 24 and len(plan.basis_members) == 24
    newer = {"432041", "433675", "433683", "433691"}
    for code in newer:
        assert plan.initiatives_of(code, 2026)
    assert plan.kpi("gdp").predecessor == "gdp" and plan.kpi("transit_riders").new_series
    assert plan.kpi("online_procedures").predecessor is None
    assert plan.initiative("1.1.2").predecessor == "1.1.3"
    assert settings.plan_dir_for(2025) == proj / "plans" / PLAN_ID
    # the shipped synthetic plan is this import's result, file for file (regenerate: python tools/make_next_plan.py)
    made = proj / "plans" / "kumamoto-2026-synthetic"
    shipped = ROOT / "plans" / "kumamoto-2026-synthetic"
    files = sorted(p.relative_to(made).as_posix() for p in made.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(shipped).as_posix() for p in shipped.rglob("*") if p.is_file())
    for rel in files:
        assert (made / rel).read_bytes() == (shipped / rel).read_bytes(), rel


def test_previous_plan_years_are_rekeyed_through_predecessors(proj, capsys):
    _next_plan(proj)
    capsys.readouterr()
    settings = load_settings(proj)
    old, new = load_plan(settings.plan_dir_for(2025)), load_plan(settings.plan_dir_for(2026))
    rows = pd.DataFrame(
        {
            "municipality_code": ["431001", "431001", "431001", "431001"],
            "kind": ["kpi", "kpi", "expenditure", "expenditure"],
            "item_id": ["port_teu", "transit_riders", "1.1.3", "1.1.2"],
            "value": [12345.0, 50000.0, 1500.0, 99.0],
            "status": ["", "", "実施", "実施"],
        }
    )
    empty = rows.iloc[0:0]
    res = rekey_results(new, old, compute_year(old, 2024, rows, settings), compute_year(new, 2024, empty, settings))
    kpi = res["kpi_attainment"].set_index("kpi_id")
    assert kpi.loc["port_teu", "actual"] == 12345.0
    assert math.isnan(kpi.loc["transit_riders", "actual"])  # new definition: a new series
    assert math.isnan(kpi.loc["online_procedures", "actual"])  # a new KPI
    assert list(kpi.index) == [k.id for k in new.kpis]
    bud = res["budget_execution"].set_index("initiative_id")
    assert bud.loc["1.1.2", "actual_thousand_yen"] == 1500.0  # 技術力向上支援: 1.1.3 in the old plan
    assert bud.loc["1.1.2", "initiative_name"] == "技術力向上支援"
    assert carried_kpis(new, old)["gdp"] == "gdp" and "transit_riders" not in carried_kpis(new, old)
    assert carried_initiatives(new, old)["3.15.2"] == "3.15.2"


def test_fy2026_runs_across_the_plan_boundary(tmp_path, prefect_backend):
    """The shipped synthetic next plan: FY2026's histories and charts carry FY2025 (the vision's year) through the
    predecessors; a KPI whose definition changed starts anew and the report says so."""
    from docx import Document

    from flows.yearly_report import yearly_report

    proj = tmp_path / "proj"
    for part in ("config", "templates", "expectations", "plans"):
        shutil.copytree(ROOT / part, proj / part)
    for fy in ("2025", "2026"):  # two years keep the test short; the run reads every year it finds
        shutil.copytree(ROOT / "inputs" / fy, proj / "inputs" / fy)
    summary = yearly_report(
        fiscal_year=2026, inputs=proj / "inputs", outputs=proj / "out", root=proj, archive=proj / "archive"
    )
    # 嘉島町's sample leaves every 自己評価 blank: accepted with that warning (review 4 #2)
    assert summary["statuses"] == {"accepted": 23, "accepted_with_warnings": 1}
    out = proj / "out" / "2026"
    hist = pd.read_csv(out / "kpi_history.csv", encoding="utf-8-sig").set_index("kpi_id")
    assert list(hist.columns[-2:]) == ["2025", "2026"]
    assert hist.loc[["gdp", "births", "port_teu"], ["2025", "2026"]].notna().all().all()  # continued
    assert math.isnan(hist.loc["transit_riders", "2025"]) and hist.loc["transit_riders", "2026"] > 0  # new series
    assert math.isnan(hist.loc["online_procedures", "2025"])  # new KPI
    bud = pd.read_csv(out / "budget_history.csv", encoding="utf-8-sig", dtype={"initiative_id": str})
    assert bud.set_index("initiative_id").loc["1.1.2", "initiative_name"] == "技術力向上支援"  # 1.1.3 before
    assert len(list((out / "municipalities").glob("*.docx"))) == 24
    assert (out / "report_2026_概要版.docx").is_file()
    text = "\n".join(p.text for p in Document(out / "report_2026.docx").paragraphs)
    assert "図 柱1のKPIの推移（2025〜2026年度）" in text
    assert "※ 圏域内総生産額：2025年度の値は、前の計画の同じKPIの実績です。" in text
    assert (
        "※ 公共交通機関の一日あたり利用者数：定義が前の計画から変わったため、2026年度からの新しい系列として示しています"
        "（前の計画の実績とはつなげていません）。" in text
    )
