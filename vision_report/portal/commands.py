"""`vision-report accounts …` and `vision-report portal` (CONTRACT §7). Account changes go to archive/audit.jsonl;
passwords never do."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from vision_report.core import audit
from vision_report.core.config import load_settings
from vision_report.plan import load_plan
from vision_report.portal.messages import msg
from vision_report.portal.settings import database_url, portal_settings

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported by the commands that use it, not by `vision-report --help`
    from vision_report.portal.store import Store

LOGIN_ID_RE = re.compile(r"^[A-Za-z0-9._-]{3,100}$")


def _context(args: argparse.Namespace):
    from vision_report.portal.store import Store

    settings = load_settings(Path(args.root) if args.root else None)
    config = portal_settings(settings)
    return settings, config, Store(database_url(settings, config))


def _password(args: argparse.Namespace) -> str | None:
    from vision_report.portal.store import new_password

    if not getattr(args, "password_stdin", False):
        return new_password()
    line = sys.stdin.readline().rstrip("\r\n")
    return line if len(line) >= 8 else None


def cmd_accounts(args: argparse.Namespace) -> int:
    from vision_report.portal.store import ROLE_COORDINATOR, ROLE_MEMBER

    settings, config, store = _context(args)
    root = settings.root
    action = args.accounts_command
    if action == "list":
        import time

        print(msg("account_list_header", root))
        for a in store.all_accounts():
            state = (
                msg("account_state_disabled", root)
                if a.disabled
                else msg("account_state_locked", root)
                if a.locked_until > time.time()
                else msg("account_state_active", root)
            )
            role = msg("coordinator_label", root) if a.is_coordinator else ""
            print(f"{a.login_id}\t{role}\t{a.member_code or ''}\t{a.display_name}\t{state}")
        return 0
    if action == "add-members":
        return _add_members(args, settings, store)
    login_id = args.login_id.strip()
    if action == "add":
        if not LOGIN_ID_RE.match(login_id):
            print(msg("account_bad_id", root, login_id=login_id), file=sys.stderr)
            return 1
        if store.get(login_id) is not None:
            print(msg("account_exists", root, login_id=login_id), file=sys.stderr)
            return 1
        code = args.member
        name = args.name or ""
        if code:
            plan = load_plan(settings.plan_dir)
            if not plan.has_municipality(code):
                print(msg("account_bad_member", root, code=code), file=sys.stderr)
                return 1
            name = name or plan.municipality(code).name
        password = _password(args)
        if password is None:
            print(msg("account_no_password", root), file=sys.stderr)
            return 1
        role = ROLE_COORDINATOR if args.coordinator else ROLE_MEMBER
        store.add(login_id, role, code, name, password)
        audit.record(settings.archive, "portal_account_added", account=login_id, role=role, municipality_code=code)
        who = msg("coordinator_label", root) if args.coordinator else f"{name} {code}"
        print(msg("account_added", root, login_id=login_id, who=who))
        if not args.password_stdin:
            print(msg("password_once", root, password=password))
        return 0
    if store.get(login_id) is None:
        print(msg("account_unknown", root, login_id=login_id), file=sys.stderr)
        return 1
    if action == "reset":
        password = _password(args)
        if password is None:
            print(msg("account_no_password", root), file=sys.stderr)
            return 1
        store.reset(login_id, password)
        audit.record(settings.archive, "portal_account_reset", account=login_id)
        print(msg("account_reset", root, login_id=login_id))
        if not args.password_stdin:
            print(msg("password_once", root, password=password))
        return 0
    store.disable(login_id)
    audit.record(settings.archive, "portal_account_disabled", account=login_id)
    print(msg("account_disabled", root, login_id=login_id))
    return 0


def _add_members(args: argparse.Namespace, settings, store: Store) -> int:
    """One account per member of the year (login id = the member's code), printed as a list to hand out."""
    from vision_report.portal.store import ROLE_MEMBER, new_password

    root = settings.root
    config = portal_settings(settings)
    plan = load_plan(settings.plan_dir_for(args.fiscal_year))
    members = plan.members(args.fiscal_year)
    made, skipped = [], []
    for m in members:
        if store.get(m.code) is not None:
            skipped.append(m.name)
            continue
        password = new_password()
        store.add(m.code, ROLE_MEMBER, m.code, m.name, password)
        audit.record(
            settings.archive, "portal_account_added", account=m.code, role=ROLE_MEMBER, municipality_code=m.code
        )
        made.append((m, password))
    print(msg("members_header", root, title=plan.meta.title, fiscal_year=args.fiscal_year, count=len(made)))
    print(msg("members_note", root, url=args.url or f"http://{config.host}:{config.port}/"))
    print()
    print(msg("members_columns", root))
    for m, password in made:
        print(f"{m.code}\t{m.name}\t{m.code}\t{password}")
    if skipped:
        print(msg("members_skipped", root, names="・".join(skipped)))
    return 0


def cmd_portal(args: argparse.Namespace) -> int:
    import uvicorn

    from vision_report.portal.app import create_app

    settings = load_settings(Path(args.root) if args.root else None)
    config = portal_settings(settings)
    host = args.host or config.host
    port = args.port or config.port
    app = create_app(settings, config)
    print(msg("portal_started", settings.root, host=host, port=port), flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True, forwarded_allow_ips="127.0.0.1")
    return 0


def add_parsers(sub) -> None:
    """Register `accounts` and `portal` on the command line's subparsers (called from cli.build_parser)."""
    p = sub.add_parser("accounts", help="提出ポータルのアカウントを作成・再設定・無効化・一覧表示する")
    acc = p.add_subparsers(dest="accounts_command", required=True, metavar="ACTION")
    a = acc.add_parser("add", help="アカウントを作成する（パスワードは一度だけ表示）")
    a.add_argument("login_id", metavar="LOGIN_ID", help="ログインID（半角英数字と . _ -）")
    who = a.add_mutually_exclusive_group(required=True)
    who.add_argument("--member", metavar="CODE", help="市町村のアカウント（市町村コード）")
    who.add_argument("--coordinator", action="store_true", help="コーディネーターのアカウント")
    a.add_argument("--name", help="表示名（既定: 市町村名）")
    a.add_argument("--password-stdin", action="store_true", help="パスワードを標準入力から読む（8文字以上）")
    r = acc.add_parser("reset", help="パスワードを再設定する（ロックも解除）")
    r.add_argument("login_id", metavar="LOGIN_ID")
    r.add_argument("--password-stdin", action="store_true", help="パスワードを標準入力から読む（8文字以上）")
    d = acc.add_parser("disable", help="アカウントを無効にする")
    d.add_argument("login_id", metavar="LOGIN_ID")
    acc.add_parser("list", help="アカウントの一覧")
    m = acc.add_parser("add-members", help="年度の構成市町村ごとにアカウントを作成し、初期パスワードの一覧を出す")
    m.add_argument("--fiscal-year", type=int, required=True, help="年度（例: 2025）")
    m.add_argument("--url", help="一覧に印刷するポータルのURL（例: https://portal.example.lg.jp/）")
    p.set_defaults(func=cmd_accounts)

    p = sub.add_parser("portal", help="提出ポータル（Web）を起動する")
    p.add_argument("--host", help="待ち受けるアドレス（既定: 127.0.0.1。設定 portal.host）")
    p.add_argument("--port", type=int, help="ポート（既定: 8400。設定 portal.port）")
    p.set_defaults(func=cmd_portal)
