"""`vision-report` command line (CONTRACT §6). Messages for users are in Japanese."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import ConfigError, load_settings
from .plan import PlanError, load_plan
from .plan.export import plan_summary, plan_to_dict


def _settings_and_plan(args: argparse.Namespace):
    settings = load_settings(Path(args.root) if args.root else None)
    plan_dir = Path(args.plan) if getattr(args, "plan", None) else settings.plan_dir
    return settings, load_plan(plan_dir)


def cmd_plan(args: argparse.Namespace) -> int:
    _settings, plan = _settings_and_plan(args)
    if args.json:
        json.dump(plan_to_dict(plan), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(plan_summary(plan))
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="vision-report",
        description="熊本連携中枢都市圏ビジョンの進捗状況報告: 提出ファイルの検証、KPI達成率・事業費執行率の計算、報告書の作成",
    )
    ap.add_argument("--root", help="プロジェクトのフォルダ（既定: config/vision-report.yaml のある場所）")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("plan", help="ビジョン（計画データ）を表示する")
    p.add_argument("--json", action="store_true", help="計画全体をJSONで標準出力へ")
    p.add_argument("--plan", help="計画フォルダ（既定: 設定ファイルの plan）")
    p.set_defaults(func=cmd_plan)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, PlanError) as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `vision-report plan --json | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
