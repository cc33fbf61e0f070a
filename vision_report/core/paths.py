"""Where the project is: the folder holding config/vision-report.yaml (and templates/, plans/, inputs/ …)."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_RELPATH = Path("config") / "vision-report.yaml"
ENV_ROOT = "VISION_REPORT_HOME"


def find_root(start: Path | None = None) -> Path:
    """The project folder: $VISION_REPORT_HOME, else the nearest parent of ``start`` (or the cwd)
    holding config/vision-report.yaml, else the checkout this package was installed from."""
    env = os.environ.get(ENV_ROOT)
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for cand in (here, *here.parents):
        if (cand / CONFIG_RELPATH).is_file():
            return cand
    return Path(__file__).resolve().parents[2]
