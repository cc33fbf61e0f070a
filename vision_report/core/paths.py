"""Where the project is: the folder holding config/vision-report.yaml (and templates/, plans/, inputs/ …)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

CONFIG_RELPATH = Path("config") / "vision-report.yaml"
ENV_ROOT = "VISION_REPORT_HOME"


def find_root(start: Path | None = None) -> Path:
    """The project folder: $VISION_REPORT_HOME, else the nearest parent of ``start`` (or the cwd)
    holding config/vision-report.yaml, else the checkout this package was installed from."""
    env = os.environ.get(ENV_ROOT)
    if env:
        return _resolved(env) if os.path.isabs(env) else Path(env).resolve()  # a relative one depends on the cwd
    here = (start or Path.cwd()).resolve()
    for cand in (here, *here.parents):
        if (cand / CONFIG_RELPATH).is_file():
            return cand
    return Path(__file__).resolve().parents[2]


@lru_cache(maxsize=8)
def _resolved(path: str) -> Path:
    """$VISION_REPORT_HOME as an absolute path without links, found once per value: the words of every message
    are looked up through it (vocabulary.labels), thousands of times in a year of 1,741 files, and resolving a
    path asks the file system for each of its folders. A link in it repointed while a process runs (a portal
    started on /srv/vr/current) is followed when the process starts again, as the code it runs is."""
    return Path(path).resolve()
