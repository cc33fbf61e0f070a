"""The pages a member's clerk uses: log in and out, the member's page for a fiscal year (its submissions, its feedback,
its municipality report), the upload and the member's own files."""

from __future__ import annotations

import asyncio
import hmac
import secrets
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from vision_report.core import audit
from vision_report.core.vocabulary import (
    Status,
)
from vision_report.outputs.submission_templates import member_templates, template_name
from vision_report.portal.messages import msg
from vision_report.portal.uploads import UploadRefused, clean_name, receive_upload
from vision_report.portal.web import (
    LOGIN_COOKIE,
    MEDIA,
    SCREENING,
    SESSION_COOKIE,
    Portal,
    TooLarge,
    _audit,
    _code,
    _cookie_args,
    _download,
    _form,
    _fy,
    _guard,
    _jst,
    _page,
    _safe_next,
    _session,
)


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
