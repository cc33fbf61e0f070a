"""PDF copies of the Word reports, made by LibreOffice headless, with the table of contents' page numbers.

``soffice --convert-to pdf`` leaves a TOC field as the .docx shows it (headings without page numbers: Word fills
them in on opening). So the conversion runs a small LibreOffice Basic macro instead (Basic is part of every
LibreOffice, no python3-uno needed) that loads each document, updates its indexes (twice: the first update may
move what follows the TOC) and exports the PDF. One soffice process converts all files of a run (starting
LibreOffice costs more than converting a short document), with a profile of its own in a temporary folder (a
LibreOffice already running with the default profile would take the job and write nothing) and a time limit after
which the whole process group is killed.

The PDF is the same bytes for the same .docx: LibreOffice stamps the export time (/CreationDate) and a random
/ID and /DocChecksum; the date becomes the document's own creation date (the report's issue date, docProps/core.xml)
and the ID and checksum a hash of the rest of the file, each in place with the same length (the cross-reference
table's offsets stay right). Files are written atomically next to the .docx; a conversion that fails or runs out of
time leaves no PDF.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from vision_report.core.atomic import write_bytes
from vision_report.core.vocabulary import labels

MODULE = "VisionReportPdf"
# Loads <dir>/<i>.docx for i in 0..n-1, updates every index (TOC) twice, stores <dir>/<i>.pdf. A document that
# fails is skipped (no PDF; the caller names it); an error never opens a dialog (headless would wait forever).
MACRO = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="{MODULE}" script:language="StarBasic">
Sub ExportAll(dirUrl As String, n As Integer)
  Dim i As Integer
  For i = 0 To n - 1
    ExportOne(dirUrl, i)
  Next i
End Sub

Sub ExportOne(dirUrl As String, i As Integer)
  Dim args(0) As New com.sun.star.beans.PropertyValue
  Dim f(0) As New com.sun.star.beans.PropertyValue
  Dim doc As Object
  Dim idx As Object
  Dim j As Integer, k As Integer
  On Error GoTo Failed
  args(0).Name = "Hidden"
  args(0).Value = True
  f(0).Name = "FilterName"
  f(0).Value = "writer_pdf_Export"
  doc = StarDesktop.loadComponentFromURL(dirUrl &amp; i &amp; ".docx", "_blank", 0, args())
  idx = doc.getDocumentIndexes()
  For k = 1 To 2
    For j = 0 To idx.getCount() - 1
      idx.getByIndex(j).update()
    Next j
  Next k
  doc.storeToURL(dirUrl &amp; i &amp; ".pdf", f())
  doc.close(True)
  Exit Sub
Failed:
  On Error Resume Next
  If Not IsNull(doc) Then doc.close(True)
End Sub
</script:module>
"""
LIBRARY = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE library:library PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "library.dtd">
<library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard" \
library:readonly="false" library:passwordprotected="false">
 <library:element library:name="{MODULE}"/>
</library:library>
"""


class ConversionTimeout(Exception):
    pass


@dataclass(frozen=True)
class PdfResult:
    written: list[Path]
    failed: list[Path]  # the .docx files that got no PDF
    timed_out: bool = False


def find_soffice(command: str) -> str | None:
    """The LibreOffice program to run (a name on PATH or a path), or None when it is not there."""
    return shutil.which(command)


def message(key: str, **values: object) -> str:
    """A line of templates/labels.yaml ``pdf:`` filled in (a project whose labels.yaml predates ``pdf:`` gets the
    lines of this checkout's)."""
    lines = labels().get("pdf") or labels(Path(__file__).resolve().parents[3]).get("pdf") or {}
    return str(lines[key]).format(**values)


def _run(cmd: list[str], deadline: float, env: dict[str, str]) -> None:
    """Run ``cmd`` in a process group of its own; past ``deadline`` the whole group is killed (LibreOffice's
    launcher does not pass a SIGTERM on to the office process) and ConversionTimeout raised."""
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        start_new_session=True,
    )  # fmt: skip
    try:
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise ConversionTimeout from None
    except BaseException:
        _kill_group(proc)
        raise
    _kill_group(proc)  # anything the launcher left behind in its group


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _prepare_profile(soffice: str, profile: Path, deadline: float, env: dict[str, str]) -> str:
    """A fresh LibreOffice profile holding the macro; returns its -env:UserInstallation argument."""
    arg = f"-env:UserInstallation={profile.as_uri()}"
    # LibreOffice fills a new profile on its first start (and would overwrite a Basic library put there before)
    _run([soffice, arg, "--headless", "--norestore", "--terminate_after_init"], deadline, env)
    library = profile / "user" / "basic" / "Standard"
    library.mkdir(parents=True, exist_ok=True)
    (library / f"{MODULE}.xba").write_text(MACRO, encoding="utf-8")
    (library / "script.xlb").write_text(LIBRARY, encoding="utf-8")
    basic = profile / "user" / "basic"
    if not (basic / "script.xlc").exists():
        (basic / "script.xlc").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE library:libraries PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "libraries.dtd">\n'
            '<library:libraries xmlns:library="http://openoffice.org/2000/library" '
            'xmlns:xlink="http://www.w3.org/1999/xlink">\n'
            ' <library:library library:name="Standard" library:link="false"/>\n'
            "</library:libraries>\n",
            encoding="utf-8",
        )
    return arg


def convert(pairs: list[tuple[Path, Path]], *, soffice: str, timeout: float) -> PdfResult:
    """Convert each (docx, pdf) pair with one LibreOffice process; all within ``timeout`` seconds."""
    if not pairs:
        return PdfResult([], [])
    deadline = time.monotonic() + timeout
    env = {**os.environ, "TZ": "UTC", "LC_ALL": "C.UTF-8"}
    with tempfile.TemporaryDirectory(prefix="vision-report-pdf-") as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        for i, (docx, _) in enumerate(pairs):  # plain names: the macro's URL needs no escaping
            shutil.copyfile(docx, work / f"{i}.docx")
        try:
            profile = _prepare_profile(soffice, Path(tmp) / "profile", deadline, env)
            call = f'macro:///Standard.{MODULE}.ExportAll("{work.as_uri()}/",{len(pairs)})'
            _run([soffice, profile, "--headless", "--norestore", call], deadline, env)
        except ConversionTimeout:
            return PdfResult([], [docx for docx, _ in pairs], timed_out=True)
        except OSError:
            return PdfResult([], [docx for docx, _ in pairs])
        written, failed = [], []
        for i, (docx, pdf) in enumerate(pairs):
            made = work / f"{i}.pdf"
            if not made.is_file() or not made.read_bytes().startswith(b"%PDF"):
                failed.append(docx)
                continue
            write_bytes(pdf, stable_pdf(made.read_bytes(), issued_stamp(docx)))
            written.append(pdf)
        return PdfResult(written, failed)


_ID = re.compile(rb"(/ID\s*\[\s*<)([0-9A-Fa-f]{32})(>\s*<)([0-9A-Fa-f]{32})(>)")
_CHECKSUM = re.compile(rb"(/DocChecksum\s*/)([0-9A-Fa-f]{32})")
_DATE = re.compile(rb"(/(?:CreationDate|ModDate)\s*\(D:)(\d{14})")
_CREATED = re.compile(r"<dcterms:created[^>]*>(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)")


def issued_stamp(docx: Path) -> bytes:
    """The .docx's creation date (the report's issue date, see docxutil.set_properties) as PDF date digits."""
    try:
        with zipfile.ZipFile(docx) as z:
            core = z.read("docProps/core.xml").decode("utf-8")
    except (OSError, KeyError, zipfile.BadZipFile):
        core = ""
    m = _CREATED.search(core)
    return "".join(m.groups()).encode() if m else b"19800101000000"


def stable_pdf(data: bytes, stamp: bytes) -> bytes:
    """``data`` with LibreOffice's export time replaced by ``stamp`` and its random /ID and /DocChecksum by a hash
    of the rest; every replacement has the length of what it replaces."""
    data = _DATE.sub(lambda m: m.group(1) + stamp, data)
    zero = b"0" * 32
    data = _ID.sub(lambda m: m.group(1) + zero + m.group(3) + zero + m.group(5), data)
    data = _CHECKSUM.sub(lambda m: m.group(1) + zero, data)
    digest = hashlib.md5(data, usedforsecurity=False).hexdigest().upper().encode()
    data = _ID.sub(lambda m: m.group(1) + digest + m.group(3) + digest + m.group(5), data)
    return _CHECKSUM.sub(lambda m: m.group(1) + digest, data)


def write_pdfs(pairs: list[tuple[Path, Path]], *, enabled: bool, soffice: str, timeout: float) -> list[Path]:
    """The PDFs of ``pairs`` (docx, pdf), or none; says in one line (templates/labels.yaml ``pdf:``) why a PDF was
    not made. Never fails the run: the Word reports are the outputs that must be there."""
    if not enabled or not pairs:
        return []
    program = find_soffice(soffice)
    if program is None:
        print(message("no_libreoffice", command=soffice), flush=True)
        return []
    result = convert(pairs, soffice=program, timeout=timeout)
    if result.failed:
        names = "、".join(p.name for p in result.failed)
        key = "timeout" if result.timed_out else "failed"
        print(message(key, files=names, seconds=int(timeout)), flush=True)
    return result.written
