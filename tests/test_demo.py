"""``make demo``: its own home, quiet when run again, and a clear stop without the lists."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HISTORY = """format: clearance-history/1
source: mirror_demo
published: "{day}"
entities:
  - key: acme
    schema: Company
    name: {name}
    listings:
      - {{list: EL, authority: BIS, start: "2015-01-01"}}
"""


def run_demo(tmp_path: Path, data: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLEARANCE_")}
    return subprocess.run(
        [sys.executable, "-m", "clearance.demo"], capture_output=True, text=True, timeout=600,
        env={**base, "CLEARANCE_TEST_DATA": str(data), "XDG_DATA_HOME": str(tmp_path / "xdg"),
             "CLEARANCE_HOME": str(tmp_path / "user"), **env})


def small_mirror(folder: Path, data_dir: Path) -> Path:
    """A mirror of the real DPL and FCC lists, and two versions of a small list."""
    folder.mkdir()
    (folder / "us_bis_dpl").symlink_to(data_dir / "us_bis_dpl")
    (folder / "us_other").symlink_to(data_dir / "us_other")
    for day, name in (("2016-01-01", "Acme Export Ltd"), ("2017-01-01", "Acme Exports Ltd")):
        path = folder / "mirror_demo" / day / "list.yaml"
        path.parent.mkdir(parents=True)
        path.write_text(HISTORY.format(day=day, name=name), encoding="utf-8")
    return folder


def test_demo_has_its_own_home_and_is_quiet_the_second_time(tmp_path: Path,
                                                            data_dir: Path) -> None:
    mirror = small_mirror(tmp_path / "mirror", data_dir)
    first = run_demo(tmp_path, mirror)
    assert first.returncode == 0, first.stderr
    demo_home = tmp_path / "xdg" / "clearance-demo"
    assert f"its own home: {demo_home}" in first.stdout
    assert (demo_home / "clearance.db").exists()
    # Neither the user's CLEARANCE_HOME nor the per-user default store was touched.
    assert not (tmp_path / "user").exists()
    assert not (tmp_path / "xdg" / "clearance").exists()
    assert "mirror_demo" in first.stdout and "ALERT" in first.stdout

    again = run_demo(tmp_path, mirror)
    assert again.returncode == 0, again.stderr
    assert "not loaded" not in again.stdout and "older than" not in again.stdout
    assert again.stderr == ""
    table = first.stdout[first.stdout.index("Screening examples"):]
    assert again.stdout[again.stdout.index("Screening examples"):] == table


def test_demo_home_from_the_environment(tmp_path: Path, data_dir: Path) -> None:
    mirror = small_mirror(tmp_path / "mirror", data_dir)
    done = run_demo(tmp_path, mirror, CLEARANCE_DEMO_HOME=str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "demo" / "clearance.db").exists()
    assert not (tmp_path / "user").exists()


def test_demo_without_the_lists_stops(tmp_path: Path) -> None:
    done = run_demo(tmp_path, tmp_path / "no-such-folder")
    assert done.returncode == 2
    assert "no list files in" in done.stderr and "CLEARANCE_TEST_DATA" in done.stderr
    assert "clear" not in done.stdout.lower() and "Traceback" not in done.stderr
    assert not (tmp_path / "xdg").exists()
