"""Shared set-up of the portal tests: a throw-away project with accounts, and logging in as a browser would."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "submissions"
FY = 2024
VICTIM = "434337"  # 南阿蘇村
OTHER = "431001"  # 熊本市
PASSWORDS = {
    "coord": "coordinator-pass-1",
    "minamiaso": "member-pass-434337",
    "kumamoto": "member-pass-431001",
    "gone": "member-pass-disabled",
}


def make_project(tmp_path: Path, **portal) -> Path:
    """A copy of the project's configuration, plan, expectations and templates with a ``portal:`` section."""
    proj = tmp_path / "proj"
    for part in ("config", "plans", "expectations", "templates"):
        shutil.copytree(ROOT / part, proj / part)
    cfg_path = proj / "config" / "vision-report.yaml"
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    cfg["portal"] = {"login_delay_seconds": 0.01, "fiscal_year": FY, **portal}
    cfg_path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    (proj / "inputs" / str(FY)).mkdir(parents=True)
    return proj


def add_accounts(store) -> None:
    from vision_report.portal.store import ROLE_COORDINATOR, ROLE_MEMBER

    store.add("coord", ROLE_COORDINATOR, None, "熊本市 企画課", PASSWORDS["coord"])
    store.add("minamiaso", ROLE_MEMBER, VICTIM, "南阿蘇村", PASSWORDS["minamiaso"])
    store.add("kumamoto", ROLE_MEMBER, OTHER, "熊本市", PASSWORDS["kumamoto"])
    store.add("gone", ROLE_MEMBER, VICTIM, "南阿蘇村（旧担当）", PASSWORDS["gone"])


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no csrf_token in the page"
    return m.group(1)


def login(client, login_id: str, password: str | None = None) -> str:
    """Log in through the form; returns the session's CSRF token (read from the page after login)."""
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"login_id": login_id, "password": password or PASSWORDS[login_id], "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    home = client.get("/", follow_redirects=True)
    return csrf_of(home.text)
