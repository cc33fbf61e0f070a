"""The portal under attack (issue 19 item 4 and 5): every route as another member, as nobody, with a stale or expired
session and as a disabled account; forms without their CSRF token; oversize, empty, mistyped, zip-bomb and hostile
uploads; login throttling and lock. Each refused request must also leave everything as it was."""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
import time
import zipfile
from pathlib import Path

import pytest
from portal_helpers import FIX, FY, PASSWORDS, VICTIM, add_accounts, csrf_of, login, make_project
from starlette.testclient import TestClient

from vision_report.core import audit
from vision_report.core.config import load_settings
from vision_report.portal.app import create_app
from vision_report.portal.settings import database_url, portal_settings
from vision_report.portal.store import Store
from vision_report.portal.web import SESSION_COOKIE

LIMIT = 200_000
GOOD = FIX / "good" / "434337_南阿蘇村.csv"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One project (upload limit 200 kB, lock after 4 failures) with a held value, a feedback, a municipality report
    and outputs of FY2024 in place, and the four accounts of portal_helpers."""
    tmp = tmp_path_factory.mktemp("portal")
    proj = make_project(tmp, max_upload_bytes=LIMIT, login_slowdown_after=2, login_lock_after=4)
    held = proj / "inputs" / str(FY) / f"{VICTIM}_南阿蘇村.csv"
    held.write_bytes((FIX / "bad" / "434337_warn_magnitude.csv").read_bytes())
    os.utime(held, (time.time() - 3600, time.time() - 3600))  # received an hour ago: settled
    out = proj / "outputs" / str(FY)
    (out / "feedback").mkdir(parents=True)
    (out / "feedback" / f"{VICTIM}_南阿蘇村.txt").write_text("結果: 受理\n", encoding="utf-8")
    (out / "municipalities").mkdir()
    (out / "municipalities" / f"{VICTIM}_南阿蘇村.docx").write_bytes(b"PK-docx")
    (out / "submissions.csv").write_text("municipality_code\n", encoding="utf-8")
    settings = load_settings(proj)
    config = portal_settings(settings)
    store = Store(database_url(settings, config))
    add_accounts(store)
    store.disable("gone")
    return {"proj": proj, "settings": settings, "store": store, "app": create_app(settings, config, store)}


def snapshot(proj: Path) -> dict:
    """Everything a request could change: files under inputs/, confirmations/, the year locks, outputs, and the audit
    log without the login records."""
    files = {}
    for base in ("inputs", "confirmations", "outputs", "archive/locks"):
        folder = proj / base
        if folder.is_dir():
            for p in sorted(folder.rglob("*")):
                if p.is_file() and not p.name.endswith(".lock"):
                    files[str(p.relative_to(proj))] = hashlib.sha256(p.read_bytes()).hexdigest()
    events = [e for e in audit.read_log(proj / "archive") if not e["event"].startswith("portal_log")]
    return {"files": files, "events": events}


ROUTES = [
    ("GET", f"/{FY}", {}),
    ("GET", f"/{FY}/members/{VICTIM}", {}),
    ("POST", f"/{FY}/members/{VICTIM}/upload", {"file": True}),
    ("GET", f"/{FY}/members/{VICTIM}/template.csv", {}),
    ("GET", f"/{FY}/members/{VICTIM}/template.xlsx", {}),
    ("GET", f"/{FY}/members/{VICTIM}/feedback.txt", {}),
    ("GET", f"/{FY}/members/{VICTIM}/report.docx", {}),
    ("GET", f"/{FY}/outputs/submissions.csv", {}),
    ("GET", f"/{FY}/held/{VICTIM}/kpi/births", {}),
    ("POST", f"/{FY}/held/{VICTIM}/kpi/births", {"by": "x", "reason": "y"}),
    ("POST", f"/{FY}/lock", {"reason": "x"}),
    ("POST", f"/{FY}/unlock", {"reason": "x"}),
    ("POST", f"/{FY}/run/start", {}),
]
MEMBER_ROUTES = {f"/{FY}/members/{VICTIM}{tail}" for tail in ("", "/template.csv", "/template.xlsx", "/feedback.txt")}
ACTORS = ["other_member", "nobody", "stale_session", "expired_session", "disabled_account"]


def _client_as(world, actor: str) -> tuple[TestClient, str]:
    c = TestClient(world["app"], follow_redirects=False)
    store: Store = world["store"]
    if actor == "other_member":
        return c, login(c, "kumamoto")
    if actor == "stale_session":
        c.cookies.set(SESSION_COOKIE, "not-a-session-the-server-ever-gave")
        return c, "forged"
    if actor in ("expired_session", "disabled_account"):
        who = "minamiaso" if actor == "expired_session" else "gone"
        account = store.get(who)
        assert account is not None
        token, csrf = store.start_session(account)
        if actor == "expired_session":
            from sqlalchemy import update

            from vision_report.portal.store import sessions

            with store.engine.begin() as conn:  # idle for longer than session_idle_minutes
                conn.execute(update(sessions).values(last_seen=time.time() - 31 * 60))
        c.cookies.set(SESSION_COOKIE, token)
        return c, csrf
    return c, ""


def _send(c: TestClient, method: str, path: str, extra: dict, csrf: str):
    if method == "GET":
        return c.get(path)
    data = {k: v for k, v in extra.items() if k != "file"}
    if csrf:
        data["csrf_token"] = csrf
    files = {"file": ("434337_南阿蘇村.csv", GOOD.read_bytes(), "text/csv")} if extra.get("file") else None
    return c.post(path, data=data, files=files)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("method", "path", "extra"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_every_route_refuses_whoever_may_not_use_it_and_changes_nothing(world, actor, method, path, extra):
    if actor == "disabled_account":  # a disabled account cannot log in either, even with the right password
        c = TestClient(world["app"], follow_redirects=False)
        page = c.get("/login")
        r = c.post(
            "/login",
            data={"login_id": "gone", "password": PASSWORDS["gone"], "csrf_token": csrf_of(page.text)},
        )
        assert r.status_code == 401 and SESSION_COOKIE not in r.cookies
    c, csrf = _client_as(world, actor)
    before = snapshot(world["proj"])
    r = _send(c, method, path, extra, csrf)
    if actor == "other_member":
        assert r.status_code == 403, (r.status_code, r.text[:300])
        assert "権限がありません" in r.text
    elif method == "GET":
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    else:
        assert r.status_code == 401
    assert "Traceback" not in r.text
    assert snapshot(world["proj"]) == before


@pytest.mark.parametrize(("method", "path", "extra"), [r for r in ROUTES if r[0] == "GET"])
def test_the_rightful_users_get_the_pages(world, method, path, extra):
    """The same routes answer 200 to the coordinator, and a member's own pages to the member (the refusals above are
    not refusals of everyone)."""
    c = TestClient(world["app"], follow_redirects=False)
    login(c, "coord")
    assert c.get(path).status_code == 200
    if path in MEMBER_ROUTES:
        m = TestClient(world["app"], follow_redirects=False)
        login(m, "minamiaso")
        assert m.get(path).status_code == 200


def test_a_member_is_sent_to_its_own_page_and_an_unknown_member_or_year_is_404(world):
    c = TestClient(world["app"], follow_redirects=False)
    login(c, "coord")
    assert c.get(f"/{FY}/members/999999").status_code == 404
    assert c.get("/1999").status_code == 404
    assert c.get(f"/{FY}/members/{VICTIM}/../../etc/passwd").status_code in (403, 404)
    assert c.get(f"/{FY}/outputs/../../config/vision-report.yaml").status_code in (404, 405)  # normalised by httpx
    r = c.get(f"/{FY}/outputs/%2e%2e/%2e%2e/config/vision-report.yaml")
    assert r.status_code == 404 and "plans" not in r.text
    r = c.get("/no/such/page/here")
    assert r.status_code == 404 and "ページが見つかりません" in r.text
    m = TestClient(world["app"], follow_redirects=False)
    login(m, "minamiaso")
    assert m.get("/").headers["location"] == f"/{FY}/members/{VICTIM}"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (f"/{FY}/members/{VICTIM}/upload", {}),
        (f"/{FY}/lock", {"reason": "公表"}),
        (f"/{FY}/run/start", {}),
        (f"/{FY}/held/{VICTIM}/kpi/births", {"by": "企画課", "reason": "確認済み"}),
        ("/logout", {}),
    ],
)
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_a_form_without_its_csrf_token_is_refused_and_nothing_changes(world, path, data, token):
    c = TestClient(world["app"], follow_redirects=False)
    login(c, "coord" if "members" not in path else "minamiaso")
    before = snapshot(world["proj"])
    if token:
        data = {**data, "csrf_token": token}
    files = {"file": ("434337_南阿蘇村.csv", GOOD.read_bytes(), "text/csv")} if "upload" in path else None
    r = c.post(path, data=data, files=files)
    assert r.status_code == 403
    assert snapshot(world["proj"]) == before
    assert c.get("/", follow_redirects=False).status_code == 303  # still logged in (logout refused too)


def test_login_form_needs_its_csrf_token(world):
    c = TestClient(world["app"], follow_redirects=False)
    c.get("/login")
    r = c.post("/login", data={"login_id": "minamiaso", "password": PASSWORDS["minamiaso"], "csrf_token": "x"})
    assert r.status_code == 403 and SESSION_COOKIE not in r.cookies


def _upload(c: TestClient, csrf: str, name: str, data: bytes):
    return c.post(
        f"/{FY}/members/{VICTIM}/upload",
        data={"csrf_token": csrf},
        files={"file": (name, data, "application/octet-stream")},
    )


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * 60_000_000)  # 60 MB of zeros: ~60 kB packed
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "status", "words"),
    [
        ("434337_南阿蘇村.csv", b"", 400, "ファイルが空です"),
        ("setup.exe", b"MZ\x90\x00" + b"\0" * 100, 400, "CSV（.csv）または Excel（.xlsx）"),
        ("434337_南阿蘇村.csv", b"MZ\x90\x00" + b"\0" * 100, 400, "CSV（テキスト）ではありません"),
        ("434337_南阿蘇村.xlsx", b"just,text\n1,2\n", 400, "Excel ブック（.xlsx）として読めません"),
        ("434337_南阿蘇村.xlsx", None, 400, "展開すると大きすぎます"),
        ("434337_南阿蘇村.csv", b"a" * (LIMIT + 1), 413, "ファイルが大きすぎます"),
    ],
    ids=["empty", "exe", "exe_named_csv", "text_named_xlsx", "zip_bomb", "oversize"],
)
def test_bad_uploads_get_a_clear_page_and_nothing_is_placed(world, name, data, status, words):
    c = TestClient(world["app"], follow_redirects=False)
    csrf = login(c, "minamiaso")
    before = snapshot(world["proj"])
    r = _upload(c, csrf, name, _zip_bomb() if data is None else data)
    assert r.status_code == status
    assert words in r.text and "Traceback" not in r.text
    after = snapshot(world["proj"])
    assert after["files"] == before["files"]
    new = after["events"][len(before["events"]) :]
    assert [e["event"] for e in new] == ([] if status == 413 else ["portal_upload_refused"])


def test_a_body_announced_larger_than_the_limit_is_refused_before_it_is_read(world):
    c = TestClient(world["app"], follow_redirects=False)
    csrf = login(c, "minamiaso")
    chunks = [b"x" * 65536] * 8  # streamed: the server stops at the limit, not after reading it all
    sent = []

    def body():
        for ch in chunks:
            sent.append(len(ch))
            yield ch

    r = c.post(
        f"/{FY}/members/{VICTIM}/upload?csrf_token={csrf}",
        content=body(),
        headers={"content-type": "multipart/form-data; boundary=x", "content-length": str(10**9)},
    )
    assert r.status_code == 413 and "ファイルが大きすぎます" in r.text


def _raw_multipart(csrf: str, filename: bytes, data: bytes) -> tuple[bytes, str]:
    b = b"----vrboundary"
    body = (
        b"--" + b + b'\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + csrf.encode() + b"\r\n"
        b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + data + b"\r\n--" + b + b"--\r\n"
    )
    return body, "multipart/form-data; boundary=" + b.decode()


def test_a_hostile_file_name_never_chooses_where_the_file_goes_and_values_are_escaped(world):
    proj: Path = world["proj"]
    c = TestClient(world["app"], follow_redirects=False)
    csrf = login(c, "minamiaso")
    script = "<script>alert(1)</script>"
    text = GOOD.read_text(encoding="utf-8-sig").replace("\n", "\n", 1)
    lines = text.splitlines()
    header, first = lines[0], lines[1].split(",")
    first[3] = script  # the value column of the first data row: not a number, quoted back in the messages
    data = ("\n".join([header, ",".join(first), *lines[2:]]) + "\n").encode("utf-8")
    before = set((proj / "inputs" / str(FY)).iterdir())
    body, ctype = _raw_multipart(csrf, b"../../config/evil\x00.csv", data)
    r = c.post(f"/{FY}/members/{VICTIM}/upload", content=body, headers={"content-type": ctype})
    assert r.status_code == 200, r.text[:500]
    assert script not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "差戻し" in r.text
    new = set((proj / "inputs" / str(FY)).iterdir()) - before
    assert len(new) == 1
    (placed,) = new
    assert placed.name.startswith(f"{VICTIM}_南阿蘇村_web_") and placed.suffix == ".csv"
    assert not (proj / "config" / "evil.csv").exists() and not list(proj.rglob("evil*"))
    received = [e for e in audit.read_log(proj / "archive") if e["event"] == "file_received"][-1]
    assert received["file"] == placed.name and received["via"] == "portal" and received["account"] == "minamiaso"
    assert received["original_name"] == "evil.csv"  # the last path part, the NUL removed: recorded, never used


def test_login_slows_down_then_locks_and_the_audit_never_holds_a_password(world):
    store: Store = world["store"]
    c = TestClient(world["app"], follow_redirects=False)
    delays = []
    for _ in range(3):
        delays.append(
            store.login("kumamoto", "wrong", slowdown_after=2, delay_seconds=1.0, lock_after=4, lock_minutes=15).delay
        )
    assert delays == [0.0, 1.0, 2.0]  # the third failure in a row already waits, then doubles
    page = c.get("/login")
    r = c.post("/login", data={"login_id": "kumamoto", "password": "wrong", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 401 and "まで使えません" in r.text  # the fourth failure locks the account
    page = c.get("/login")
    r = c.post(
        "/login", data={"login_id": "kumamoto", "password": PASSWORDS["kumamoto"], "csrf_token": csrf_of(page.text)}
    )
    assert r.status_code == 401 and SESSION_COOKIE not in r.cookies  # locked: even the right password is refused
    log = (world["proj"] / "archive" / "audit.jsonl").read_text(encoding="utf-8")
    assert '"reason": "locked"' in log
    assert all(p not in log for p in PASSWORDS.values()) and "wrong" not in log
    assert all(p not in json.dumps([a.__dict__ for a in store.all_accounts()]) for p in PASSWORDS.values())
    store.reset("kumamoto", PASSWORDS["kumamoto"])  # the coordinator's reset lifts the lock
    assert login(c, "kumamoto")


def test_cookies_are_httponly_samesite_and_secure_when_configured(tmp_path):
    proj = make_project(tmp_path, secure_cookies=True)
    settings = load_settings(proj)
    config = portal_settings(settings)
    store = Store(database_url(settings, config))
    add_accounts(store)
    c = TestClient(create_app(settings, config, store), base_url="https://testserver", follow_redirects=False)
    page = c.get("/login")
    r = c.post(
        "/login", data={"login_id": "minamiaso", "password": PASSWORDS["minamiaso"], "csrf_token": csrf_of(page.text)}
    )
    cookie = r.headers["set-cookie"]
    assert "vr_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    assert config.host == "127.0.0.1" and r.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in r.headers["content-security-policy"]
    stored = store.engine.connect().exec_driver_sql("select id_hash from portal_sessions").scalars().all()
    token = c.cookies.get("vr_session")
    assert token not in stored and hashlib.sha256(token.encode()).hexdigest() in stored  # only the hash is kept


def test_healthz_and_a_failing_page_shows_no_traceback(world, monkeypatch):
    app = world["app"]
    c = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    assert c.get("/healthz").status_code == 200
    login(c, "coord")

    def broken(fy):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(app.state.portal, "state", broken)
    r = c.get(f"/{FY}")
    assert r.status_code == 500 and "処理中に問題が起きました" in r.text
    assert "Traceback" not in r.text and "secret detail" not in r.text


def test_two_uploads_of_one_member_at_once_both_land(world):
    proj: Path = world["proj"]
    c = TestClient(world["app"], follow_redirects=False)
    csrf = login(c, "minamiaso")
    before = set((proj / "inputs" / str(FY)).iterdir())
    base = GOOD.read_bytes()
    results = []

    def send(i: int):
        results.append(_upload(c, csrf, "434337.csv", base + f"# {i}\n".encode()).status_code)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200, 200]
    new = set((proj / "inputs" / str(FY)).iterdir()) - before
    assert len(new) == 2
    hashes = {hashlib.sha256(p.read_bytes()).hexdigest() for p in new}
    archived = {p.stem for p in (proj / "archive" / str(FY)).glob("*.csv")}
    assert hashes <= archived  # both archived by hash: nothing lost


def test_upload_after_the_lock_and_during_a_run_is_kept_and_said(world):
    proj: Path = world["proj"]
    archive = proj / "archive"
    c = TestClient(world["app"], follow_redirects=False)
    csrf = login(c, "minamiaso")
    audit.lock_year(archive, FY, "公表")
    audit.record(archive, "run_started", fiscal_year=FY, run_id="test-run")
    (archive / "locks" / f"{FY}.run").write_text(f"{__import__('os').getpid()}\n")
    try:
        r = _upload(c, csrf, "434337.csv", GOOD.read_bytes() + b"# locked\n")
        assert r.status_code == 200
        assert "確定（ロック）されています" in r.text and "ロック後に届いたファイル" in r.text
        assert "集計を実行中に受け付けました" in r.text
    finally:
        audit.record(archive, "run_finished", fiscal_year=FY, run_id="test-run")
        audit.unlock_year(archive, FY, "test")
    digest = hashlib.sha256(GOOD.read_bytes() + b"# locked\n").hexdigest()
    assert (archive / str(FY) / f"{digest}.csv").exists()
    assert any(p.read_bytes().endswith(b"# locked\n") for p in (proj / "inputs" / str(FY)).iterdir())


def test_the_coordinator_locks_unlocks_starts_a_run_and_confirms_with_the_account_recorded(world, monkeypatch):
    import vision_report.portal.office_pages as portal_app

    proj: Path = world["proj"]
    archive = proj / "archive"
    c = TestClient(world["app"], follow_redirects=False)
    csrf = login(c, "coord")

    assert c.post(f"/{FY}/lock", data={"csrf_token": csrf, "reason": "報告書を公表"}).status_code == 303
    assert audit.year_lock(archive, FY)["reason"] == "報告書を公表"
    assert "ロックを解除する" in c.get(f"/{FY}").text
    assert c.post(f"/{FY}/unlock", data={"csrf_token": csrf, "reason": "差替え"}).status_code == 303
    assert audit.year_lock(archive, FY) is None

    started = []

    class FakePopen:  # records the command instead of running a whole yearly run inside the test
        def __init__(self, args, **kwargs):
            started.append(args)

        def poll(self):
            return None

    monkeypatch.setattr(portal_app.subprocess, "Popen", FakePopen)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert c.post(f"/{FY}/run/start", data={"csrf_token": csrf}).status_code == 303
    assert c.post(f"/{FY}/run/start", data={"csrf_token": csrf}).status_code == 303  # running: not started twice
    assert len(started) == 1 and started[0][-3:] == ["run", "--fiscal-year", str(FY)]
    assert "集計を実行中です" in c.get(f"/{FY}").text
    world["app"].state.portal.runs.clear()

    held = proj / "inputs" / str(FY) / f"{VICTIM}_南阿蘇村.csv"
    now = time.time()
    for other in held.parent.glob(f"{VICTIM}_*"):  # the held file newest again (earlier tests uploaded others,
        os.utime(other, (now - 60, now - 60))  # perhaps less than 3 seconds ago)
    os.utime(held, (now - 3, now - 3))
    r = c.post(f"/{FY}/held/{VICTIM}/kpi/births", data={"csrf_token": csrf, "by": "", "reason": ""})
    assert r.status_code == 400 and "確認者と理由の両方" in r.text
    r = c.post(
        f"/{FY}/held/{VICTIM}/kpi/births",
        data={"csrf_token": csrf, "by": "企画課 山田", "reason": "南阿蘇村に確認した"},
    )
    assert r.status_code == 303
    conf = (proj / "confirmations" / f"{FY}.csv").read_text(encoding="utf-8-sig").splitlines()
    assert conf[0] == "市町村コード,区分,ID,実績値,確認者,確認日,理由"  # the file `vision-report confirm` writes
    assert conf[1].startswith(f'{VICTIM},KPI,births,"61,000",企画課 山田,') and conf[1].endswith(",南阿蘇村に確認した")
    events = {e["event"]: e for e in audit.read_log(archive)}
    assert events["portal_lock"]["account"] == events["portal_unlock"]["account"] == "coord"
    assert events["portal_run_requested"]["via"] == "process"
    assert events["confirmation"]["account"] == "coord" and events["confirmation"]["confirmed_by"] == "企画課 山田"
