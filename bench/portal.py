"""Upload → result time of the 提出ポータル (issue 19): one member uploading again and again, and every member of a
year uploading at once. Loopback only: the portal runs in this process (uvicorn on 127.0.0.1) on a throw-away copy of
the project; the files are the shipped synthetic submissions (合成データ) of the year.

    python bench/portal.py [--fiscal-year 2025] [--repeat 10] [--members 24]

Prints median and p95 in seconds (and the wall time of the crowd); bounded by --timeout per request.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vision_report.core.config import load_settings  # noqa: E402
from vision_report.plan import load_plan  # noqa: E402
from vision_report.portal.app import create_app  # noqa: E402
from vision_report.portal.settings import database_url, portal_settings  # noqa: E402
from vision_report.portal.store import ROLE_MEMBER, Store  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def p95(xs: list[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]


def project(tmp: Path) -> Path:
    proj = tmp / "proj"
    for part in ("config", "plans", "expectations", "templates"):
        shutil.copytree(ROOT / part, proj / part)
    return proj


def session(url: str, login_id: str, password: str, timeout: float) -> tuple[httpx.Client, str]:
    c = httpx.Client(base_url=url, timeout=timeout, follow_redirects=False)
    page = c.get("/login")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"login_id": login_id, "password": password, "csrf_token": token})
    assert r.status_code == 303, r.status_code
    home = c.get(r.headers["location"], follow_redirects=True)
    return c, CSRF.search(home.text).group(1)  # type: ignore[union-attr]


def upload(c: httpx.Client, csrf: str, fy: int, code: str, path: Path) -> float:
    """One upload of the member's file (the same bytes each time: one archive entry); seconds to the result page."""
    data = path.read_bytes()
    started = time.perf_counter()
    r = c.post(f"/{fy}/members/{code}/upload", data={"csrf_token": csrf}, files={"file": (path.name, data, "text/csv")})
    took = time.perf_counter() - started
    assert r.status_code == 200 and "確認結果" in r.text, (r.status_code, r.text[:300])
    return took


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fiscal-year", type=int, default=2025)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--members", type=int, default=24)
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args()
    fy = args.fiscal_year
    tmp = Path(tempfile.mkdtemp(prefix="vision-report-bench-portal-"))
    try:
        proj = project(tmp)
        settings = load_settings(proj)
        config = portal_settings(settings)
        store = Store(database_url(settings, config))
        plan = load_plan(settings.plan_dir_for(fy))
        files = {p.name[:6]: p for p in sorted((ROOT / "inputs" / str(fy)).iterdir()) if p.suffix in (".csv", ".xlsx")}
        members = [m for m in plan.members(fy) if m.code in files][: args.members]
        for m in members:
            store.add(m.code, ROLE_MEMBER, m.code, m.name, f"bench-{m.code}")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings, config, store), host="127.0.0.1", port=port, log_level="warning")
        )
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"

        first = members[0]
        c, csrf = session(url, first.code, f"bench-{first.code}", args.timeout)
        warm = upload(c, csrf, fy, first.code, files[first.code])  # the portal warm: GX imported and built
        one = [upload(c, csrf, fy, first.code, files[first.code]) for _ in range(args.repeat)]

        clients = [session(url, m.code, f"bench-{m.code}", args.timeout) for m in members]
        times: list[float] = [0.0] * len(members)
        gate = threading.Barrier(len(members))

        def crowd(i: int) -> None:
            cl, token = clients[i]
            gate.wait()
            times[i] = upload(cl, token, fy, members[i].code, files[members[i].code])

        started = time.perf_counter()
        threads = [threading.Thread(target=crowd, args=(i,)) for i in range(len(members))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        server.should_exit = True

        print(f"first upload (warming): {warm:.2f} s")
        print(f"one member, {len(one)} uploads: median {statistics.median(one):.2f} s, p95 {p95(one):.2f} s")
        print(
            f"{len(members)} members at once: median {statistics.median(times):.2f} s, p95 {p95(times):.2f} s, "
            f"max {max(times):.2f} s, all done in {wall:.2f} s"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
