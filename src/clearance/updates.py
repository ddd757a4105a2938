"""Bringing the store up to date: from the official publishers, or from a local mirror.

The catalogue names each feed's official download URLs and the format its
files are in. ``update_from_mirror`` walks a folder laid out as
``<feed>/<date>/<files>`` (the layout of ../shared/data/lists) and imports
every publication it finds, oldest first. ``update_online`` downloads each feed
into a fresh folder and imports it; a feed that cannot be downloaded changes
nothing and is reported.
"""

from __future__ import annotations

import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from clearance.errors import ClearanceError, NetworkError, UnknownFormatError
from clearance.sources import detect_format
from clearance.store import ImportResult, Store

if TYPE_CHECKING:
    from clearance.monitoring import RunReport


@dataclass(frozen=True)
class Feed:
    """An official publication: where to download it and how to read it."""

    name: str
    format: str
    urls: tuple[str, ...]
    description: str


OFAC_EXPORTS = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports"

CATALOGUE: tuple[Feed, ...] = (
    Feed("ofac_sdn", "ofac_csv", tuple(f"{OFAC_EXPORTS}/{n}" for n in
         ("SDN.CSV", "ADD.CSV", "ALT.CSV", "SDN_COMMENTS.CSV")),
         "OFAC Specially Designated Nationals list, legacy CSV"),
    Feed("ofac_consolidated", "ofac_csv", tuple(f"{OFAC_EXPORTS}/{n}" for n in
         ("CONS_PRIM.CSV", "CONS_ADD.CSV", "CONS_ALT.CSV", "CONS_COMMENTS.CSV")),
         "OFAC Consolidated (non-SDN) lists, legacy CSV"),
    Feed("us_csl", "csl",
         ("https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv",),
         "U.S. Consolidated Screening List (trade.gov)"),
    Feed("us_bis_dpl", "dpl", ("https://www.bis.doc.gov/dpl/dpl.txt",),
         "BIS Denied Persons List"),
    Feed("un", "un_xml", ("https://scsanctions.un.org/resources/xml/en/consolidated.xml",),
         "UN Security Council Consolidated List"),
)

Progress = Callable[[str, int, int | None], None]
"""A callback (label, bytes done, bytes total or None) for download progress."""


@dataclass
class UpdateOutcome:
    """What happened to one publication: imported, unchanged, skipped or failed."""

    path: str
    status: str
    result: ImportResult | None = None
    error: str | None = None
    exit_code: int = 0
    """The failure's exit code (6 for a download, 3 for an unreadable file, ...)."""

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "status": self.status, "error": self.error,
                "result": self.result.to_dict() if self.result else None}


def exit_code(outcomes: list[UpdateOutcome]) -> int:
    """The exit code of a run: the first failure's own (6 network, 3 a bad file), else 0."""
    return next((o.exit_code or 1 for o in outcomes if o.status == "failed"), 0)


def import_paths(store: Store, paths: list[Path], format: str | None = None
                 ) -> list[UpdateOutcome]:
    """Import each path (file, folder or SDN history archive); stop at the first error."""
    outcomes: list[UpdateOutcome] = []
    for path in paths:
        if path.name.endswith(".tar.xz"):
            from clearance.sources.ofac_csv import iter_history

            for pub in iter_history(path):
                result = store.import_publication(pub)
                outcomes.append(_outcome(f"{path}!{pub.published}", result))
            continue
        result = store.import_path(path, format=format)
        outcomes.append(_outcome(str(path), result))
    return outcomes


def rescreen(store: Store, outcomes: list[UpdateOutcome], as_of: str | None = None
             ) -> RunReport | None:
    """After an import: re-screen the monitored records if a list changed (None otherwise).

    Only what changed is re-screened (see :mod:`clearance.monitoring`).
    """
    if not any(o.status == "imported" for o in outcomes):
        return None
    from clearance.monitoring import Monitor

    monitor = Monitor(store)
    if not monitor.count():
        return None
    return monitor.run(as_of)


def mirror_publications(root: Path) -> list[Path]:
    """Every publication under ``root`` that a parser recognises, oldest first."""
    found: list[tuple[str, Path]] = []
    for candidate in _candidates(root):
        if any(p in candidate.parents for _, p in found):
            continue  # a file of a folder already found as one publication
        try:
            detect_format(candidate)
        except UnknownFormatError:
            continue
        found.append((candidate.name if candidate.is_dir() else candidate.parent.name, candidate))
    return [p for _, p in sorted(found, key=lambda item: (item[0], str(item[1])))]


def update_from_mirror(store: Store, root: Path) -> list[UpdateOutcome]:
    """Import every publication found under ``root``; one failure does not stop the others."""
    outcomes = []
    for path in mirror_publications(root):
        try:
            outcomes.append(_outcome(str(path), store.import_path(path)))
        except ClearanceError as exc:
            outcomes.append(UpdateOutcome(str(path), "failed", error=exc.describe(),
                                          exit_code=exc.exit_code))
    return outcomes


def update_online(store: Store, feeds: tuple[Feed, ...] = CATALOGUE, timeout: float = 60.0,
                  progress: Progress | None = None) -> list[UpdateOutcome]:
    """Download each feed and import it; a failed download leaves that source unchanged."""
    outcomes = []
    for feed in feeds:
        folder = Path(tempfile.mkdtemp(prefix=f"clearance-{feed.name}-"))
        try:
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%S")
            target = folder / stamp
            target.mkdir()
            for url in feed.urls:
                download(url, target / url.rsplit("/", 1)[-1].lower(), timeout, progress)
            outcomes.append(_outcome(feed.name, store.import_path(target, format=feed.format)))
        except ClearanceError as exc:
            outcomes.append(UpdateOutcome(feed.name, "failed", error=exc.describe(),
                                          exit_code=exc.exit_code))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return outcomes


def download(url: str, target: Path, timeout: float, progress: Progress | None = None) -> None:
    """Fetch ``url`` to ``target``, reporting progress; NetworkError on any failure."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, target.open("wb") as out:
            total = response.headers.get("Content-Length")
            done = 0
            for chunk in iter(lambda: response.read(1 << 16), b""):
                out.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(target.name, done, int(total) if total else None)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise NetworkError(f"could not download {url}: {exc}") from exc


_FILE_SUFFIXES = (".xml", ".zip", ".gz", ".txt", ".json", ".yaml", ".yml")


def _candidates(root: Path) -> Iterator[Path]:
    """Folders holding a publication, and single files, below ``root``."""
    for path in sorted(root.rglob("*")):
        if path.name.endswith(".tar.xz") or path.name.startswith("."):
            continue
        if path.is_dir() or path.suffix.lower() in _FILE_SUFFIXES \
                or path.name in ("sanctions.csv", "table.csv"):
            yield path


def _outcome(path: str, result: ImportResult) -> UpdateOutcome:
    return UpdateOutcome(path, "unchanged" if result.unchanged else "imported", result)
