"""Workbooks (.xlsx) whose bytes depend only on their content: fixed document times and zip entry times.

openpyxl stamps the save time into docProps/core.xml and every zip entry, so the same workbook saved twice gives two
different files. The submission templates (`vision-report templates`) and the plan workbook (`vision-report plan
export`) are saved through ``workbook_bytes``: the same plan and configuration give the same file.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from typing import Any

FIXED_TIME = datetime(2024, 4, 1, 0, 0, 0)  # workbook created/modified and zip entry times: same input, same bytes
_ZIP_TIME = (2024, 4, 1, 0, 0, 0)


def stable_zip(data: bytes) -> bytes:
    """Rewrite an .xlsx (a zip) with fixed entry times so the same content gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here whatever we set
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\g<2>", content
                )
            dst.writestr(fixed, content)
    return out.getvalue()


def workbook_bytes(wb: Any) -> bytes:
    """An openpyxl Workbook saved with fixed times and author (``vision-report``)."""
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "vision-report"
    wb.properties.lastModifiedBy = "vision-report"
    buf = io.BytesIO()
    wb.save(buf)
    return stable_zip(buf.getvalue())
