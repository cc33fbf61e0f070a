"""The coordinator's pages: the year's overview (every member's status, the outputs, the Prefect run), the outputs'
files, confirmations of held values, the year's lock and starting a run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from vision_report.core import audit
from vision_report.portal.messages import msg
from vision_report.portal.uploads import run_in_progress
from vision_report.portal.web import MEDIA, Portal, _audit, _code, _download, _form, _fy, _guard, _page
from vision_report.screening.confirmations import (
    append_confirmation,
)


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
