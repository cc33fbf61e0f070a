"""`vision-report` command line (docs/interface.md §6). Messages for users are in Japanese.

Why one module of ~500 lines: the parser of every command is declared here so that `--help` and
docs/interface.md §6 can be checked against one place; each command's handler is a few lines that call the
stage packages (plan, portal and planbook commands add their own sub-parsers from their packages)."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path

from vision_report.core import timing
from vision_report.core.audit import YearBusy
from vision_report.core.config import ConfigError, load_settings
from vision_report.core.paths import ENV_ROOT
from vision_report.core.vocabulary import status_counts_text, status_label
from vision_report.plan import PlanError, load_plan
from vision_report.plan.export import plan_summary, plan_to_dict


def _settings_and_plan(args: argparse.Namespace):
    """The settings and the plan that covers the command's fiscal year (the newest plan without one), read once
    per command (the year's check before the command and the command itself ask for them)."""
    cached = getattr(args, "_settings_and_plan", None)
    if cached is not None:
        return cached
    settings = load_settings(Path(args.root) if args.root else None)
    fy = getattr(args, "fiscal_year", None)
    if getattr(args, "plan", None):
        plan_dir = Path(args.plan)
    else:
        plan_dir = settings.plan_dir_for(fy) if fy is not None else settings.plan_dir
    args._settings_and_plan = (settings, load_plan(plan_dir))
    return args._settings_and_plan


def cmd_plan(args: argparse.Namespace) -> int:
    _settings, plan = _settings_and_plan(args)
    if args.json:
        json.dump(plan_to_dict(plan), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(plan_summary(plan))
    return 0


def _prefect_environment(settings) -> None:
    """Prefect home under the project (or $PREFECT_HOME), no telemetry, user's home untouched (prefect_server.py
    starts the temporary server with its own start-up limit)."""
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)


def cmd_run(args: argparse.Namespace) -> int:
    from vision_report.core.audit import run_lock

    settings = load_settings(Path(args.root) if args.root else None)
    _prefect_environment(settings)
    archive = Path(args.archive) if args.archive else settings.archive
    try:
        with run_lock(archive, args.fiscal_year, args.wait):  # refuse before starting anything
            return _run_year_with_prefect(args, settings, archive)
    except YearBusy as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 3


def _flush_prefect() -> None:
    """Send the last log lines and events while the temporary server is still there (else Prefect retries against
    a stopped server for a minute at exit)."""
    try:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=30, at_exit=False)
        EventsWorker.drain_all(timeout=30, at_exit=False)
    except Exception:  # noqa: BLE001 - only the last log lines in the UI are at stake
        pass


def _say(message: str) -> None:
    print(message, flush=True)


def _run_year_with_prefect(args: argparse.Namespace, settings, archive: Path) -> int:
    from vision_report.core.audit import record
    from vision_report.operations.prefect_server import ServerStartError, prefect_api

    fy = args.fiscal_year
    _say(f"{fy}年度の集計を開始します（Prefect フロー vision-report-yearly）")
    imported = 0.0  # seconds of import_run_modules, which overlap the server's start

    def import_run_modules() -> None:
        """The flow module (Prefect's client, pandas, every stage) and Great Expectations (most of the screening's
        fixed cost), imported while the temporary server starts in its own process (bench/results.md)."""
        nonlocal imported
        began = timing.clock()
        with timing.phase("import_flow"):
            import great_expectations  # noqa: F401

            import flows.yearly_report  # noqa: F401
        imported = timing.clock() - began

    try:
        asked = timing.clock()
        with prefect_api(
            Path(os.environ["PREFECT_HOME"]), settings.prefect, log=_say, while_starting=import_run_modules
        ) as (url, server):
            timing.record("prefect_server_start", timing.clock() - asked - imported)
            if server is not None:
                _say(f"Prefect サーバーを起動しました（{server.startup_seconds} 秒）")
            else:
                _say(f"Prefect サーバー {url} に実行を記録します")
            from prefect.settings import PREFECT_API_URL, temporary_settings

            with temporary_settings(updates={PREFECT_API_URL: url}):
                from flows.yearly_report import yearly_report  # imported while the server started

                summary = yearly_report(
                    fiscal_year=fy,
                    inputs=Path(args.inputs) if args.inputs else None,
                    outputs=Path(args.outputs) if args.outputs else None,
                    root=settings.root,
                    archive=archive,
                    wait_seconds=args.wait,
                    confirmations=Path(args.confirmations) if args.confirmations else None,
                )
                _flush_prefect()  # while the server is still there to receive the last log lines
    except ServerStartError as exc:
        record(archive, "run_failed", fiscal_year=fy, run_id=None, reason="server_start_failed", error=str(exc))
        print(
            f"エラー: {fy}年度の集計を開始できませんでした。{exc}\n"
            "対処: マシンが混んでいる場合は少し待ってからもう一度実行してください。続く場合は "
            "config/vision-report.yaml の prefect: startup_timeout_seconds を大きくするか、"
            "`vision-report serve` で常駐の Prefect サーバーを起動して prefect: api_url: に設定してください。",
            file=sys.stderr,
        )
        return 1
    except (ConfigError, PlanError, YearBusy):
        raise
    except Exception as exc:  # noqa: BLE001 - the run could not complete: say so, exit non-zero
        print(f"エラー: {fy}年度の集計を完了できませんでした（{type(exc).__name__}: {exc}）", file=sys.stderr)
        return 1
    for run in summary.get("interrupted", []):
        _say(
            f"注意: 前回の{fy}年度の集計（実行ID {run['run_id']}、{run['started']} 開始）は途中で強制終了されていました。"
            f"監査ログに中断（run_interrupted）として記録しました{'。Prefect でも Crashed にしました' if run['crashed'] else ''}。"
        )
    if summary.get("warning"):
        _say(f"警告: {summary['warning']}")
    print("提出状況: " + status_counts_text(summary["statuses"]))
    print(f"出力: {summary['outputs']}（{summary['files']} ファイル、{summary['seconds']} 秒）")
    return 0


def cmd_lock(args: argparse.Namespace) -> int:
    from vision_report.core.audit import lock_year, unlock_year, year_lock

    settings = load_settings(Path(args.root) if args.root else None)
    archive = Path(args.archive) if args.archive else settings.archive
    if args.command == "lock":
        if year_lock(archive, args.fiscal_year):
            print(f"{args.fiscal_year}年度はすでに確定（ロック）されています。")
            return 0
        info = lock_year(archive, args.fiscal_year, args.reason or "")
        print(
            f"{args.fiscal_year}年度を確定（ロック）しました（{info['locked_at']}）。以後に届いたファイルは保管・一覧されますが、"
            "公表済みの出力は unlock するまで変わりません。"
        )
    else:
        if unlock_year(archive, args.fiscal_year, args.reason or ""):
            print(f"{args.fiscal_year}年度のロックを解除しました。次の run で集計し直します。")
        else:
            print(f"{args.fiscal_year}年度はロックされていません。")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from vision_report.core.vocabulary import Severity, located_message, severity_label
    from vision_report.intake.files import inspect_file
    from vision_report.screening.screen import screen

    settings, plan = _settings_and_plan(args)
    path = Path(args.file)
    if not path.exists() and not path.is_symlink():
        print(f"エラー: ファイル {path} がありません", file=sys.stderr)
        return 2
    rec = inspect_file(
        path, args.fiscal_year, plan, max_bytes=settings.validation.max_file_bytes, limits=settings.validation
    )
    rec.archived_path = path  # nothing is archived: the file has not been submitted yet
    year = screen([rec], plan, args.fiscal_year, settings)
    (rec,) = year.received
    errors = [i for i in rec.issues if i.severity == Severity.ERROR]
    warnings = [i for i in rec.issues if i.severity == Severity.WARNING]
    for severity, items in ((Severity.ERROR, errors), (Severity.WARNING, warnings)):
        if items:
            print(f"■ {severity_label(severity, 'long')}（{severity_label(severity)} {len(items)} 件）")
            for i in sorted(items, key=lambda i: (i.row or 0, i.column or "")):
                print(f"  {located_message(i)}")
                if i.value:
                    print(f"      入力値: {i.value}")
                if i.expected:
                    print(f"      正しい入力: {i.expected}")
    if errors:
        print(
            f"このファイルは差し戻しになります（{severity_label(Severity.ERROR)} {len(errors)} 件）。修正してから提出してください。"
        )
        return 1
    extra = f"、{severity_label(Severity.WARNING)} {len(warnings)} 件" if warnings else ""
    print(f"このファイルは受け付けられます（{len(year.rows)} 行{extra}）。")
    return 0


def cmd_templates(args: argparse.Namespace) -> int:
    from vision_report.outputs.submission_templates import write_templates

    settings, plan = _settings_and_plan(args)
    out = Path(args.out) if args.out else settings.outputs / str(args.fiscal_year) / "templates"
    paths = write_templates(plan, args.fiscal_year, out, settings.evaluation)
    print(f"{len(paths)} ファイルを作成しました: {out}")
    return 0


def cmd_reminders(args: argparse.Namespace) -> int:
    """Who has not submitted, or must resubmit, for a fiscal year (a read-only look at inputs/<FY>/)."""
    from vision_report.core.vocabulary import reminder_label
    from vision_report.operations.reminders import year_state

    settings, plan = _settings_and_plan(args)
    inputs = Path(args.inputs) if args.inputs else settings.inputs
    state = year_state(settings, plan, args.fiscal_year, inputs)
    deadline = state.deadline
    print(
        f"{plan.meta.title} {args.fiscal_year}年度 提出状況（提出期限 {deadline.year}年{deadline.month}月{deadline.day}日）"
    )
    n = 0
    for r in state.reminders:
        if r.key == "late":
            print(f"  {reminder_label('late'):<10} {r.name}（{r.code}） — {r.file}（{r.detail}）")
            continue
        n += 1
        extra = f" — {r.file}: {r.detail[:120]}" if r.key == "rejected" else (f" — {r.file}" if r.file else "")
        print(f"  {reminder_label(r.key):<10} {r.name}（{r.code}）{extra}")
    if n == 0:
        print("  督促が必要な市町村はありません。")
    else:
        print(f"督促が必要な市町村: {n}")
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from vision_report.operations.watch import watch

    settings, plan = _settings_and_plan(args)
    inputs = Path(args.inputs) if args.inputs else settings.inputs
    outputs = Path(args.outputs) if args.outputs else settings.outputs
    print(
        f"{inputs / str(args.fiscal_year)} を監視しています（Ctrl+C で終了）。届いたファイルはすぐに検査し、"
        f"{outputs / str(args.fiscal_year) / 'feedback'} にフィードバックを書きます。",
        flush=True,
    )
    try:
        watch(
            settings,
            plan,
            args.fiscal_year,
            inputs,
            outputs,
            settings.archive,
            interval=args.interval,
            stop_after=args.stop_after,
            on_result=lambda name, status: print(f"{name}: {status_label(status)}", flush=True),
        )
    except KeyboardInterrupt:
        print("監視を終了しました。")
    return 0


class _Stop(Exception):
    """SIGTERM (kill, systemd) received: stop like Ctrl+C."""


def _raise_stop(signum, frame) -> None:
    raise _Stop()


def cmd_serve(args: argparse.Namespace) -> int:
    import signal
    import time as _time

    from vision_report.operations import serve

    settings = load_settings(Path(args.root) if args.root else None)
    database = args.database or os.environ.get("VISION_REPORT_DATABASE")
    home = Path(os.environ.get("PREFECT_HOME", settings.prefect_home))
    signal.signal(signal.SIGTERM, _raise_stop)
    procs: list = []
    try:
        procs = serve.start(settings.root, home, port=args.port, database=database, worker=not args.no_worker, log=_say)
        if not args.no_portal:
            procs.append(serve.start_portal(settings.root, home, port=args.port, database=database))
            _say(_portal_address(settings))
        _say(
            f"準備ができました。Prefect の画面: http://127.0.0.1:{args.port}  （Ctrl+C で停止）。"
            f"ログ: {serve.log_dir(home)}"
        )
        while True:
            stopped = [p for p in procs if p.poll() is not None]
            if stopped:
                for p in stopped:
                    print(f"エラー: {serve.describe_stop(p)}", file=sys.stderr)
                return 1
            _time.sleep(1)
    except (KeyboardInterrupt, _Stop):
        _say("停止しています…")
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"エラー: Prefect を起動できませんでした。{exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stopping is not interrupted by a second SIGTERM
        serve.stop(procs)
        if procs:
            _say("Prefect のサーバーとワーカーを停止しました。")


def cmd_confirm(args: argparse.Namespace) -> int:
    """Record a coordinator's confirmation of a held value (要確認) in confirmations/<FY>.csv (docs/interface.md §3)."""
    import csv
    import io

    from vision_report.core.textfmt import fmt_num
    from vision_report.core.textsafe import safe_text
    from vision_report.intake.normalize import nfkc, parse_number
    from vision_report.screening.confirmations import ConfirmationFileError, append_confirmation, parse_date

    settings, plan = _settings_and_plan(args)
    fy = args.fiscal_year
    # the arguments made safe like every text from outside, and checked before anything is written
    code = nfkc(safe_text(args.municipality, line_breaks=False)).strip()
    item = nfkc(safe_text(args.id, line_breaks=False)).strip()
    by, reason = (safe_text(x, line_breaks=False).strip() for x in (args.by, args.reason))
    if not by or not reason:
        print("エラー: 確認者（--by）と理由（--reason）を書いてください。", file=sys.stderr)
        return 1
    if not plan.has_municipality(code):
        named = [m.code for m in plan.municipalities if m.name == code]
        hint = (
            f"「{code}」は市町村名です。市町村コード {named[0]} を --municipality に書いてください。" if named else ""
        )
        print(
            f"エラー: --municipality「{code}」は構成市町村の市町村コードではありません。{hint}"
            "6桁の市町村コード（例：434442）を書いてください。",
            file=sys.stderr,
        )
        return 1
    on = parse_date(args.date) if args.date else None
    if args.date and on is None:
        print(f"エラー: 確認日「{args.date}」を日付として読めません（例: 2025-07-10）。", file=sys.stderr)
        return 1
    kind = "expenditure" if plan.has_initiative(item) else "kpi" if plan.has_kpi(item) else None
    if kind is None:
        print(f"エラー: ID「{item}」は計画の取組IDにもKPIのIDにもありません。", file=sys.stderr)
        return 1
    value = None
    if args.value is not None:
        value = parse_number(args.value).value
        if value is None:
            print(f"エラー: 実績値「{args.value}」を数値として読めません。", file=sys.stderr)
            return 1
    else:  # the value held in the newest run's list (held_values.csv)
        listed = (Path(args.outputs) if args.outputs else settings.outputs) / str(fy) / "held_values.csv"
        rows = []
        if listed.is_file():
            rows = list(csv.DictReader(io.StringIO(listed.read_bytes().decode("utf-8-sig"))))
        match = [r for r in rows if r["municipality_code"] == code and r["item_id"] == item and r["kind"] == kind]
        if not match:
            print(
                f"エラー: {listed} に {code} の {item} の要確認の値がありません。"
                "値を --value で指定するか、先に vision-report run を実行してください。",
                file=sys.stderr,
            )
            return 1
        value = float(match[0]["value"])
    folder = Path(args.confirmations) if args.confirmations else None
    path = settings.confirmations_file(fy, folder)
    try:
        row = append_confirmation(
            path,
            municipality_code=code,
            kind=kind,
            item_id=item,
            value=value,
            confirmed_by=by,
            reason=reason,
            confirmed_on=on,
        )
    except ConfirmationFileError as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"エラー: 確認ファイル {path} に書き込めません（{exc.strerror}）。", file=sys.stderr)
        return 1
    if row.get("_converted"):
        print(
            f"注意: 確認者・理由に Shift_JIS で書けない文字があるため、{path} を UTF-8（BOM付き）で保存し直しました"
            "（Excel でそのまま開けます。これまでの行はそのままです）。"
        )
    print(
        f"{path} に確認を記入しました（{code} {item} {fmt_num(value)}、確認者 {by}）。"
        f"集計に反映するには vision-report run --fiscal-year {fy} を実行してください。"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="vision-report",
        description="熊本連携中枢都市圏ビジョンの進捗状況報告: 提出ファイルの検証、KPI達成率・事業費執行率の計算、報告書の作成",
    )
    ap.add_argument("--root", help="プロジェクトのフォルダ（既定: config/vision-report.yaml のある場所）")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="年度の集計を実行する（Prefect フロー）")
    p.add_argument("--fiscal-year", type=int, required=True, help="年度（例: 2024）")
    p.add_argument("--inputs", help="提出ファイルのフォルダ（既定: inputs）")
    p.add_argument("--outputs", help="出力先フォルダ（既定: outputs）")
    p.add_argument("--archive", help="受領ファイルの保管先（既定: archive）")
    p.add_argument(
        "--wait", type=float, default=0.0, help="同じ年度の集計が実行中のとき、終わるまで待つ秒数（既定: 待たずに終了）"
    )
    p.add_argument("--confirmations", help="要確認の値の確認ファイルのフォルダ（既定: confirmations）")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("confirm", help="要確認の値を正しい値として確認する（confirmations/<年度>.csv に記入）")
    p.add_argument("--fiscal-year", type=int, required=True, help="年度（例: 2024）")
    p.add_argument("--municipality", required=True, help="市町村コード（例: 434442）")
    p.add_argument("--id", required=True, help="取組ID または KPI の ID（例: 3.13.3）")
    p.add_argument("--by", required=True, help="確認者")
    p.add_argument("--reason", required=True, help="確認の理由（市町村に確かめた内容など）")
    p.add_argument("--value", help="確認する値（既定: outputs/<年度>/held_values.csv の値）")
    p.add_argument("--date", help="確認日（既定: 今日）")
    p.add_argument("--outputs", help="出力先フォルダ（既定: outputs）")
    p.add_argument("--confirmations", help="確認ファイルのフォルダ（既定: confirmations）")
    p.set_defaults(func=cmd_confirm)

    for name, text in (
        ("lock", "年度を確定（ロック）する: 以後のファイルは保管・一覧のみ"),
        ("unlock", "年度のロックを解除する"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--fiscal-year", type=int, required=True, help="年度（例: 2024）")
        p.add_argument("--reason", help="理由（監査ログに記録）")
        p.add_argument("--archive", help="保管先（既定: archive）")
        p.set_defaults(func=cmd_lock)

    p = sub.add_parser("check", help="提出前に1ファイルを検査する（集計はしない）")
    p.add_argument("file", help="検査するファイル（.csv / .xlsx）")
    p.add_argument("--fiscal-year", type=int, required=True, help="提出先の年度（例: 2024）")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("templates", help="市町村ごとの提出用ひな形（CSV・Excel）を作る")
    p.add_argument("--fiscal-year", type=int, required=True, help="年度（例: 2025）")
    p.add_argument("--out", help="出力先フォルダ（既定: outputs/<年度>/templates）")
    p.set_defaults(func=cmd_templates)

    p = sub.add_parser("reminders", help="提出のない市町村と再提出が必要な市町村を一覧にする（督促用）")
    p.add_argument("--fiscal-year", type=int, required=True, help="年度（例: 2024）")
    p.add_argument("--inputs", help="提出ファイルのフォルダ（既定: inputs）")
    p.set_defaults(func=cmd_reminders)

    p = sub.add_parser("watch", help="inputs/<年度>/ を監視し、届いたファイルをすぐに検査してフィードバックを書く")
    p.add_argument("--fiscal-year", type=int, required=True, help="年度（例: 2025）")
    p.add_argument("--inputs", help="提出ファイルのフォルダ（既定: inputs）")
    p.add_argument("--outputs", help="出力先フォルダ（既定: outputs）")
    p.add_argument("--interval", type=float, default=1.0, help="確認の間隔（秒）")
    p.add_argument("--stop-after", type=float, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("serve", help="Prefect サーバー・ワークプール・デプロイ・ワーカーを起動する（定期実行の運用）")
    p.add_argument("--port", type=int, default=4200, help="サーバーのポート（既定: 4200）")
    p.add_argument(
        "--database",
        help="PostgreSQL の接続先（例: postgresql://prefect@127.0.0.1:5432/prefect）。"
        "省略時は環境変数 VISION_REPORT_DATABASE、それもなければ SQLite",
    )
    p.add_argument("--no-worker", action="store_true", help="ワーカーを起動しない（別のマシンで起動する場合）")
    p.add_argument("--no-portal", action="store_true", help="提出ポータルを起動しない")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("plan", help="ビジョン（計画データ）を表示する")
    p.add_argument("--json", action="store_true", help="計画全体をJSONで標準出力へ")
    p.add_argument("--plan", help="計画フォルダ（既定: 設定ファイルの plan）")
    p.set_defaults(func=cmd_plan)
    # -- planbook (issue 20): `plan export` / `plan import` (vision_report/plan/planbook.py) --
    from vision_report.plan.planbook import add_plan_workbook_commands

    add_plan_workbook_commands(p)
    # -- end planbook --

    _add_portal_commands(sub)
    return ap


def _portal_address(settings) -> str:
    """The line `serve` prints about the portal it started (its address from config ``portal:``)."""
    from vision_report.portal.messages import msg
    from vision_report.portal.settings import portal_settings

    config = portal_settings(settings)
    return msg("portal_started", settings.root, host=config.host, port=config.port)


def _add_portal_commands(sub) -> None:
    """`accounts …` and `portal` (提出ポータル, docs CONTRACT §7): implemented in vision_report/portal/commands.py."""
    from vision_report.portal.commands import add_parsers

    add_parsers(sub)


def _check_fiscal_year(args: argparse.Namespace) -> None:
    """A fiscal year outside the plan is a usage error, said before anything starts (exit 2)."""
    fy = getattr(args, "fiscal_year", None)
    if fy is None:
        return
    _settings, plan = _settings_and_plan(args)
    problem = plan.meta.fiscal_year_problem(fy)
    if problem:
        raise ConfigError(problem)


def main(argv: list[str] | None = None) -> int:
    timing.since_start("start_and_imports")  # bench/run.py: the interpreter and the imports before the command
    args = build_parser().parse_args(argv)
    if getattr(args, "root", None):
        # the project this process works for, said once at its entry: every later lookup (labels, templates)
        # without a root of its own finds it through paths.find_root, and so do the processes it starts
        os.environ[ENV_ROOT] = str(Path(args.root).resolve())
    try:
        _check_fiscal_year(args)
        return args.func(args)
    except (ConfigError, PlanError) as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `vision-report plan --json | head`
        sys.stderr.close()
        return 0


def entry() -> None:
    """The ``vision-report`` command's process: :func:`main`, then exit. What the command leaves in memory (Prefect,
    Great Expectations, pandas, the year's tables) is frozen first, so the interpreter's last collections at exit do
    not walk it again: the process ended 0.85 s after its last exit handler at 20 submissions, 0.06 s frozen. The
    objects are still freed, and every exit handler still runs (logging's flush, the temporary server's stop)."""
    rc = main()
    gc.freeze()
    sys.exit(rc)


if __name__ == "__main__":
    entry()
