"""The index being served, and how a new one replaces it without stopping the service.

The holder keeps one reference to a :class:`Loaded` index. A request reads
that reference once and works on that object to the end, so replacing the
reference (one assignment, atomic in Python) never disturbs a request in
flight: it finishes on the old index, and the old index is freed once the
last such request is done. A list update imports in a background thread,
builds the new index beside the old one and only then swaps; if anything
fails the old index goes on serving and the failure is kept for ``/lists``
and ``/readyz``.

With several worker processes each has its own holder; each looks for new
list versions in the store every ``index_check_seconds`` and reloads (from
the on-disk index cache the first worker wrote), so all converge.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from clearance.api.config import ApiSettings
from clearance.model import Entity
from clearance.model.ftm import ftm_id
from clearance.screening import Screener
from clearance.store import Store
from clearance.updates import update_from_mirror

log = logging.getLogger("clearance.api")

Updater = Callable[[Store, Path | None], list[dict[str, Any]]]


@dataclass
class Loaded:
    """One built index and what it was built from."""

    screener: Screener
    signature: tuple[Any, ...]
    built_at: str
    generation: int
    _by_ftm_id: dict[str, Entity] | None = field(default=None, repr=False)

    def by_ftm_id(self, fid: str) -> Entity | None:
        """An entity of this index by the FtM id yente clients know it by."""
        if self._by_ftm_id is None:
            self._by_ftm_id = {ftm_id(p.entity): p.entity for p in self.screener.prepared}
        return self._by_ftm_id.get(fid)


class NotReady(Exception):
    """No index has been loaded yet."""


class ScreenerHolder:
    """Owns the serving index; builds, swaps and reports on replacements."""

    def __init__(self, store: Store, settings: ApiSettings,
                 updater: Updater | None = None) -> None:
        self.store = store
        self.settings = settings
        self.updater = updater or mirror_updater
        self._loaded: Loaded | None = None
        self._build_lock = threading.Lock()
        self._stop = threading.Event()
        self._others: OrderedDict[tuple[str, tuple[str, ...]], Screener] = OrderedDict()
        self._others_lock = threading.Lock()
        self.load_error: str | None = None
        self.last_update: dict[str, Any] | None = None
        self.swaps = 0

    # -- reading ---------------------------------------------------------------

    @property
    def loaded(self) -> Loaded:
        """The index in force now; NotReady before the first one is built."""
        loaded = self._loaded
        if loaded is None:
            raise NotReady()
        return loaded

    @property
    def ready(self) -> bool:
        return self._loaded is not None

    @property
    def updating(self) -> bool:
        return bool(self.last_update and self.last_update["status"] == "running")

    def serving_day(self) -> str | None:
        """The day of the index being served (None before one is loaded)."""
        loaded = self._loaded
        return loaded.screener.as_of if loaded is not None else None

    def screener_for(self, as_of: str | None) -> Screener:
        """The serving index, or (for another day) one built for that day, kept in a small LRU."""
        current = self.loaded
        if as_of is None or as_of == current.screener.as_of:
            return current.screener
        key = (as_of, current.signature)
        with self._others_lock:
            if key in self._others:
                self._others.move_to_end(key)
                return self._others[key]
        screener = Screener.from_store(self.store, as_of=as_of,
                                       cache_dir=self.settings.resolved_cache_dir())
        with self._others_lock:
            self._others[key] = screener  # type: ignore[index]
            while len(self._others) > 4:
                self._others.popitem(last=False)
        return screener

    def state(self) -> dict[str, Any]:
        """What /readyz, /lists and /metrics report."""
        loaded = self._loaded
        published = {v.source: v.published for v in loaded.screener.versions} if loaded else {}
        return {
            "ready": loaded is not None,
            "entities": len(loaded.screener) if loaded else 0,
            "as_of": loaded.screener.as_of if loaded else None,
            "built_at": loaded.built_at if loaded else None,
            "generation": loaded.generation if loaded else 0,
            "published": published,
            "load_error": self.load_error,
            "last_update": self.last_update,
            "update_failed": bool(self.last_update and self.last_update["status"] == "failed"),
        }

    # -- building --------------------------------------------------------------

    def load(self) -> Loaded:
        """Build (or load from the cache) the index for today's lists and swap it in."""
        with self._build_lock:
            signature = self._signature()
            screener = self._build()
            generation = (self._loaded.generation + 1) if self._loaded else 1
            loaded = Loaded(screener, signature, _now(), generation)
            self._loaded = loaded  # the swap: one reference assignment
            self.swaps += 1
            self.load_error = None
            log.info("index generation %d in force: %d entities", generation, len(screener))
            return loaded

    def _build(self) -> Screener:
        """Today's index, through the on-disk cache.

        Workers starting together may race to write the same cache file (the
        loser's rename fails): then the winner's file is there, so load it.
        """
        cache = self.settings.resolved_cache_dir()
        try:
            return Screener.from_store(self.store, cache_dir=cache)
        except OSError:
            log.warning("index cache write raced with another worker; loading its copy")
            return Screener.from_store(self.store, cache_dir=cache)

    def start(self) -> None:
        """Load the first index in the background, then watch the store for new versions."""
        threading.Thread(target=self._first_load, name="clearance-index", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def update(self, mirror: Path | None) -> bool:
        """Start importing ``mirror`` and rebuilding in the background; False if one runs."""
        with self._others_lock:
            if self.updating:
                return False
            self.last_update = {"status": "running", "started": _now(), "finished": None,
                                "mirror": str(mirror) if mirror else None, "outcomes": [],
                                "error": None}
        threading.Thread(target=self._run_update, args=(mirror,), name="clearance-update",
                         daemon=True).start()
        return True

    def _run_update(self, mirror: Path | None) -> None:
        report = self.last_update or {}
        try:
            outcomes = self.updater(self.store, mirror)
            report["outcomes"] = outcomes
            failed = [o for o in outcomes if o.get("status") == "failed"]
            if self._signature() != (self._loaded.signature if self._loaded else None):
                self.load()
            report["status"] = "failed" if failed else "succeeded"
            if failed:
                report["error"] = "; ".join(str(o.get("error")) for o in failed)[:2000]
        except Exception as exc:
            log.exception("list update failed; the previous index stays in force")
            report["status"] = "failed"
            report["error"] = _describe(exc)
        report["finished"] = _now()

    def _first_load(self) -> None:
        try:
            self.load()
        except Exception as exc:
            log.exception("could not build the index")
            self.load_error = _describe(exc)
        interval = self.settings.index_check_seconds
        while interval > 0 and not self._stop.wait(interval):
            self._check()

    def _check(self) -> None:
        """Reload if another process imported new versions (or the day changed)."""
        if self.updating:
            return
        try:
            if self._loaded is None or self._signature() != self._loaded.signature:
                self.load()
        except Exception as exc:
            log.exception("could not rebuild the index; the previous one stays in force")
            self.load_error = _describe(exc)

    def _signature(self) -> tuple[Any, ...]:
        versions = tuple((v.source, v.seq) for v in self.store.latest_versions())
        return (date.today().isoformat(), versions)


def mirror_updater(store: Store, mirror: Path | None) -> list[dict[str, Any]]:
    """Import a mirror folder (the default updater); online download is the CLI's job."""
    if mirror is None:
        raise ValueError("no mirror folder given and CLEARANCE_MIRROR_DIR is not set")
    return [o.to_dict() for o in update_from_mirror(store, mirror)]


def _describe(exc: Exception) -> str:
    describe = getattr(exc, "describe", None)
    return describe() if callable(describe) else f"{type(exc).__name__}: {exc}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def wait_ready(holder: ScreenerHolder, timeout: float) -> bool:
    """Block until the holder has an index (for the CLI and tests)."""
    deadline = time.monotonic() + timeout
    while not holder.ready and time.monotonic() < deadline:
        time.sleep(0.05)
    return holder.ready
