"""Benchmark: `vision-report check` on one file in a fresh process, against its floor (issue 21).

    python bench/check_cold.py [--repeat 7] [--file tests/fixtures/submissions/good/434337_南阿蘇村_sjis.csv]

Each row is a whole new process, timed from outside (wall seconds, median of --repeat):
- python: the interpreter alone;
- imports: ``import pandas, great_expectations`` — what any validation with Great Expectations must load;
- floor: those imports, a GX context and one validation of a one-row DataFrame (the least a check with GX does);
- check: ``vision-report check FILE --fiscal-year 2024``.
The margin over the floor is what the project adds (reading, normalising, the plan, the suites, the messages).
Not a test: this machine is noisy, compare the rows of one run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from run import user_environ  # noqa: E402 - bench/run.py beside this script

BIN = Path(sys.executable).parent

FLOOR = """
import great_expectations as gx, pandas as pd
ctx = gx.get_context(mode="ephemeral")
ds = ctx.data_sources.add_pandas("p")
bd = ds.add_dataframe_asset("a").add_batch_definition_whole_dataframe("w")
suite = ctx.suites.add(gx.ExpectationSuite(name="s"))
suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="x"))
vd = ctx.validation_definitions.add(gx.ValidationDefinition(name="v", data=bd, suite=suite))
assert vd.run(batch_parameters={"dataframe": pd.DataFrame({"x": [1]})}).success
"""


# as a user's machine runs it: Python's bytecode cache written once and read afterwards
ENV = user_environ()


def wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--file", default="tests/fixtures/submissions/good/434337_南阿蘇村_sjis.csv")
    args = ap.parse_args()
    py = sys.executable
    cases = {
        "python": [py, "-c", "pass"],
        "imports": [py, "-c", "import pandas, great_expectations"],
        "floor": [py, "-c", FLOOR],
        "check": [str(BIN / "vision-report"), "check", args.file, "--fiscal-year", "2024"],
    }
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.repeat):  # interleaved, so that a busy moment hits every case alike
        for name, cmd in cases.items():
            times[name].append(wall(cmd))
    med = {k: statistics.median(v) for k, v in times.items()}
    print("| 対象 | 中央値 (s) | 各回 (s) |")
    print("|---|---:|---|")
    for k, v in times.items():
        print(f"| {k} | {med[k]:.2f} | {' / '.join(f'{x:.2f}' for x in v)} |")
    print(f"\ncheck − floor = {med['check'] - med['floor']:.2f} s; check / floor = {med['check'] / med['floor']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
