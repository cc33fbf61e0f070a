"""Issue 23's round of hostile inputs through `vision-report check` and `vision-report run` (docs/hostile-inputs.md).

Usage: python tools/hostile_round.py [--vr PATH_TO_vision-report] [--only ID,ID] [--out results.json]

Every case edits a temporary copy of the project's inputs/2024 the way clerks and the office really send files
(narrative columns, headers with notes, the confirmations file, the panel file 懇談会意見.md, file names). Cases that
touch different files are run together in one `run` (batch); a batch whose run fails is re-run case by case so
that each case's outcome is its own. A case passes when `check` (for a submission) and `run` behave as issue 23
asks: the run completes for everyone, leaves no staging folder, and the case's own expectation holds.
Uses one Prefect server for all runs (PREFECT_API_URL), PDFs off. Slow (minutes): not a test.

Why one script of ~900 lines: the 39 hostile cases are data (each a small function editing a copy of inputs/),
kept in one file beside the runner so that docs/hostile-inputs.md can cite each by its id.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FY = 2024
KOSA = "434442_甲佐町_合成データ.csv"  # the member of the confirmations README's example (a held value)


def decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "cp932"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            pass
    raise ValueError("undecodable sample")


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(decode(path.read_bytes()), newline="")))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8", "surrogatepass"))


EN = {
    "区分": "kind",
    "ID": "id",
    "項目名": "name",
    "実績値": "value",
    "単位": "unit",
    "実施状況": "status",
    "備考": "note",
    "取組実績": "result_text",
    "成果": "outcome_text",
    "課題": "challenge_text",
    "今後の方向性": "direction",
    "自己評価": "self_evaluation",
}


def col(rows: list[list[str]], header: str) -> int:
    return rows[0].index(header) if header in rows[0] else rows[0].index(EN[header])


def first_exp_row(rows: list[list[str]], status: str = "実施") -> int:
    j = col(rows, "実施状況")
    return next(k for k, r in enumerate(rows) if k and r[0] in ("事業費", "expenditure") and r[j] == status)


@dataclass
class Case:
    id: str
    cls: str
    what: str
    member: str  # the file the case edits (its member's file name, or "panel" / "confirm" / "name")
    setup: Callable[[Path], Path | None]  # inputs/<FY> -> the submission to `check` (None: no check)
    expect: Callable[[dict], tuple[bool, str]]  # outcome -> (passed, note)
    confirm_cmd: list[str] | None = None  # a `vision-report confirm` to try instead of a run
    extra: dict = field(default_factory=dict)


def member_file(folder: Path, code: str) -> Path:
    return next(p for p in folder.iterdir() if p.name.startswith(code + "_"))


def set_text(code: str, header: str, text: str, status: str = "実施") -> Callable[[Path], Path]:
    def setup(folder: Path) -> Path:
        p = member_file(folder, code)
        rows = read_rows(p)
        k = first_exp_row(rows, status)
        rows[k][col(rows, header)] = text
        write_rows(p, rows)
        return p

    return setup


def set_header(code: str, old: str, new: str, value: str | None = None) -> Callable[[Path], Path]:
    def setup(folder: Path) -> Path:
        p = member_file(folder, code)
        rows = read_rows(p)
        j = col(rows, old)
        rows[0][j] = new
        if value is not None:
            for r in rows[1:]:
                if r and r[0] in ("事業費", "expenditure"):
                    r[j] = value
        write_rows(p, rows)
        return p

    return setup


def rename(code: str, new_name: str) -> Callable[[Path], Path]:
    def setup(folder: Path) -> Path:
        p = member_file(folder, code)
        q = p.with_name(new_name)
        p.rename(q)
        return q

    return setup


def panel(text: str | bytes, name: str = "懇談会意見.md") -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        if name == "懇談会意見.md":
            (folder / name).unlink(missing_ok=True)
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        (folder / name).write_bytes(data)

    return setup


def confirm_file(lines: list[str]) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        conf = folder.parent.parent / "confirmations"
        conf.mkdir(exist_ok=True)
        head = "市町村コード,区分,ID,実績値,確認者,確認日,理由\r\n"
        (conf / f"{FY}.csv").write_bytes(b"\xef\xbb\xbf" + (head + "\r\n".join(lines) + "\r\n").encode("utf-8"))

    return setup


# --- outcome predicates -------------------------------------------------------------------------------------


def run_ok(o: dict) -> tuple[bool, str]:
    if o["run_rc"] != 0:
        return False, f"run exit {o['run_rc']}: {o['run_tail']}"
    if o["staging_left"]:
        return False, "staging folder left"
    return True, ""


def both(*preds: Callable[[dict], tuple[bool, str]]) -> Callable[[dict], tuple[bool, str]]:
    def f(o: dict) -> tuple[bool, str]:
        for p in preds:
            ok, note = p(o)
            if not ok:
                return False, note
        return True, ""

    return f


def member_status(name_part: str, *allowed: str) -> Callable[[dict], tuple[bool, str]]:
    def f(o: dict) -> tuple[bool, str]:
        subs = o.get("submissions") or []
        rows = [r for r in subs if name_part in r["file"]]
        if not rows:
            return False, f"no submissions row for {name_part}"
        st = rows[0]["status"]
        return (st in allowed, f"status {st}")

    return f


def subs_mention(name_part: str, *needles: str) -> Callable[[dict], tuple[bool, str]]:
    def f(o: dict) -> tuple[bool, str]:
        subs = o.get("submissions") or []
        rows = [r for r in subs if name_part in r["file"]]
        text = " ".join(r["errors"] + " " + r["warnings"] for r in rows)
        missing = [n for n in needles if n not in text]
        return (not missing, f"submissions.csv lacks {missing}" if missing else "")

    return f


def outputs_lack(*needles: str, files=("evaluations.csv", "initiative_texts.csv", "submissions.csv")):
    def f(o: dict) -> tuple[bool, str]:
        for name in files:
            p = Path(o["out"]) / name
            if p.is_file():
                t = p.read_text(encoding="utf-8-sig", errors="replace")
                for n in needles:
                    if n in t:
                        return False, f"{name} contains {n!r}"
        return True, ""

    return f


def outputs_have(needle: str, files=("evaluations.csv", "initiative_texts.csv")):
    def f(o: dict) -> tuple[bool, str]:
        for name in files:
            p = Path(o["out"]) / name
            if p.is_file() and needle in p.read_text(encoding="utf-8-sig", errors="replace"):
                return True, ""
        return False, f"{needle!r} not in {files}"

    return f


def check_rc(*allowed: int):
    def f(o: dict) -> tuple[bool, str]:
        return (o["check_rc"] in allowed, f"check exit {o['check_rc']}: {o['check_tail']}")

    return f


def check_says(*needles: str):
    def f(o: dict) -> tuple[bool, str]:
        missing = [n for n in needles if n not in o["check_out"]]
        return (not missing, f"check lacks {missing}: {o['check_tail']}" if missing else "")

    return f


def run_says(*needles: str):
    def f(o: dict) -> tuple[bool, str]:
        missing = [n for n in needles if n not in o["run_out"]]
        return (not missing, f"run output lacks {missing}" if missing else "")

    return f


def no_live_markup(o: dict) -> tuple[bool, str]:
    docs = Path(o["out"]) / "data_docs"
    for p in docs.rglob("*.html") if docs.is_dir() else []:
        t = p.read_text(encoding="utf-8", errors="replace")
        if re.search(r"<script>alert|<img src=x onerror|<svg onload", t, re.I):
            return False, f"live markup in {p.relative_to(docs)}"
    return True, ""


def problems_say(*needles: str):
    def f(o: dict) -> tuple[bool, str]:
        p = Path(o["out"]) / "confirmation_problems.csv"
        t = p.read_text(encoding="utf-8-sig") if p.is_file() else ""
        missing = [n for n in needles if n not in t]
        return (not missing, f"confirmation_problems lacks {missing}: {t[-200:]!r}" if missing else "")

    return f


def no_traceback(o: dict) -> tuple[bool, str]:
    out = o.get("confirm_out", "")
    return ("Traceback" not in out, "traceback" if "Traceback" in out else "")


def confirm_rc(*allowed: int):
    def f(o: dict) -> tuple[bool, str]:
        return (
            o.get("confirm_rc") in allowed,
            f"confirm exit {o.get('confirm_rc')}: {o.get('confirm_out', '')[-300:]}",
        )

    return f


def summary_pages_under(limit: int):
    def f(o: dict) -> tuple[bool, str]:
        docx = next(Path(o["out"]).glob("*概要*.docx"), None) or next(Path(o["out"]).glob("summary*.docx"), None)
        if docx is None:
            return True, ""
        return (docx.stat().st_size < limit, f"概要版 {docx.stat().st_size:,} bytes")

    return f


# --- the cases ------------------------------------------------------------------------------------------------

NFD_400 = unicodedata.normalize("NFD", "ガ" * 400)  # 400 visible, 800 code points
IVS_400 = "葛\U000e0100" * 400  # 400 visible, 800 code points
TEN_CODES = ["431001", "432067", "432083", "432105", "432130", "432148", "432164", "433489", "433641", "434035"]
MORE = ["434043", "434281", "434329", "434337", "434418", "434426", "434434", "434477"]


def cases() -> list[Case]:
    ok = run_ok
    c: list[Case] = []
    add = c.append
    # 1. text safety at intake
    add(
        Case(
            "T01",
            "1 文字",
            "取組実績に U+FFFE",
            "431001",
            set_text("431001", "取組実績", "研修を実施\ufffeした。"),
            both(ok, member_status("431001", "accepted_with_warnings"), outputs_lack("\ufffe")),
        )
    )
    add(
        Case(
            "T02",
            "1 文字",
            "成果に改ページ（form feed）",
            "432067",
            set_text("432067", "成果", "参加者が増えた。\f次年度も継続。"),
            both(ok, member_status("432067", "accepted_with_warnings"), outputs_lack("\f")),
        )
    )
    add(
        Case(
            "T03",
            "1 文字",
            "課題に NUL（Word から貼付け）",
            "432083",
            set_text("432083", "課題", "人手不足\x00が課題。"),
            both(ok, member_status("432083", "accepted_with_warnings"), outputs_have("人手不足が課題。")),
        )
    )
    add(
        Case(
            "T04",
            "1 文字",
            "取組実績に _x000B_（Alt+Enter）",
            "432105",
            set_text("432105", "取組実績", "説明会を開催_x000B_参加50人"),
            both(
                ok,
                outputs_lack("_x000B_", files=("evaluations.csv", "initiative_texts.csv")),
                outputs_have("説明会を開催\n参加50人"),
                subs_mention("432105", "_x000B_"),  # the warning names what was decoded
            ),
        )
    )
    add(
        Case(
            "T05",
            "1 文字",
            "取組実績に _x000D_",
            "432130",
            set_text("432130", "取組実績", "相談会を開催_x000D_\n参加30人"),
            both(ok, outputs_lack("_x000D_", files=("evaluations.csv", "initiative_texts.csv"))),
        )
    )
    add(
        Case(
            "T06",
            "1 文字",
            "取組実績に縦タブ（\\v）",
            "432148",
            set_text("432148", "取組実績", "研修会\x0b参加20人"),
            both(ok, outputs_have("研修会\n参加20人")),
        )
    )
    add(
        Case(
            "T07",
            "1 文字",
            "分解されたかな（NFD）400字",
            "432164",
            set_text("432164", "取組実績", NFD_400),
            both(check_rc(0), ok, member_status("432164", "accepted", "accepted_with_warnings")),
        )
    )
    add(
        Case(
            "T08",
            "1 文字",
            "異体字セレクタ付き 400字",
            "433489",
            set_text("433489", "取組実績", IVS_400),
            both(check_rc(0), ok, member_status("433489", "accepted", "accepted_with_warnings")),
        )
    )
    add(
        Case(
            "T09",
            "1 文字",
            "備考に U+FFFF",
            "433641",
            set_text("433641", "備考", "電話で確認\uffff済み"),
            both(ok, outputs_lack("\uffff")),
        )
    )
    add(
        Case(
            "T10",
            "1 文字",
            "見出しに U+FFFE（取組実績\\uFFFE）",
            "434035",
            set_header("434035", "取組実績", "取組実績\ufffe"),
            both(ok, member_status("434035", "accepted_with_warnings"), subs_mention("434035", "取組実績")),
        )
    )
    add(
        Case(
            "T11",
            "1 文字",
            "項目名に制御文字 \\x01",
            "434043",
            set_text("434043", "項目名", "事業\x01名"),
            both(ok, member_status("434043", "accepted", "accepted_with_warnings")),
        )
    )
    add(
        Case(
            "T12",
            "1 文字",
            "ファイル名に U+FFFE",
            "name",
            rename("434281", "434281_高森町\ufffe.csv"),
            # the sample's 434281 of 2024 is refused for a row of its own (not_participant): the name is what counts
            both(ok, subs_mention("434281", "U+FFFE", "434281_高森町.csv")),
        )
    )
    add(
        Case(
            "T13",
            "1 文字",
            "ファイル名が分解かな（NFD、Mac）",
            "name2",
            rename("434329", unicodedata.normalize("NFD", "434329_ニシハラ村_データ.csv")),
            both(ok, member_status("434329", "accepted", "accepted_with_warnings")),
        )
    )
    # 2/7. the panel file
    add(Case("P01", "2 懇談会", "懇談会意見.md に改ページ", "panel", panel("# 柱1\n\n- 意見です。\f次の意見。\n"), ok))
    add(Case("P02", "2 懇談会", "懇談会意見.md に NUL", "panel", panel("# 柱1\n\n- 意見\x00です。\n"), ok))
    add(Case("P03", "2 懇談会", "懇談会意見.md に U+FFFE", "panel", panel("# 柱1\n\n- 意見\ufffeです。\n"), ok))
    add(
        Case(
            "P04",
            "7 懇談会",
            "懇談会意見.txt（拡張子違い）",
            "near1",
            panel("- 意見です。\n", "懇談会意見.txt"),
            both(ok, run_says("懇談会意見.md という名前で置いてください")),
        )
    )
    add(
        Case(
            "P05",
            "7 懇談会",
            "懇談会意見 (1).md（コピー）",
            "near2",
            panel("- 意見です。\n", "懇談会意見 (1).md"),
            both(ok, run_says("懇談会意見.md という名前で置いてください")),
        )
    )
    add(
        Case(
            "P06",
            "7 懇談会",
            "懇談会意見（１）.md（全角の括弧と数字）",
            "near3",
            panel("- 意見です。\n", "懇談会意見（１）.md"),
            both(ok, run_says("懇談会意見.md という名前で置いてください")),
        )
    )
    add(
        Case(
            "P07",
            "7 懇談会",
            "懇談会意見.md に 2.4 MB の貼付け",
            "panel",
            panel("# 柱1\n\n" + ("- 長い意見の貼付けです。" * 20 + "\n") * 5000),
            both(ok, run_says("懇談会意見"), summary_pages_under(2_000_000)),
        )
    )
    # 3. HTML
    add(
        Case(
            "H01",
            "3 HTML",
            "自己評価に <script>",
            "434337",
            set_text("434337", "自己評価", "<script>alert(2)</script>"),
            both(ok, member_status("434337", "rejected"), no_live_markup),
        )
    )
    add(
        Case(
            "H02",
            "3 HTML",
            "今後の方向性に <img onerror>",
            "434418",
            set_text("434418", "今後の方向性", "<img src=x onerror=alert(1)>"),
            both(ok, member_status("434418", "rejected"), no_live_markup),
        )
    )
    add(
        Case(
            "H03",
            "3 HTML",
            "ID に <svg onload>",
            "434426",
            set_text("434426", "ID", "<svg onload=alert(1)>"),
            both(ok, member_status("434426", "rejected"), no_live_markup),
        )
    )
    # 4. formulas
    add(
        Case(
            "F01",
            "4 数式",
            "取組実績が '=1+1（Excel の文字列接頭辞）",
            "434434",
            set_text("434434", "取組実績", "'=1+1 の周知を実施"),
            both(check_rc(0), ok, member_status("434434", "accepted", "accepted_with_warnings")),
        )
    )
    add(
        Case(
            "F02",
            "4 数式",
            "空行の後に =HYPERLINK",
            "434477",
            set_text("434477", "取組実績", '\n=HYPERLINK("http://x","詳細")'),
            both(check_rc(1), ok, member_status("434477", "rejected")),
        )
    )
    add(
        Case(
            "F03",
            "4 数式",
            "成果が -5%削減（数式ではない）",
            "432067",
            set_text("432067", "成果", "-5%削減を達成"),
            both(check_rc(0), ok),
        )
    )
    add(
        Case(
            "F04",
            "4 数式",
            "備考が +81 の電話番号",
            "434442",
            set_text("434442", "備考", "+81-96-000-0000 に問合せ"),
            both(check_rc(0), ok),
        )
    )
    add(
        Case(
            "F05",
            "4 数式",
            "成果が @SUM(A1)",
            "431001",
            set_text("431001", "成果", "@SUM(A1:A9)"),
            both(check_rc(1), ok),
        )
    )
    add(
        Case(
            "F06",
            "4 数式",
            "課題がタブで始まる =1+1",
            "432067",
            set_text("432067", "課題", "\t=1+1"),
            both(check_rc(1), ok),
        )
    )
    # 5. headers
    add(
        Case(
            "E01",
            "5 見出し",
            "自己評価（A～D）",
            "432083",
            set_header("432083", "自己評価", "自己評価（A～D）"),
            both(check_says("自己評価"), ok, outputs_lack("使わない列です")),
        )
    )
    add(
        Case(
            "E02",
            "5 見出し",
            "実績値(千円)",
            "432105",
            set_header("432105", "実績値", "実績値(千円)"),
            both(check_rc(0), ok),
        )
    )
    add(
        Case(
            "E03",
            "5 見出し",
            "取組　実績（全角空白）",
            "432130",
            set_header("432130", "取組実績", "取組　実績"),
            both(check_rc(0), ok, outputs_lack("使わない列です")),
        )
    )
    add(
        Case(
            "E04",
            "5 見出し",
            "【必須】区分",
            "432148",
            set_header("432148", "区分", "【必須】区分"),
            both(check_rc(0), ok),
        )
    )
    add(
        Case(
            "E05",
            "5 見出し",
            "知らない見出し「評価」に A〜D",
            "432164",
            set_header("432164", "自己評価", "評価"),
            both(ok, subs_mention("432164", "自己評価")),
        )
    )
    # 6. confirmations
    add(
        Case(
            "C01",
            "6 確認",
            "確認ファイルに存在しない ID",
            "confirm",
            confirm_file(["434442,事業費,3.99.9,100,山田,2025-07-10,電話で確認"]),
            both(ok, problems_say("3.99.9", "ID")),
        )
    )
    add(
        Case(
            "C02",
            "6 確認",
            "構成市町村でないコード",
            "confirm2",
            confirm_file(["999999,事業費,3.13.3,100,山田,2025-07-10,電話で確認"]),
            both(ok, problems_say("999999", "構成市町村")),
        )
    )
    add(
        Case(
            "C03",
            "6 確認",
            "市町村コード欄に市町村名",
            "confirm3",
            confirm_file(["甲佐町,事業費,3.13.3,100,山田,2025-07-10,電話で確認"]),
            both(ok, problems_say("甲佐町", "434442")),
        )
    )
    add(
        Case(
            "C04",
            "6 確認",
            "confirm: Shift_JIS の確認ファイルに 𠮷田",
            "confirm4",
            lambda f: None,
            both(no_traceback, confirm_rc(0, 1)),
            confirm_cmd=[
                "--municipality",
                "434442",
                "--id",
                "3.13.3",
                "--by",
                "𠮷田",
                "--reason",
                "電話で確認",
                "--value",
                "2350000",
            ],
            extra={"sjis": True},
        )
    )
    add(
        Case(
            "C05",
            "6 確認",
            "confirm: 存在しない ID",
            "confirm5",
            lambda f: None,
            both(no_traceback, confirm_rc(1, 2)),
            confirm_cmd=[
                "--municipality",
                "434442",
                "--id",
                "3.99.9",
                "--by",
                "山田",
                "--reason",
                "電話で確認",
                "--value",
                "100",
            ],
        )
    )
    return c


# --- running ---------------------------------------------------------------------------------------------------


def check_inproc(args: list[str]) -> tuple[int, str]:
    """`vision-report ARGS` in this process (the same cli.main; saves importing Great Expectations per case)."""
    import contextlib
    import traceback

    from vision_report.cli import main as cli_main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            rc = cli_main(args)
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 1
        except Exception:  # noqa: BLE001 - a traceback is an outcome to record
            traceback.print_exc(file=out)
            rc = 99
    return int(rc or 0), out.getvalue()


def sh(cmd: list[str], env: dict, timeout: int = 900) -> tuple[int, str]:
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


SOURCE = ROOT  # the project whose config, plans, templates, expectations and inputs are copied (--project)


def make_project(tmp: Path) -> Path:
    proj = tmp / "proj"
    for d in ("config", "plans", "templates", "expectations"):
        shutil.copytree(SOURCE / d, proj / d)
    cfg = proj / "config" / "vision-report.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("pdf: true", "pdf: false"), encoding="utf-8")
    (proj / "inputs").mkdir()
    shutil.copytree(SOURCE / "inputs" / str(FY), proj / "inputs" / str(FY))
    old = time.time() - 3600
    for p in (proj / "inputs").rglob("*"):
        os.utime(p, (old, old))
    return proj


def run_batch(
    vr: str, env: dict, batch: list[Case], tmp: Path, label: str, checks_done: dict | None = None
) -> dict[str, dict]:
    work = tmp / label
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    proj = make_project(work)
    folder = proj / "inputs" / str(FY)
    checks: dict[str, tuple[int, str]] = dict(checks_done or {})
    targets = {}
    for case in batch:
        targets[case.id] = case.setup(folder)
    old = time.time() - 3600
    for p in folder.iterdir():
        os.utime(p, (old, old))
    base = [vr, "--root", str(proj)]
    for case in batch:
        t = targets[case.id]
        if t is not None and case.id not in checks:
            checks[case.id] = check_inproc(["--root", str(proj), "check", str(t), "--fiscal-year", str(FY)])
    outcomes: dict[str, dict] = {}
    confirm_cases = [c for c in batch if c.confirm_cmd]
    for case in confirm_cases:
        conf = proj / "confirmations"
        conf.mkdir(exist_ok=True)
        if case.extra.get("sjis"):
            (conf / f"{FY}.csv").write_bytes(
                "市町村コード,区分,ID,実績値,確認者,確認日,理由\r\n434442,事業費,3.13.3,100,山田,2025-07-10,確認\r\n".encode(
                    "cp932"
                )
            )
        rc, out = sh(
            [*base, "confirm", "--fiscal-year", str(FY), *case.confirm_cmd, "--confirmations", str(conf)], env, 300
        )
        outcomes[case.id] = {"confirm_rc": rc, "confirm_out": out, "check_rc": None, "check_out": "", "check_tail": ""}
    run_cases = [c for c in batch if not c.confirm_cmd]
    if not run_cases:
        return outcomes
    out_root = work / "outputs"
    rc, out = sh(
        [
            *base,
            "run",
            "--fiscal-year",
            str(FY),
            "--inputs",
            str(proj / "inputs"),
            "--outputs",
            str(out_root),
            "--archive",
            str(work / "archive"),
            "--confirmations",
            str(proj / "confirmations"),
        ],
        env,
    )
    staging = [p.name for p in out_root.glob(".*staging*")] if out_root.is_dir() else []
    subs = []
    sp = out_root / str(FY) / "submissions.csv"
    if sp.is_file():
        subs = list(csv.DictReader(io.StringIO(sp.read_text(encoding="utf-8-sig"))))
    for case in run_cases:
        crc, cout = checks.get(case.id, (None, ""))
        outcomes[case.id] = {
            "check_rc": crc,
            "check_out": cout,
            "check_tail": cout.strip().splitlines()[-1][:200] if cout.strip() else "",
            "run_rc": rc,
            "run_out": out,
            "run_tail": " | ".join(out.strip().splitlines()[-2:])[:300],
            "staging_left": staging,
            "submissions": subs,
            "out": str(out_root / str(FY)),
        }
    return outcomes


def batches(cs: list[Case]) -> list[list[Case]]:
    """Cases grouped so that no two in a batch touch the same file (or the panel / confirmations / names)."""
    out: list[list[Case]] = []
    for case in cs:
        key = case.member.rstrip("0123456789") if case.member.startswith(("panel", "confirm")) else case.member
        if case.extra.get("alone") or case.confirm_cmd:
            out.append([case])
            continue
        for b in out:
            keys = {x.member.rstrip("0123456789") if x.member.startswith(("panel", "confirm")) else x.member for x in b}
            if key not in keys and not any(x.extra.get("alone") or x.confirm_cmd for x in b):
                b.append(case)
                break
        else:
            out.append([case])
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vr", default=str(ROOT / ".venv" / "bin" / "vision-report"))
    ap.add_argument("--only", default="")
    ap.add_argument("--out", default="")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--project", default=str(ROOT), help="the project copied (default: this checkout)")
    ap.add_argument("--no-split", action="store_true", help="a failed batch is not re-run case by case")
    ap.add_argument("--suspects", default="", help="cases expected to stop a run (run alone when a batch fails)")
    args = ap.parse_args()
    suspects = set(filter(None, args.suspects.split(",")))
    global SOURCE
    SOURCE = Path(args.project)
    cs = cases()
    if args.only:
        wanted = set(args.only.split(","))
        cs = [c for c in cs if c.id in wanted]
    tmp = Path(tempfile.mkdtemp(prefix="hostile-"))
    env = dict(os.environ)
    env["PREFECT_HOME"] = str(tmp / "prefect-home")
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env["DO_NOT_TRACK"] = "1"
    port = 4390 + os.getpid() % 100
    prefect = str(Path(args.vr).parent / "prefect")
    server = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    env["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
    try:
        import urllib.request

        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except OSError:
                time.sleep(1)
        results: dict[str, dict] = {}
        for k, batch in enumerate(batches(cs)):
            outcomes = run_batch(args.vr, env, batch, tmp, f"b{k}")
            if args.no_split and any(o.get("run_rc") not in (0, None) for o in outcomes.values()):
                print(f"batch {[c.id for c in batch]}: run failed, not split (--no-split)", flush=True)
            elif len(batch) > 1 and any(o.get("run_rc") not in (0, None) for o in outcomes.values()):
                # the batch's run failed: each case's outcome must be its own. The suspects (--suspects: cases
                # expected to stop a run) run alone; the others together, and alone too if that run fails as well
                done = {
                    c.id: (outcomes[c.id]["check_rc"], outcomes[c.id]["check_out"]) for c in batch if c.id in outcomes
                }
                done = {i: v for i, v in done.items() if v[0] is not None}
                rest = [c for c in batch if c.id not in suspects and not c.confirm_cmd]
                for case in [c for c in batch if c.id in suspects]:
                    outcomes.update(run_batch(args.vr, env, [case], tmp, f"b{k}-{case.id}", done))
                if rest:
                    more = run_batch(args.vr, env, rest, tmp, f"b{k}-rest", done)
                    if len(rest) > 1 and any(o.get("run_rc") not in (0, None) for o in more.values()):
                        for case in rest:
                            more.update(run_batch(args.vr, env, [case], tmp, f"b{k}-{case.id}", done))
                    outcomes.update(more)
            for case in batch:
                passed, note = case.expect(outcomes[case.id])
                results[case.id] = {"class": case.cls, "what": case.what, "passed": passed, "note": note}
                print(f"{case.id}\t{'PASS' if passed else 'FAIL'}\t{case.what}\t{note}", flush=True)
        n = sum(r["passed"] for r in results.values())
        print(f"passed {n} / {len(results)}")
        if args.out:
            Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
