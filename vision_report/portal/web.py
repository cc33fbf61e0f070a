"""What every page of the portal shares: the portal's state (settings, store, plans, screening), the page and error
rendering, the session and CSRF guard, form and path parameters, cookies, the audit call and file downloads."""

from __future__ import annotations

import hmac
import logging
import os
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from vision_report.core import audit
from vision_report.core.config import ConfigError, Settings
from vision_report.core.textfmt import fmt_num
from vision_report.core.vocabulary import (
    Status,
    date_label,
    hold_label,
    kind_labels,
    reminder_label,
    status_label,
    timeliness_label,
)
from vision_report.operations.reminders import YearState, year_state
from vision_report.plan import Plan, load_plan
from vision_report.portal.messages import messages
from vision_report.portal.settings import PortalSettings
from vision_report.portal.store import Session, Store
from vision_report.screening.confirmations import (
    apply_confirmations,
    held_values,
    read_confirmations,
)

log = logging.getLogger("vision_report.portal")


SESSION_COOKIE = "vr_session"


LOGIN_COOKIE = "vr_login"


SCREENING = threading.Lock()  # one screening at a time: the Great Expectations context is shared


class TooLarge(Exception):
    """The request body passed the upload limit while it was being received."""


@dataclass
class Portal:
    """What the routes share: settings, the accounts store, plans and the cached view of each year."""

    settings: Settings
    config: PortalSettings
    store: Store
    plans: dict[Path, Plan] = field(default_factory=dict)
    states: dict[int, tuple[tuple, YearState]] = field(default_factory=dict)
    state_locks: dict[int, threading.Lock] = field(default_factory=dict)
    runs: dict[int, subprocess.Popen] = field(default_factory=dict)
    env: jinja2.Environment | None = None

    def plan(self, fiscal_year: int) -> Plan:
        try:
            folder = self.settings.plan_dir_for(fiscal_year)
        except ConfigError:
            raise HTTPException(404) from None
        if folder not in self.plans:
            self.plans[folder] = load_plan(folder)
        plan = self.plans[folder]
        if plan.meta.fiscal_year_problem(fiscal_year):
            raise HTTPException(404)
        return plan

    def years(self) -> list[int]:
        out: set[int] = set()
        today = _today()
        for r in self.settings.plans:
            first = r.first_fiscal_year if r.first_fiscal_year is not None else today.year - 5
            last = r.last_fiscal_year if r.last_fiscal_year is not None else today.year
            out.update(range(first, last + 1))
        return sorted(out)

    def default_year(self) -> int:
        """The configured year, else the first year whose deadline is still ahead (else the last year)."""
        years = self.years()
        if self.config.fiscal_year in years:
            return int(self.config.fiscal_year or 0)
        today = _today()
        for fy in years:
            if self.settings.deadlines.for_year(fy) >= today:
                return fy
        return years[-1] if years else today.year - 1

    def state(self, fiscal_year: int) -> YearState:
        """inputs/<FY>/ screened as now (the reminders' view), recomputed only when a file or a confirmation changed."""
        folder = self.settings.inputs / str(fiscal_year)
        conf = self.settings.confirmations_file(fiscal_year)
        sig = (
            tuple(sorted((e.name, e.stat(follow_symlinks=False).st_mtime_ns) for e in os.scandir(folder)))
            if folder.is_dir()
            else (),
            conf.stat().st_mtime_ns if conf.exists() else 0,
        )
        lock = self.state_locks.setdefault(fiscal_year, threading.Lock())
        with lock:
            cached = self.states.get(fiscal_year)
            if cached and cached[0] == sig:
                return cached[1]
            with SCREENING:
                st = year_state(self.settings, self.plan(fiscal_year), fiscal_year, self.settings.inputs)
            if not any(r.status == Status.PENDING for r in st.year.received):  # a file still settling: look again
                self.states[fiscal_year] = (sig, st)
            return st

    def held(self, fiscal_year: int):
        st = self.state(fiscal_year)
        held, _ = apply_confirmations(
            held_values(st.year, self.plan(fiscal_year), self.settings.validation.hold_rules),
            read_confirmations(self.settings.confirmations_file(fiscal_year), fiscal_year),
            self.plan(fiscal_year),
        )
        return held


def _today() -> date:
    return datetime.now(ZoneInfo("Asia/Tokyo")).date()


def _jst(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------------------------------------------------- pages
def _env(root: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root / "templates" / "portal")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        status_label=status_label,
        timeliness_label=timeliness_label,
        reminder_label=reminder_label,
        hold_label=hold_label,
        date_label=date_label,
        kind_label=lambda k: kind_labels().get(k, k),
    )
    env.filters["num"] = lambda x: fmt_num(x, 0 if float(x).is_integer() else 2)
    return env


def _page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    portal: Portal = request.app.state.portal
    assert portal.env is not None
    session: Session | None = getattr(request.state, "session", None)
    html = portal.env.get_template(template).render(
        m=messages(portal.settings.root),
        session=session,
        csrf=session.csrf_token if session else "",
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def _error_page(request: Request, code: int) -> HTMLResponse:
    key = code if code in (400, 401, 403, 404, 405, 413) else 500
    try:
        return _page(request, "error.html", status_code=code, code=key)
    except Exception:  # noqa: BLE001 - the error page itself failed: still no traceback for the user
        log.exception("error page")
        return HTMLResponse("<!doctype html><title>Error</title><p>Error</p>", status_code=code)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 401 and request.method == "GET":
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    return _error_page(request, exc.status_code)


async def _too_large(request: Request, exc: Exception) -> Response:
    return _error_page(request, 413)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("portal error", exc_info=exc)
    return _error_page(request, 500)


# ------------------------------------------------------------------------------------------------ permissions
def _session(request: Request) -> Session | None:
    portal: Portal = request.app.state.portal
    s = portal.store.session(request.cookies.get(SESSION_COOKIE), portal.config.session_idle_minutes * 60)
    request.state.session = s
    return s


def _guard(request: Request, *, fiscal_year: int | None = None, code: str | None = None, coordinator: bool = False):
    """The one permission check: a live session (401 otherwise), the coordinator role for coordinator pages (403),
    a member only its own member's pages (403), a year of a plan and a member of that year (404)."""
    s = _session(request)
    if s is None:
        raise HTTPException(401)
    a = s.account
    if coordinator and not a.is_coordinator:
        raise HTTPException(403)
    if code is not None and not a.is_coordinator and a.member_code != code:
        raise HTTPException(403)
    if fiscal_year is not None:
        portal: Portal = request.app.state.portal
        plan = portal.plan(fiscal_year)
        if code is not None and not plan.is_member(code, fiscal_year):
            raise HTTPException(404)
    return s


async def _form(request: Request, s: Session):
    """The posted form, with its CSRF token checked in constant time (403 and nothing done otherwise)."""
    form = await request.form(max_files=1, max_fields=20)
    token = form.get("csrf_token")
    if not isinstance(token, str) or not hmac.compare_digest(token.encode(), s.csrf_token.encode()):
        raise HTTPException(403)
    return form


def _fy(request: Request) -> int:
    raw = request.path_params["fy"]
    if not (isinstance(raw, str) and len(raw) == 4 and raw.isdigit()):
        raise HTTPException(404)
    return int(raw)


def _code(request: Request) -> str:
    raw = request.path_params["code"]
    if not (len(raw) == 6 and raw.isdigit()):
        raise HTTPException(404)
    return raw


def _cookie_args(portal: Portal) -> dict:
    return {"httponly": True, "secure": portal.config.secure_cookies, "path": "/"}


def _audit(request: Request, event: str, **details) -> None:
    portal: Portal = request.app.state.portal
    audit.record(portal.settings.archive, event, **details)


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value and len(value) < 200:
        return value
    return "/"


def _download(data: bytes | Path, filename: str, media_type: str) -> Response:
    body = data.read_bytes() if isinstance(data, Path) else data
    ascii_name = "".join(ch if ch.isascii() and ch.isalnum() or ch in "._-" else "_" for ch in filename)
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"},
    )


MEDIA = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".html": "text/plain; charset=utf-8",  # never rendered as a page of the portal
}
