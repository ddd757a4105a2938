"""``make bench-cli``: the wall time of a CLI command, as a user waits for it.

Runs each command as a subprocess (``python -m clearance ...``, what the ``clearance``
script runs) on a warm demo store: the demo's home (``CLEARANCE_DEMO_HOME``, default
``.demo``), built by ``python -m clearance.demo`` when it does not exist yet. Each
command runs once untimed (it builds the screener cache), then ``--runs`` times; the
table gives the median, the fastest and the slowest wall time, and the time Python
takes to import the CLI alone (``python -c 'import clearance.cli.main'``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, data_dir, median, print_table

EXAMPLE = ROOT / "examples" / "po-2018-0142.yaml"
COMMANDS: list[tuple[str, list[str]]] = [
    ("clearance --help", ["--help"]),
    ("clearance lists show", ["lists", "show"]),
    ("clearance screen 'ZTE Corporation'", ["screen", "ZTE Corporation"]),
    ("clearance check examples/po-2018-0142.yaml", ["check", str(EXAMPLE)]),
]


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CLEARANCE_DATABASE_URL"}
    return {**env, "CLEARANCE_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}


def ensure_demo_store(home: Path) -> None:
    if (home / "clearance.db").exists():
        return
    print(f"building the demo store in {home} (python -m clearance.demo) ...")
    env = {**environment(home), "CLEARANCE_DEMO_HOME": str(home),
           "CLEARANCE_TEST_DATA": str(data_dir())}
    subprocess.run([sys.executable, "-m", "clearance.demo"], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def wall_times(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        out.append(time.perf_counter() - start)
        # check exits with its decision (30: prohibited); anything else is a failure.
        if done.returncode not in (0, 10, 20, 30):
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command")
    parser.add_argument("--home", type=Path, default=Path(
        os.environ.get("CLEARANCE_DEMO_HOME") or ROOT / ".demo"), help="the demo store's home")
    args = parser.parse_args()
    home = args.home.resolve()
    ensure_demo_store(home)
    env = environment(home)
    rows: list[list[object]] = []
    measured = [("import clearance.cli.main (no command)",
                 [sys.executable, "-c", "import clearance.cli.main"])]
    measured += [(label, [sys.executable, "-m", "clearance", *argv]) for label, argv in COMMANDS]
    for label, argv in measured:
        wall_times(argv, env, 1)  # warm: screener cache, numba cache, OS file cache
        times = wall_times(argv, env, args.runs)
        rows.append([label, median(times), min(times), max(times)])
    print_table(f"CLI wall time on the warm demo store {home}, seconds ({args.runs} runs)",
                ["command", "median", "min", "max"], rows)


if __name__ == "__main__":
    main()
