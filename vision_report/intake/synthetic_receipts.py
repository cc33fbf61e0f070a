"""Receipt times of the bundled SYNTHETIC samples (issue 18 item 5).

A file's receipt time is its modification time. After a fresh clone every sample file has the clone's time, so every
member of the samples would be 期限後 (late). tools/make_samples.py therefore writes, beside the samples of each
year, a hidden manifest ``inputs/<FY>/.synthetic_receipts.json`` (a dot file: never listed or taken as a submission)
holding, per sample file, its sha256 and a synthetic receipt time, marked 合成データ. :func:`apply` gives a file that
time only when its content is exactly the generated one (same sha256): a real submission, or a sample someone
edited, keeps its own modification time. Nothing here is used for real data unless a manifest is put there by hand.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from vision_report.intake.files import Received

MANIFEST_NAME = ".synthetic_receipts.json"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest_bytes(note: str, entries: dict[str, tuple[str, datetime]]) -> bytes:
    """The manifest for one year's folder: ``note`` (says 合成データ) and per file name its sha256 and receipt time
    (ISO 8601 with offset), sorted by name: the same samples give the same bytes."""
    doc = {
        "note": note,
        "files": {
            name: {"sha256": sha, "received_at": when.isoformat(timespec="seconds")}
            for name, (sha, when) in sorted(entries.items())
        },
    }
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def load(folder: Path) -> dict[str, tuple[str, float]]:
    """name -> (sha256, POSIX time) from ``folder``'s manifest; {} without one or when it cannot be read (a broken
    manifest only means the files keep their own times)."""
    path = folder / MANIFEST_NAME
    if not path.is_file() or path.is_symlink():
        return {}
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
        return {
            str(name): (str(e["sha256"]), datetime.fromisoformat(str(e["received_at"])).timestamp())
            for name, e in files.items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def apply(received: list[Received], folder: Path) -> list[str]:
    """Give each received file listed in ``folder``'s manifest, whose content has the listed sha256, the synthetic
    receipt time (in place); returns the names changed. A file still being written cannot have the generated
    content's hash, so such a file is complete and is no longer pending."""
    from vision_report.core.vocabulary import Status

    listed = load(folder)
    changed = []
    for rec in received:
        entry = listed.get(rec.name)
        if entry is None or rec.is_symlink or not rec.path.is_file():
            continue
        sha, when = entry
        if file_sha256(rec.path) != sha:
            continue
        rec.mtime = when
        if rec.status == Status.PENDING:
            rec.status = ""
        changed.append(rec.name)
    return changed
