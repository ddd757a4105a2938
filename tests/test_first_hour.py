"""A newcomer's first hour: the README's commands, in order, in a fresh home, as typed.

The commands are read from the README's "Your first hour" block, so the README and
this test cannot drift apart: a command added there without an expectation here fails.
``make demo`` runs the demo module with its home in the fresh folder, and ``make shell``
does what the Makefile's shell does for the commands after it (``CLEARANCE_HOME`` is
the demo's home); every ``clearance`` command is a subprocess of the real CLI.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

# For each command of the README block: its exit code and what its output must hold.
EXPECTED: dict[str, tuple[int, list[str]]] = {
    "make demo": (0, ["its own home", "Screening examples", "ALERT", "zte_history"]),
    "make shell": (0, []),
    'clearance screen "ZTE Corporation" --as-of 2018-05-01': (
        0, ["Zhongxing Telecommunications Equipment Corporation", "DPL"]),
    'clearance screen "ZTE Corporation" --as-of 2018-08-01': (
        0, ["none in force", "DPL suspended"]),
    'clearance lists history "ZTE Corporation"': (
        0, ["81 FR 12004", "2018-04-15", "2018-07-13", "suspension ends", "us_fcc_covered"]),
    "clearance check examples/po-2018-0142.yaml": (30, ["PROHIBITED", "bis-dpl-denial-order"]),
    "clearance cases list": (0, ["ZTE Corporation", "open"]),
    # Two screenings and one export check were recorded (the demo screens unrecorded).
    "clearance audit verify": (0, ["OK: 3 records checked"]),
    "clearance screen": (2, ["error: Missing argument"]),
    "exit": (0, []),
}


def readme_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Your first hour"):]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block is not None
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines()
            if line.strip()]


def test_the_readme_block_is_what_this_test_runs() -> None:
    assert readme_commands() == list(EXPECTED)


def test_first_hour(tmp_path: Path, data_dir: Path) -> None:
    home = tmp_path / "demo"
    user = tmp_path / "user"
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLEARANCE_")}
    env = {**base, "CLEARANCE_TEST_DATA": str(data_dir), "CLEARANCE_HOME": str(user),
           "COLUMNS": "160", "XDG_DATA_HOME": str(tmp_path / "xdg")}
    for command in readme_commands():
        code, expected = EXPECTED[command]
        if command == "make demo":
            argv = [sys.executable, "-m", "clearance.demo"]
            env_now = {**env, "CLEARANCE_DEMO_HOME": str(home)}
        elif command == "make shell":
            env["CLEARANCE_HOME"] = str(home)
            continue
        elif command == "exit":
            continue
        else:
            argv = [sys.executable, "-m", "clearance", *shlex.split(command)[1:]]
            env_now = env
        done = subprocess.run(argv, env=env_now, cwd=ROOT, capture_output=True, text=True,
                              timeout=900)
        output = done.stdout + done.stderr
        assert done.returncode == code, (command, output)
        assert "Traceback" not in output, (command, output)
        for text in expected:
            assert text in output, (command, text, output)
    # The demo wrote into its own home only.
    assert (home / "clearance.db").exists() and not user.exists()
    assert not (tmp_path / "xdg" / "clearance").exists()
