"""A candidate rule that reads the same in both directions, and the index that applies it.

The Screener retrieves the top N candidates of a query; that rule depends on
the rest of the corpus and cannot be inverted (which records have entity E in
their top N?). Monitoring therefore uses a *pair-local* rule: a record and a
listed entity are candidates when one of the record's names and one of the
entity's names share enough blocking keys, measured as a weighted cosine

    shared(q, e)^2 >= THETA^2 * mass(q) * mass(e)

where the keys are the index keys of :func:`clearance.matching.index.name_keys`
without the letter trigrams (whole words, Metaphone codes, consonant
skeletons, acronyms, compact forms, Chinese characters), hashed to 64 bits,
and each key weighs an integer (a quantised inverse document frequency frozen
at the start of the monitoring epoch, see :class:`KeyWeights`). Integers make
the test exact whatever the order of summation, so the forward lookup (record
against the lists) and the reverse lookup (listed entity against the records)
select exactly the same pairs. Candidates are then scored by the Screener's
scorer; a pair is a match when its score reaches the threshold.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import orjson

from clearance.matching.index import name_keys
from clearance.matching.normalize import NameForm

THETA = (2, 5)
"""The cosine threshold as a fraction (0.4): 25 * shared^2 >= 4 * mass_q * mass_e."""

TRIGRAMS = True
_KINDS = ("w:", "p:", "k:", "a:", "h:")
_SCALE = 4.0


def blocking_keys(form: NameForm) -> np.ndarray:
    """The sorted, distinct 64-bit hashes of one name's blocking keys."""
    hashes = {_hash(k) for k in name_keys(form) if TRIGRAMS or k[:2] in _KINDS}
    return np.fromiter(sorted(hashes), dtype=np.uint64, count=len(hashes))


def _hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")


class KeyWeights:
    """Integer key weights (quantised IDF over the listed names of the epoch), frozen.

    A key unknown to the table (a word that appeared later) weighs the most.
    """

    def __init__(self, keys: np.ndarray, weights: np.ndarray, default: int) -> None:
        self.keys = keys
        self.weights = weights
        self.default = default

    @classmethod
    def from_names(cls, names: Iterable[np.ndarray]) -> KeyWeights:
        chunks = list(names)
        n = len(chunks)
        flat = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.uint64)
        keys, df = np.unique(flat, return_counts=True)
        idf = np.log((n + 1) / (df + 0.5))
        weights = np.maximum(1, np.rint(idf * _SCALE)).astype(np.int32)
        default = max(1, round(math.log((n + 1) / 0.5) * _SCALE))
        return cls(keys, weights, default)

    def of(self, keys: np.ndarray) -> np.ndarray:
        if len(self.keys) == 0:
            return np.full(len(keys), self.default, dtype=np.int64)
        pos = np.searchsorted(self.keys, keys)
        pos[pos >= len(self.keys)] = 0
        found = self.keys[pos] == keys
        return np.where(found, self.weights[pos], self.default).astype(np.int64)

    def to_bytes(self) -> bytes:
        return orjson.dumps({"default": self.default}) + b"\n" + \
            self.keys.tobytes() + self.weights.astype(np.int32).tobytes()

    @classmethod
    def from_bytes(cls, blob: bytes) -> KeyWeights:
        head, _, body = blob.partition(b"\n")
        n = len(body) // 12
        keys = np.frombuffer(body[:n * 8], dtype=np.uint64).copy()
        weights = np.frombuffer(body[n * 8:], dtype=np.int32).copy()
        return cls(keys, weights, int(orjson.loads(head)["default"]))


class KeyIndex:
    """An inverted index from blocking keys to names, each name owned by a record or entity.

    Stored as compressed sparse rows (distinct keys, offsets, name rows): about
    12 bytes per key occurrence plus 8 per distinct key. Owners can be retired
    (a removed or changed record) without rebuilding; :meth:`add` merges new
    names; :meth:`compact` drops the retired ones.
    """

    def __init__(self) -> None:
        self.ukeys = np.zeros(0, dtype=np.uint64)
        self.offsets = np.zeros(1, dtype=np.int64)
        self.post = np.zeros(0, dtype=np.int32)
        self.owner = np.zeros(0, dtype=np.int32)
        self.mass = np.zeros(0, dtype=np.int64)
        self.dead = np.zeros(0, dtype=bool)
        """Indexed by owner: retired owners."""

    def __len__(self) -> int:
        return len(self.owner)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.ukeys, self.offsets, self.post, self.owner,
                                      self.mass, self.dead))

    def add(self, names: Iterable[tuple[int, np.ndarray]], weights: KeyWeights) -> None:
        """Index names (owner, blocking key hashes)."""
        owners: list[int] = []
        masses: list[int] = []
        key_chunks: list[np.ndarray] = []
        row_chunks: list[np.ndarray] = []
        row = len(self.owner)
        for owner, keys in names:
            if len(keys) == 0:
                continue
            owners.append(owner)
            masses.append(int(weights.of(keys).sum()))
            key_chunks.append(keys)
            row_chunks.append(np.full(len(keys), row, dtype=np.int32))
            row += 1
        if not owners:
            return
        new_owner = np.asarray(owners, dtype=np.int32)
        self.owner = np.concatenate([self.owner, new_owner])
        self.mass = np.concatenate([self.mass, np.asarray(masses, dtype=np.int64)])
        top = int(new_owner.max()) + 1
        if top > len(self.dead):
            self.dead = np.concatenate([self.dead, np.zeros(top - len(self.dead), dtype=bool)])
        self.dead[new_owner] = False
        # Merge the new postings into the sorted ones without re-sorting them: only the
        # new keys are sorted, then inserted after the existing postings of the same key.
        new_keys = np.concatenate(key_chunks)
        new_rows = np.concatenate(row_chunks)
        order = np.argsort(new_keys, kind="stable")
        new_keys, new_rows = new_keys[order], new_rows[order]
        del order
        at = self.offsets[np.searchsorted(self.ukeys, new_keys, side="right")]
        self.post = np.insert(self.post, at, new_rows)
        del at, new_rows
        fresh, fresh_counts = np.unique(new_keys, return_counts=True)
        del new_keys
        keys = np.union1d(self.ukeys, fresh)
        counts = np.zeros(len(keys), dtype=np.int64)
        counts[np.searchsorted(keys, self.ukeys)] += np.diff(self.offsets)
        counts[np.searchsorted(keys, fresh)] += fresh_counts
        self.ukeys = keys
        self.offsets = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(counts)])

    def retire(self, owners: Iterable[int]) -> None:
        idx = np.fromiter(owners, dtype=np.int64)
        idx = idx[idx < len(self.dead)]
        self.dead[idx] = True

    def dead_share(self) -> float:
        if not len(self.owner):
            return 0.0
        return float(self.dead[self.owner].mean())

    def compact(self) -> None:
        """Drop the names of retired owners (renumbers name rows)."""
        alive = ~self.dead[self.owner]
        if alive.all():
            return
        remap = np.cumsum(alive, dtype=np.int64) - 1
        keys = np.repeat(self.ukeys, np.diff(self.offsets))
        keep = alive[self.post]
        keys, post = keys[keep], remap[self.post[keep]].astype(np.int32)
        self.owner, self.mass = self.owner[alive], self.mass[alive]
        self.ukeys, starts = np.unique(keys, return_index=True)
        self.offsets = np.append(starts, len(keys)).astype(np.int64)
        self.post = post

    def candidates(self, names: list[np.ndarray], weights: KeyWeights) -> np.ndarray:
        """The distinct live owners with a name passing the cosine rule against one of ``names``."""
        found: list[np.ndarray] = []
        num, den = THETA
        for keys in names:
            if len(keys) == 0 or len(self.ukeys) == 0:
                continue
            w = weights.of(keys)
            mass_q = int(w.sum())
            pos = np.searchsorted(self.ukeys, keys)
            pos[pos >= len(self.ukeys)] = 0
            hit = self.ukeys[pos] == keys
            if not hit.any():
                continue
            pos, w = pos[hit], w[hit]
            starts, ends = self.offsets[pos], self.offsets[pos + 1]
            lengths = ends - starts
            rows = np.concatenate([self.post[s:e] for s, e in zip(starts, ends, strict=True)])
            rw = np.repeat(w, lengths)
            if len(rows) * 16 > len(self.owner):
                # Many postings: a dense accumulator beats sorting them.
                dense = np.bincount(rows, weights=rw, minlength=len(self.owner))
                urows = np.flatnonzero(dense)
                shared = dense[urows].astype(np.int64)
            else:
                urows, inverse = np.unique(rows, return_inverse=True)
                shared = np.bincount(inverse, weights=rw).astype(np.int64)
            ok = den * den * shared * shared >= num * num * mass_q * self.mass[urows]
            owners = self.owner[urows[ok]]
            found.append(owners[~self.dead[owners]])
        if not found:
            return np.zeros(0, dtype=np.int32)
        return np.unique(np.concatenate(found))

    # -- persistence ---------------------------------------------------------

    _ARRAYS = ("ukeys", "offsets", "post", "owner", "mass", "dead")

    def save(self, folder: Path, meta: dict[str, object]) -> None:
        """Write the arrays as .npy files (memory-mappable) and ``meta.json`` last.

        Each file is written under a temporary name and renamed over the old one, so an
        index mapped from the old files stays valid while it is being saved.
        """
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "meta.json").unlink(missing_ok=True)
        for name in self._ARRAYS:
            tmp = folder / f"{name}.tmp.npy"
            np.save(tmp, getattr(self, name))
            tmp.replace(folder / f"{name}.npy")
        (folder / "meta.json").write_bytes(orjson.dumps(meta))

    @classmethod
    def load(cls, folder: Path) -> tuple[KeyIndex, dict[str, object]] | None:
        meta_path = folder / "meta.json"
        if not meta_path.exists():
            return None
        index = cls()
        try:
            for name in cls._ARRAYS:
                # Memory-mapped, read-only: a run touches only the postings it reads.
                # ``dead`` is small and written to, so it is read into memory.
                setattr(index, name, np.load(folder / f"{name}.npy",
                                             mmap_mode=None if name == "dead" else "r"))
        except (OSError, ValueError):
            return None
        return index, orjson.loads(meta_path.read_bytes())
