"""An uploaded file: checked for size and type, placed in inputs/<FY>/ under a name the portal chooses, then taken
through the one path every received file takes (``watch.check_file``: archive by hash, screen, feedback, audit).

The name the browser sends is only recorded (cleaned) in the audit log; it never chooses where the file is stored.
Uploads of one member are serialised (a lock file per member and year), so two at once both land, one after the
other, and the newer one is the member's current file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import threading
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from vision_report.core import audit
from vision_report.core.config import Settings
from vision_report.operations.watch import CheckResult, check_file
from vision_report.plan import Plan
from vision_report.portal.settings import PortalSettings

TYPES = (".csv", ".xlsx")


class UploadRefused(Exception):
    """The upload is not taken (nothing is placed); ``key`` names the message in templates/portal/messages.yaml."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class UploadOutcome:
    result: CheckResult
    stored_as: str  # the file name in inputs/<FY>/
    locked: bool  # the year was locked: the file is kept and listed after_lock, the published outputs unchanged
    running: bool  # a run of the year was going on: the file is taken by the next run


def clean_name(name: str) -> str:
    """The browser's file name for the audit log: its last path part, control characters removed, at most 120."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name.strip()[:120]


def sniff(data: bytes, claimed_name: str, portal: PortalSettings) -> str:
    """The file's type (".csv" or ".xlsx") from its content, checked against the name's suffix; UploadRefused else."""
    if not data:
        raise UploadRefused("upload_empty")
    suffix = Path(unicodedata.normalize("NFKC", clean_name(claimed_name)).lower()).suffix
    if suffix not in TYPES:
        raise UploadRefused("upload_type", suffix=suffix or "-")
    is_zip = data[:4] == b"PK\x03\x04"
    if suffix == ".xlsx":
        if not is_zip:
            raise UploadRefused("upload_not_xlsx")
        _check_xlsx(data, portal)
        return ".xlsx"
    head = data[:65536]
    if is_zip or data[:2] == b"MZ" or b"\x00" in head or data[:4] == b"\xd0\xcf\x11\xe0":
        raise UploadRefused("upload_not_csv")
    return ".csv"


def _check_xlsx(data: bytes, portal: PortalSettings) -> None:
    """A zip holding a workbook, whose parts inflate to a sane size (a zip bomb is refused without inflating it)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            total = sum(i.file_size for i in infos)
            packed = sum(max(i.compress_size, 1) for i in infos)
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UploadRefused("upload_not_xlsx") from None
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/workbook") for n in names):
        raise UploadRefused("upload_not_xlsx")
    if total > portal.max_xlsx_uncompressed_bytes or total > packed * portal.max_xlsx_ratio or len(infos) > 10_000:
        raise UploadRefused("upload_zip_bomb", size=f"{total:,}")


_THREAD_LOCKS: dict[tuple[int, str], threading.Lock] = {}
_GUARD = threading.Lock()


@contextlib.contextmanager
def member_lock(archive: Path, fiscal_year: int, code: str):
    """One upload of a member and year at a time, across threads and processes (an OS file lock)."""
    with _GUARD:
        tlock = _THREAD_LOCKS.setdefault((fiscal_year, code), threading.Lock())
    with tlock:
        folder = archive / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / f"portal-{fiscal_year}-{code}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def run_in_progress(archive: Path, fiscal_year: int) -> bool:
    """Whether a run of the year is going on: its run_started has no end yet and the process holding the year's
    run lock is alive (read only: the portal never takes the run lock, so it cannot make a run fail to start)."""
    if not audit.unfinished_runs(archive, fiscal_year):
        return False
    try:
        pid = int((archive / "locks" / f"{fiscal_year}.run").read_text().strip() or "0")
        if pid <= 0:
            return False
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def stored_name(code: str, member_name: str, data: bytes, suffix: str) -> str:
    """<code>_<member>_web_<JST time>_<hash>: the code first, as `run` reads it; unique per content and time."""
    stamp = datetime.now(ZoneInfo("Asia/Tokyo")).strftime("%Y%m%d-%H%M%S")
    return f"{code}_{member_name}_web_{stamp}_{hashlib.sha256(data).hexdigest()[:8]}{suffix}"


def receive_upload(
    settings: Settings,
    plan: Plan,
    portal: PortalSettings,
    fiscal_year: int,
    code: str,
    data: bytes,
    claimed_name: str,
    login_id: str,
) -> UploadOutcome:
    """Check, place and screen one upload of member ``code`` (the caller has checked the account may do so)."""
    suffix = sniff(data, claimed_name, portal)
    archive = settings.archive
    folder = settings.inputs / str(fiscal_year)
    folder.mkdir(parents=True, exist_ok=True)
    with member_lock(archive, fiscal_year, code):
        name = stored_name(code, plan.municipality(code).name, data, suffix)
        target = folder / name
        tmp = folder / f".portal-{os.getpid()}-{threading.get_ident()}.tmp"  # hidden: run and watch skip it
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        locked = audit.year_lock(archive, fiscal_year) is not None
        running = run_in_progress(archive, fiscal_year)
        details = {"account": login_id, "original_name": clean_name(claimed_name)}
        result = check_file(
            settings,
            plan,
            fiscal_year,
            target,
            settings.outputs,
            archive,
            via="portal",
            audit_details=details,
        )
    return UploadOutcome(result, name, locked, running)
