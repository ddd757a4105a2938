"""No answer without the lists behind it: a screening against nothing is refused, never
"no match"; a list known only from later days is named; an incomplete OFAC set warns."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from clearance.errors import NoListInForceError
from clearance.matching import Query
from clearance.screening import Screener
from clearance.store import Store

ZTE = Path(str(resources.files("clearance") / "data" / "zte_history.yaml"))


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLEARANCE_HOME": str(home), "COLUMNS": "200"}
    env.pop("CLEARANCE_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "clearance.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def sdn_2024_home(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ZTE history (dated 2016-2018) and the SDN list of 2024 only."""
    home = tmp_path_factory.mktemp("sdn2024")
    store = Store.open(f"sqlite:///{home / 'clearance.db'}")
    store.import_path(data_dir / "ofac_sdn" / "2024-05-03" / "sdn.csv")
    return home


def test_an_empty_store_is_refused_everywhere(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'empty.db'}")
    screener = Screener.from_store(store, cache_dir=None)
    with pytest.raises(NoListInForceError, match="no list is in force"):
        screener.screen(Query("Kim Jong Un"))
    with pytest.raises(NoListInForceError):
        screener.screen(Query("Kim Jong Un"), matches_only=True)

    home = tmp_path / "home"
    done = _cli("screen", "Kim Jong Un", home=home)
    assert done.returncode == 9, done.stdout + done.stderr
    assert "no list is in force" in done.stderr and "No match" not in done.stdout
    parties = tmp_path / "parties.csv"
    parties.write_text("name\nKim Jong Un\n")
    filed = _cli("screen-file", str(parties), "-o", str(tmp_path / "out.csv"), home=home)
    assert filed.returncode == 9 and not (tmp_path / "out.csv").exists()


def test_a_day_before_any_list_is_refused_and_names_what_is_not_known(sdn_2024_home: Path
                                                                     ) -> None:
    store = Store.open(f"sqlite:///{sdn_2024_home / 'clearance.db'}")
    early = Screener.from_store(store, as_of="2018-05-01", cache_dir=None)
    assert early.not_known == ["us_ofac_sdn"]
    with pytest.raises(NoListInForceError, match="us_ofac_sdn known only from later days"):
        early.screen(Query("Banco Nacional de Cuba"))
    done = _cli("screen", "Banco Nacional de Cuba", "--as-of", "2018-05-01",
                home=sdn_2024_home)
    assert done.returncode == 9 and "No match" not in done.stdout


def test_a_list_not_known_on_the_day_is_named_beside_those_in_force(sdn_2024_home: Path,
                                                                   tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "clearance.db").write_bytes((sdn_2024_home / "clearance.db").read_bytes())
    assert _cli("lists", "import", str(ZTE), home=home).returncode == 0
    done = _cli("screen", "ZTE Corporation", "--as-of", "2018-05-01", home=home)
    assert done.returncode == 0, done.stderr
    assert "lists in force on 2018-05-01: zte_history" in done.stdout
    assert "not known on 2018-05-01" in done.stderr and "us_ofac_sdn" in done.stderr
    store = Store.open(f"sqlite:///{home / 'clearance.db'}")
    with pytest.raises(NoListInForceError, match="us_ofac_sdn"):
        Screener.from_store(store, as_of="2018-05-01", sources=["us_ofac_sdn"], cache_dir=None)
    with pytest.raises(NoListInForceError, match="never imported"):
        Screener.from_store(store, as_of="2018-05-01", sources=["un_sc"], cache_dir=None)


def test_an_ofac_main_file_without_its_side_files_warns(data_dir: Path, tmp_path: Path
                                                        ) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    alone = store.import_path(data_dir / "ofac_sdn" / "2024-05-03" / "sdn.csv")
    assert len(alone.warnings) == 2
    assert any("alt.csv" in w and "aliases" in w for w in alone.warnings)
    assert any("add.csv" in w and "addresses" in w for w in alone.warnings)
    other = Store.open(f"sqlite:///{tmp_path / 'whole.db'}")
    whole = other.import_path(data_dir / "ofac_sdn" / "2021-07-07", format="ofac_csv")
    assert whole.warnings == []
    done = _cli("lists", "import", str(data_dir / "ofac_sdn" / "2024-05-03" / "sdn.csv"),
                home=tmp_path / "home")
    assert done.returncode == 0 and "warning: sdn.csv was read without alt.csv" in done.stderr
