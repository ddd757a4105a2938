"""Dates as the lists write them, to ISO 8601 with partial precision.

A birth date can be full (``1966-01-01``), a year and month (``1966-01``) or a
year (``1966``); "circa 1966" and "1960 to 1962" give year values. Partial
dates compare by prefix: ``1966`` agrees with ``1966-05-04``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from clearance.errors import ConfigError

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}

_DMY = re.compile(r"^(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{4})$")
_MY = re.compile(r"^([A-Za-z]{3})[a-z]*\.?\s+(\d{4})$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_RANGE = re.compile(r"^(\d{4})\s*(?:to|-|–)\s*(\d{4})$")
_CIRCA = re.compile(r"^(?:circa|c\.|approximately|approx\.?|about)\s+", re.I)


def parse_date(text: str | None) -> list[str]:
    """One date expression to its ISO values; ``[]`` when it cannot be read.

    >>> parse_date("01 Jan 1966"), parse_date("circa 1960"), parse_date("1960 to 1962")
    (['1966-01-01'], ['1960'], ['1960', '1961', '1962'])
    """
    if not text:
        return []
    value = _CIRCA.sub("", text.strip()).strip().rstrip(".")
    if m := _ISO.match(value):
        return [_valid("-".join(p for p in m.groups() if p))]
    if m := _DMY.match(value):
        month = _MONTHS.get(m.group(2).lower())
        if month:
            return [_valid(f"{m.group(3)}-{month:02d}-{int(m.group(1)):02d}")]
    if m := _MY.match(value):
        month = _MONTHS.get(m.group(1).lower())
        if month:
            return [f"{m.group(2)}-{month:02d}"]
    if m := _US.match(value):
        return [_valid(f"{m.group(3)}-{int(m.group(1)):02d}-{int(m.group(2)):02d}")]
    if m := _RANGE.match(value):
        return _years(int(m.group(1)), int(m.group(2)))
    if m := _DATE_RANGE.match(value):
        return _date_range(m.group(1), m.group(2))
    return []


_DATE_RANGE = re.compile(r"^(.+?)\s+to\s+(.+)$")


def _years(lo: int, hi: int) -> list[str]:
    return [str(y) for y in range(lo, hi + 1)] if 0 <= hi - lo <= 20 else []


def _date_range(start: str, end: str) -> list[str]:
    """``01 Jan 1961 to 31 Dec 1962`` (OFAC's DOB ranges) to the years it spans."""
    lo, hi = parse_date(start), parse_date(end)
    if len(lo) != 1 or len(hi) != 1:
        return []
    if lo == hi:
        return lo
    if lo[0][:7] == hi[0][:7]:
        return [lo[0][:7]]
    return _years(int(lo[0][:4]), int(hi[0][:4]))


def _valid(iso: str) -> str:
    """Keep a full date only if it exists in the calendar; else fall back to year-month."""
    if len(iso) == 10:
        try:
            date.fromisoformat(iso)
        except ValueError:
            return iso[:7] if 1 <= int(iso[5:7]) <= 12 else iso[:4]
    return iso


def dates_agree(a: str, b: str) -> bool:
    """Two partial ISO dates agree when one is a prefix of the other."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def to_iso_day(value: str | date | datetime | None) -> str:
    """A day as ``YYYY-MM-DD``; ``None`` means today (UTC)."""
    if value is None:
        return datetime.now(UTC).date().isoformat()
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    try:
        # A typo in "as of" must not screen against the wrong day's lists: refuse it.
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise ConfigError(f"{value!r} must be a day (YYYY-MM-DD)") from None
