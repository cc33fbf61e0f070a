"""The portal's Starlette application: routes, permissions checked in one place (``_guard``), Japanese pages.

Pages are server-rendered from templates/portal/*.html (Jinja2, autoescaped); no JavaScript is needed. Every form that
changes something carries the session's CSRF token. Slow work (screening a file, hashing a password) runs in a thread
so that other pages keep answering; screening runs one file at a time per process (the Great Expectations context
is shared and kept warm).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import secrets
import subprocess
import sys
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

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
from vision_report.outputs.submission_templates import member_templates, template_name
from vision_report.plan import Plan, PlanError, load_plan
from vision_report.portal.messages import messages, msg
from vision_report.portal.settings import PortalSettings, database_url, portal_settings
from vision_report.portal.store import Session, Store
from vision_report.portal.uploads import UploadRefused, clean_name, receive_upload, run_in_progress
from vision_report.screening.confirmations import (
    append_confirmation,
    apply_confirmations,
    held_values,
    read_confirmations,
)

log = logging.getLogger("vision_report.portal")
SESSION_COOKIE = "vr_session"
LOGIN_COOKIE = "vr_login"
MULTIPART_OVERHEAD = 64 * 1024  # form fields and boundaries around the file
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


# ---------------------------------------------------------------------------------------------------- routes
async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def home(request: Request) -> Response:
    s = _session(request)
    if s is None:
        return RedirectResponse("/login", status_code=303)
    portal: Portal = request.app.state.portal
    fy = portal.default_year()
    if s.account.is_coordinator:
        return RedirectResponse(f"/{fy}", status_code=303)
    return RedirectResponse(f"/{fy}/members/{s.account.member_code}", status_code=303)


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value and len(value) < 200:
        return value
    return "/"


async def login_form(request: Request) -> Response:
    if _session(request) is not None:
        return RedirectResponse("/", status_code=303)
    return _login_page(request, None, 200)


def _login_page(request: Request, error: str | None, status_code: int) -> Response:
    portal: Portal = request.app.state.portal
    token = secrets.token_urlsafe(32)
    r = _page(
        request,
        "login.html",
        status_code=status_code,
        login_csrf=token,
        error=error,
        next=_safe_next(request.query_params.get("next")),
    )
    r.set_cookie(LOGIN_COOKIE, token, max_age=3600, samesite="strict", **_cookie_args(portal))
    return r


async def login(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    form = await request.form(max_files=0, max_fields=10)
    token, cookie = form.get("csrf_token"), request.cookies.get(LOGIN_COOKIE)
    if not (isinstance(token, str) and cookie and hmac.compare_digest(token.encode(), cookie.encode())):
        raise HTTPException(403)
    login_id = str(form.get("login_id") or "").strip()[:100]
    password = str(form.get("password") or "")[:1000]
    c = portal.config
    result = await run_in_threadpool(
        portal.store.login,
        login_id,
        password,
        slowdown_after=c.login_slowdown_after,
        delay_seconds=c.login_delay_seconds,
        lock_after=c.login_lock_after,
        lock_minutes=c.login_lock_minutes,
    )
    ip = request.client.host if request.client else ""
    if result.account is None:
        _audit(request, "portal_login_failed", account=login_id, reason=result.reason, client=ip)
        if result.delay:
            await asyncio.sleep(result.delay)
        error = (
            msg("login_locked", portal.settings.root, until=_jst(result.locked_until))
            if result.reason == "locked"
            else msg("login_failed", portal.settings.root)
        )
        return _login_page(request, error, 401)
    session_token, _csrf = portal.store.start_session(result.account)
    _audit(request, "portal_login", account=login_id, client=ip)
    r = RedirectResponse(_safe_next(str(form.get("next") or "")), status_code=303)
    r.set_cookie(SESSION_COOKIE, session_token, samesite="lax", **_cookie_args(portal))
    r.delete_cookie(LOGIN_COOKIE, path="/")
    return r


async def logout(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    s = _guard(request)
    await _form(request, s)
    portal.store.end_session(request.cookies.get(SESSION_COOKIE))
    _audit(request, "portal_logout", account=s.account.login_id)
    r = RedirectResponse("/login", status_code=303)
    r.delete_cookie(SESSION_COOKIE, path="/")
    return r


def _member_view(portal: Portal, fiscal_year: int, code: str) -> dict:
    plan = portal.plan(fiscal_year)
    st = portal.state(fiscal_year)
    rows = st.current[st.current["municipality_code"] == code]
    current = rows.iloc[0].to_dict() if len(rows) else None
    held = portal.held(fiscal_year)
    mine = held[(held["municipality_code"] == code) & ~held["confirmed"]] if len(held) else held
    status = str(current["status"]) if current else Status.MISSING.value
    name = plan.municipality(code).name
    feedback = portal.settings.outputs / str(fiscal_year) / "feedback" / f"{code}_{name}.txt"
    history = [
        e
        for e in reversed(audit.read_log(portal.settings.archive))
        if e.get("event") == "file_checked"
        and e.get("fiscal_year") == fiscal_year
        and str(e.get("file", "")).startswith(f"{code}_")
    ][:30]
    return {
        "fy": fiscal_year,
        "code": code,
        "name": name,
        "plan_title": plan.meta.title,
        "deadline": st.deadline,
        "current": current,
        "status": status,
        "on_hold": len(mine) > 0 and status in (Status.ACCEPTED.value, Status.ACCEPTED_WITH_WARNINGS.value),
        "held": mine.to_dict("records") if len(mine) else [],
        "feedback": feedback.read_text(encoding="utf-8-sig") if feedback.is_file() else "",
        "history": history,
        "report": _municipality_report(portal, fiscal_year, code) is not None,
        "locked": audit.year_lock(portal.settings.archive, fiscal_year),
        "max_mb": portal.config.max_upload_bytes / 1_000_000,
    }


def _municipality_report(portal: Portal, fiscal_year: int, code: str) -> Path | None:
    folder = portal.settings.outputs / str(fiscal_year) / "municipalities"
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.glob(f"{code}_*.docx") if p.is_file() and not p.is_symlink())
    return found[0] if found else None


async def member_page(request: Request) -> Response:
    fy, code = _fy(request), _code(request)
    _guard(request, fiscal_year=fy, code=code)
    view = await run_in_threadpool(_member_view, request.app.state.portal, fy, code)
    return _page(request, "member.html", **view)


async def upload(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    fy, code = _fy(request), _code(request)
    s = _guard(request, fiscal_year=fy, code=code)
    form = await _form(request, s)
    f = form.get("file")
    if not isinstance(f, UploadFile):
        raise UploadRefused("upload_empty")
    data = await f.read(portal.config.max_upload_bytes + 1)
    if len(data) > portal.config.max_upload_bytes:
        raise TooLarge()
    plan = portal.plan(fy)

    def work():
        with SCREENING:
            return receive_upload(
                portal.settings, plan, portal.config, fy, code, data, f.filename or "", s.account.login_id
            )

    try:
        outcome = await run_in_threadpool(work)
    except UploadRefused as exc:
        _audit(
            request,
            "portal_upload_refused",
            account=s.account.login_id,
            fiscal_year=fy,
            municipality_code=code,
            original_name=clean_name(f.filename or ""),
            size=len(data),
            reason=exc.key,
        )
        view = await run_in_threadpool(_member_view, portal, fy, code)
        return _page(
            request, "member.html", status_code=400, refused=msg(exc.key, portal.settings.root, **exc.values), **view
        )
    rec = outcome.result.rec
    held = outcome.result.held
    waiting = held[~held["confirmed"]] if held is not None and len(held) else None
    return _page(
        request,
        "result.html",
        fy=fy,
        code=code,
        name=plan.municipality(code).name,
        status=outcome.result.status,
        on_hold=waiting is not None and len(waiting) > 0,
        feedback=outcome.result.feedback or "",
        stored_as=outcome.stored_as,
        sha256=rec.sha256,
        original_name=clean_name(f.filename or ""),
        locked=outcome.locked,
        running=outcome.running,
    )


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


async def member_file(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    fy, code = _fy(request), _code(request)
    _guard(request, fiscal_year=fy, code=code)
    what = request.path_params["what"]
    plan = portal.plan(fy)
    name = plan.municipality(code).name
    if what in ("template.csv", "template.xlsx"):
        suffix = what[len("template") :]
        data = await run_in_threadpool(member_templates, plan, fy, code, portal.settings.evaluation)
        return _download(data[suffix], f"{template_name(code, name, fy)}{suffix}", MEDIA[suffix])
    if what == "feedback.txt":
        path = portal.settings.outputs / str(fy) / "feedback" / f"{code}_{name}.txt"
        if path.is_file() and not path.is_symlink():
            return _download(path, path.name, MEDIA[".txt"])
    if what == "report.docx":
        report = _municipality_report(portal, fy, code)
        if report is not None:
            return _download(report, report.name, MEDIA[".docx"])
    raise HTTPException(404)


def _run_state(portal: Portal, fiscal_year: int) -> dict:
    events = [
        e
        for e in audit.read_log(portal.settings.archive)
        if e.get("fiscal_year") == fiscal_year and e.get("event") in ("run_started", *audit.RUN_END_EVENTS)
    ]
    last_end = next((e for e in reversed(events) if e["event"] in audit.RUN_END_EVENTS), None)
    proc = portal.runs.get(fiscal_year)
    running = run_in_progress(portal.settings.archive, fiscal_year) or (proc is not None and proc.poll() is None)
    return {
        "running": running,
        "last": last_end,
        "last_label": {"run_finished": "run_finished", "run_failed": "run_failed", "run_interrupted": "run_failed"}.get(
            last_end["event"], ""
        )
        if last_end
        else "",
        "prefect": bool(_prefect_api(portal)),
    }


def _prefect_api(portal: Portal) -> str:
    return os.environ.get("PREFECT_API_URL") or str(portal.settings.prefect.get("api_url") or "")


def _outputs(portal: Portal, fiscal_year: int) -> list[str]:
    base = portal.settings.outputs / str(fiscal_year)
    if not base.is_dir():
        return []
    out = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "gx_docs")
        for fn in sorted(filenames):
            p = Path(dirpath) / fn
            if fn.startswith(".") or p.is_symlink() or p.suffix.lower() not in MEDIA:
                continue
            out.append(p.relative_to(base).as_posix())
    return out


def _overview(portal: Portal, fiscal_year: int) -> dict:
    plan = portal.plan(fiscal_year)
    st = portal.state(fiscal_year)
    held = portal.held(fiscal_year)
    waiting_codes = set(held[~held["confirmed"]]["municipality_code"]) if len(held) else set()
    members = []
    for r in st.current.to_dict("records"):
        members.append({**r, "on_hold": r["municipality_code"] in waiting_codes})
    return {
        "fy": fiscal_year,
        "years": portal.years(),
        "plan_title": plan.meta.title,
        "deadline": st.deadline,
        "members": members,
        "reminders": st.reminders,
        "held": held.to_dict("records") if len(held) else [],
        "locked": audit.year_lock(portal.settings.archive, fiscal_year),
        "run": _run_state(portal, fiscal_year),
        "outputs": _outputs(portal, fiscal_year),
        "counts": st.current["status"].value_counts().to_dict(),
        "late": int((st.current["timeliness"] == "late").sum()),
    }


async def overview(request: Request) -> Response:
    fy = _fy(request)
    _guard(request, fiscal_year=fy, coordinator=True)
    view = await run_in_threadpool(_overview, request.app.state.portal, fy)
    return _page(request, "overview.html", **view)


async def output_file(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    fy = _fy(request)
    _guard(request, fiscal_year=fy, coordinator=True)
    rel = request.path_params["path"]
    if rel not in _outputs(portal, fy):  # only what the list offers: no "..", no links, no hidden files
        raise HTTPException(404)
    path = portal.settings.outputs / str(fy) / rel
    return _download(path, path.name, MEDIA[path.suffix.lower()])


def _held_row(portal: Portal, fiscal_year: int, code: str, kind: str, item: str) -> dict:
    held = portal.held(fiscal_year)
    if not len(held):
        raise HTTPException(404)
    rows = held[(held["municipality_code"] == code) & (held["kind"] == kind) & (held["item_id"] == item)]
    if not len(rows):
        raise HTTPException(404)
    return rows.iloc[0].to_dict()


async def confirm_form(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    fy, code = _fy(request), _code(request)
    s = _guard(request, fiscal_year=fy, coordinator=True)
    kind, item = request.path_params["kind"], request.path_params["item"]
    row = await run_in_threadpool(_held_row, portal, fy, code, kind, item)
    return _page(request, "confirm.html", fy=fy, h=row, by=s.account.display_name or s.account.login_id, error=None)


async def confirm(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    fy, code = _fy(request), _code(request)
    s = _guard(request, fiscal_year=fy, coordinator=True)
    form = await _form(request, s)
    kind, item = request.path_params["kind"], request.path_params["item"]
    row = await run_in_threadpool(_held_row, portal, fy, code, kind, item)
    by, reason = str(form.get("by") or "").strip()[:100], str(form.get("reason") or "").strip()[:500]
    if not by or not reason:
        return _page(
            request,
            "confirm.html",
            status_code=400,
            fy=fy,
            h=row,
            by=by or s.account.display_name,
            error=msg("confirm_missing", portal.settings.root),
        )
    append_confirmation(
        portal.settings.confirmations_file(fy),
        municipality_code=code,
        kind=kind,
        item_id=item,
        value=float(row["value"]),
        confirmed_by=by,
        reason=reason,
    )
    _audit(
        request,
        "confirmation",
        account=s.account.login_id,
        fiscal_year=fy,
        municipality_code=code,
        kind=kind,
        item_id=item,
        value=float(row["value"]),
        confirmed_by=by,
        reason=reason,
        via="portal",
    )
    return RedirectResponse(f"/{fy}#held", status_code=303)


async def lock(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    fy = _fy(request)
    s = _guard(request, fiscal_year=fy, coordinator=True)
    if request.path_params["action"] not in ("lock", "unlock"):
        raise HTTPException(404)
    form = await _form(request, s)
    reason = str(form.get("reason") or "").strip()[:500]
    action = request.path_params["action"]
    archive = portal.settings.archive
    if action == "lock" and not audit.year_lock(archive, fy):
        audit.lock_year(archive, fy, reason)
    elif action == "unlock":
        audit.unlock_year(archive, fy, reason)
    _audit(request, f"portal_{action}", account=s.account.login_id, fiscal_year=fy, reason=reason)
    return RedirectResponse(f"/{fy}#lock", status_code=303)


async def start_run(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    fy = _fy(request)
    s = _guard(request, fiscal_year=fy, coordinator=True)
    await _form(request, s)
    if not _run_state(portal, fy)["running"]:
        how = await run_in_threadpool(_launch_run, portal, fy)
        _audit(request, "portal_run_requested", account=s.account.login_id, fiscal_year=fy, via=how)
    return RedirectResponse(f"/{fy}#run", status_code=303)


def _launch_run(portal: Portal, fiscal_year: int) -> str:
    """Through the Prefect server's on-demand deployment when one is configured, else `vision-report run` as a
    background process (its output in .portal/logs/run-<FY>.log)."""
    api = _prefect_api(portal)
    if api:
        from prefect.deployments import run_deployment
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: api}):
            run_deployment("vision-report-yearly/on-demand", parameters={"fiscal_year": fiscal_year}, timeout=0)
        return "prefect"
    logs = portal.settings.root / portal.config.run_log
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"run-{fiscal_year}.log", "ab") as out:
        portal.runs[fiscal_year] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "vision_report.cli",
                "--root",
                str(portal.settings.root),
                "run",
                "--fiscal-year",
                str(fiscal_year),
            ],
            cwd=portal.settings.root,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return "process"


# ------------------------------------------------------------------------------------------------ middleware
class Guards:
    """Pure ASGI middleware: the request body limit enforced while it streams in (413 before everything is read) and
    the security headers of every answer."""

    HEADERS = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"cache-control", b"no-store"),
        (
            b"content-security-policy",
            b"default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; form-action 'self'; "
            b"frame-ancestors 'none'; base-uri 'none'",
        ),
    ]

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.HEADERS]}
            await send(message)

        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            scope = {**scope, "vr_too_large": True}
        received = 0

        async def limited():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit or scope.get("vr_too_large"):
                    raise TooLarge()
            return message

        await self.app(scope, limited, send_with_headers)


def create_app(settings: Settings, config: PortalSettings | None = None, store: Store | None = None) -> Starlette:
    config = config or portal_settings(settings)
    store = store or Store(database_url(settings, config))
    portal = Portal(settings, config, store, env=_env(settings.root))

    @asynccontextmanager
    async def lifespan(app):
        threading.Thread(target=_warm, args=(portal,), daemon=True).start()
        yield

    routes = [
        Route("/healthz", healthz),
        Route("/", home),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/{fy}", overview, methods=["GET"]),
        Route("/{fy}/outputs/{path:path}", output_file, methods=["GET"]),
        Route("/{fy}/members/{code}", member_page, methods=["GET"]),
        Route("/{fy}/members/{code}/upload", upload, methods=["POST"]),
        Route("/{fy}/members/{code}/{what}", member_file, methods=["GET"]),
        Route("/{fy}/held/{code}/{kind}/{item}", confirm_form, methods=["GET"]),
        Route("/{fy}/held/{code}/{kind}/{item}", confirm, methods=["POST"]),
        Route("/{fy}/{action:str}", lock, methods=["POST"]),
        Route("/{fy}/run/start", start_run, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            HTTPException: _http_error,
            TooLarge: _too_large,
            UploadRefused: _refused,
            Exception: _server_error,
        },
        lifespan=lifespan,
    )
    app.state.portal = portal
    app.add_middleware(Guards, limit=config.max_upload_bytes + MULTIPART_OVERHEAD)
    return app


async def _refused(request: Request, exc: Exception) -> Response:
    return _error_page(request, 400)


def _warm(portal: Portal) -> None:
    """Screen the current year once at start-up: Great Expectations is imported and its context built before the
    first upload, so that the first clerk also gets an answer within seconds."""
    try:
        portal.state(portal.default_year())
    except (ConfigError, PlanError, HTTPException, OSError):
        log.warning("portal warm-up skipped", exc_info=True)
