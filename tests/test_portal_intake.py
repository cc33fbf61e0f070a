"""An upload through the portal and the same file dropped into inputs/<FY>/ take one path (issue 19 item 2): the
same archive entry, status and feedback, and the next `run` sees the upload like a dropped file."""

from __future__ import annotations

import hashlib
import json
import re
import time

from portal_helpers import FIX, FY, VICTIM, add_accounts, login, make_project
from starlette.testclient import TestClient

from vision_report.core import audit
from vision_report.core.config import load_settings
from vision_report.operations.watch import check_one
from vision_report.plan import load_plan
from vision_report.portal.app import create_app
from vision_report.portal.settings import database_url, portal_settings
from vision_report.portal.store import Store
from vision_report.screening.screen import collect

RECEIVED_AT = re.compile(r"^受付日時: .*$", re.MULTILINE)


def test_an_upload_and_a_dropped_file_give_the_same_archive_entry_status_and_feedback(tmp_path):
    data = (FIX / "bad" / "434337_warn_magnitude.csv").read_bytes()  # accepted with a held value: every part shows
    digest = hashlib.sha256(data).hexdigest()

    web = make_project(tmp_path / "web")
    settings = load_settings(web)
    config = portal_settings(settings)
    store = Store(database_url(settings, config))
    add_accounts(store)
    c = TestClient(create_app(settings, config, store), follow_redirects=False)
    csrf = login(c, "minamiaso")
    r = c.post(
        f"/{FY}/members/{VICTIM}/upload",
        data={"csrf_token": csrf},
        files={"file": ("南阿蘇村.csv", data, "text/csv")},
    )
    assert r.status_code == 200
    (placed,) = [p for p in (web / "inputs" / str(FY)).iterdir() if not p.name.startswith(".")]

    drop = make_project(tmp_path / "drop")
    dropped = drop / "inputs" / str(FY) / placed.name  # the name the portal chose, so that the texts can agree
    dropped.write_bytes(data)
    dsettings = load_settings(drop)
    status = check_one(
        dsettings, load_plan(dsettings.plan_dir_for(FY)), FY, dropped, dsettings.outputs, dsettings.archive
    )

    for proj in (web, drop):  # the same archive entry: the bytes under their hash, and the receipt
        entry = proj / "archive" / str(FY) / f"{digest}.csv"
        assert entry.read_bytes() == data
        receipt = json.loads((proj / "archive" / str(FY) / f"{digest}.json").read_text(encoding="utf-8"))
        assert receipt["file"] == placed.name and receipt["municipality_code"] == VICTIM
    web_log = {e["event"]: e for e in audit.read_log(web / "archive") if e["event"].startswith("file_")}
    drop_log = {e["event"]: e for e in audit.read_log(drop / "archive") if e["event"].startswith("file_")}
    assert web_log["file_checked"]["status"] == drop_log["file_checked"]["status"] == status == "accepted_with_warnings"
    assert web_log["file_received"]["sha256"] == drop_log["file_received"]["sha256"] == digest
    assert (web_log["file_checked"]["via"], drop_log["file_checked"]["via"]) == ("portal", "watch")

    name = f"{VICTIM}_南阿蘇村.txt"
    web_fb = (web / "outputs" / str(FY) / "feedback" / name).read_text(encoding="utf-8-sig")
    drop_fb = (drop / "outputs" / str(FY) / "feedback" / name).read_text(encoding="utf-8-sig")
    assert RECEIVED_AT.sub("", web_fb) == RECEIVED_AT.sub("", drop_fb)  # only the time of receipt differs
    assert "要確認" in web_fb and "受理（警告あり）" in web_fb
    page = (
        r.text.replace("&#34;", '"')
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
    )
    assert web_fb.strip() in page  # the page shows the feedback file's text itself

    received = collect(
        settings, load_plan(settings.plan_dir_for(FY)), FY, settings.inputs, None, now=time.time() + 3600
    )  # settled
    assert [(r.name, r.municipality_code, r.status) for r in received] == [(placed.name, VICTIM, "")]  # run sees it
