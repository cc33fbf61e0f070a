"""Accounts and sessions of the portal (vision_report/portal/store.py) and the `accounts` commands: SQLite by default,
PostgreSQL when configured; passwords only as scrypt hashes; account changes audited without secrets."""

from __future__ import annotations

import io
import sys

import pytest
from portal_helpers import make_project
from test_serve import postgres  # noqa: F401 - the PostgreSQL server fixture

from vision_report.cli import main
from vision_report.core import audit
from vision_report.portal.store import Store, hash_password, verify_password


def test_password_hash_is_scrypt_salted_and_checked():
    h1, h2 = hash_password("secret-pass"), hash_password("secret-pass")
    assert h1.startswith("scrypt$16384$8$1$") and h1 != h2  # salted
    assert verify_password("secret-pass", h1) and not verify_password("secret-pasS", h1)
    assert not verify_password("secret-pass", "md5$abc") and not verify_password("x", "garbage")


def _exercise(store: Store) -> None:
    a = store.add("kosa", "member", "434442", "甲佐町", "first-password")
    assert store.get("kosa") == a and a.member_code == "434442" and not a.is_coordinator
    ok = store.login("kosa", "first-password", slowdown_after=3, delay_seconds=1, lock_after=5, lock_minutes=15)
    assert ok.account is not None and ok.reason == "ok"
    token, csrf = store.start_session(ok.account)
    s = store.session(token, idle_seconds=60)
    assert s is not None and s.csrf_token == csrf and s.account.login_id == "kosa"
    assert store.session(token, idle_seconds=60, now=s and __import__("time").time() + 61) is None  # idle: gone
    token, _ = store.start_session(ok.account)
    assert store.reset("kosa", "second-password")
    assert store.session(token, idle_seconds=60) is None  # a reset ends the sessions
    assert (
        store.login("kosa", "first-password", slowdown_after=3, delay_seconds=1, lock_after=5, lock_minutes=15).account
        is None
    )
    assert store.disable("kosa")
    r = store.login("kosa", "second-password", slowdown_after=3, delay_seconds=1, lock_after=5, lock_minutes=15)
    assert r.account is None and r.reason == "disabled"
    assert [x.login_id for x in store.all_accounts()] == ["kosa"]


def test_store_on_sqlite(tmp_path):
    _exercise(Store(f"sqlite:///{tmp_path / 'portal.db'}"))


def test_store_on_postgresql(postgres):  # noqa: F811 - the fixture imported above
    pytest.importorskip("psycopg")
    url, _port = postgres
    _exercise(Store(url.replace("postgresql://", "postgresql+psycopg://")))


def test_accounts_commands_print_the_password_once_and_audit_without_it(tmp_path, capsys, monkeypatch):
    proj = make_project(tmp_path)
    root = ["--root", str(proj)]
    assert main([*root, "accounts", "add", "coord", "--coordinator", "--name", "熊本市 企画課"]) == 0
    out = capsys.readouterr().out
    password = out.split("初期パスワード：")[1].split("（")[0]
    assert len(password) == 12
    assert main([*root, "accounts", "add", "coord", "--coordinator"]) == 1  # exists
    monkeypatch.setattr(sys, "stdin", io.StringIO("typed-password-1\n"))
    assert main([*root, "accounts", "add", "kosa", "--member", "434442", "--password-stdin"]) == 0
    assert "初期パスワード" not in capsys.readouterr().out
    assert main([*root, "accounts", "add", "bad", "--member", "999999"]) == 1
    assert main([*root, "accounts", "add-members", "--fiscal-year", "2024"]) == 0
    out = capsys.readouterr().out
    lines = [x for x in out.splitlines() if x[:6].isdigit()]
    assert len(lines) == 20 and all(len(x.split("\t")) == 4 for x in lines)  # the vision's 20 members in FY2024
    assert "熊本連携中枢都市圏ビジョン" in out and "2024年度" in out
    assert main([*root, "accounts", "reset", "kosa"]) == 0
    assert main([*root, "accounts", "disable", "kosa"]) == 0
    assert main([*root, "accounts", "reset", "nobody"]) == 1
    assert main([*root, "accounts", "list"]) == 0
    listing = capsys.readouterr().out
    assert "kosa\t\t434442\t甲佐町\t無効" in listing and "coord\tコーディネーター" in listing
    log = (proj / "archive" / "audit.jsonl").read_text(encoding="utf-8")
    assert password not in log and "typed-password-1" not in log
    events = [e["event"] for e in audit.read_log(proj / "archive")]
    assert events.count("portal_account_added") == 22 and "portal_account_reset" in events
    assert "portal_account_disabled" in events


def test_portal_words_live_in_templates_not_in_code():
    """Every word the portal's pages and messages show is in templates/portal/ (a coordinator rewords it there); the
    code asks only for keys that exist."""
    import re
    from pathlib import Path

    import yaml
    from test_wording import _literals

    root = Path(__file__).resolve().parents[1]
    folder = root / "vision_report" / "portal"
    found = {
        f"{p.name}:{n}": t for p in sorted(folder.glob("*.py")) if p.name != "commands.py" for n, t in _literals(p)
    }
    assert found == {}
    keys = set(yaml.safe_load((root / "templates" / "portal" / "messages.yaml").read_text(encoding="utf-8")))
    code = "\n".join(p.read_text(encoding="utf-8") for p in folder.glob("*.py"))
    asked = set(re.findall(r"""msg\(\s*["']([a-z_0-9]+)["']""", code)) | set(
        re.findall(r"""UploadRefused\(\s*["']([a-z_0-9]+)["']""", code)
    )
    assert asked and asked <= keys, asked - keys
