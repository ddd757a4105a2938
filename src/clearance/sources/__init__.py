"""Readers for the official list formats, one module per format, behind one registry.

``detect_format(path)`` finds the format of a file or folder; ``read(path)``
reads it into a :class:`~clearance.sources.base.Publication`.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from clearance.errors import UnknownFormatError
from clearance.sources.base import Format, Publication

# Order matters: the first format whose detect() accepts a path wins, so the
# more specific formats come first.
_FORMAT_MODULES = (
    "history_yaml",
    "ofac_xml",
    "un_xml",
    "ofac_csv",
    "csl",
    "dpl",
    "os_csv",
    "ftm",
)


def get_format(name: str) -> Format:
    """The format of that name (the name of its module), or UnknownFormatError."""
    if name not in _FORMAT_MODULES:
        known = ", ".join(_FORMAT_MODULES)
        raise UnknownFormatError(f"unknown format {name!r}; known: {known}")
    module = importlib.import_module(f"clearance.sources.{name}")
    fmt: Format = module.FORMAT
    return fmt


def formats() -> dict[str, Format]:
    """Every known format, by name."""
    return {name: get_format(name) for name in _FORMAT_MODULES}


def detect_format(path: Path) -> Format:
    """The format of ``path`` (a file or a folder), or UnknownFormatError."""
    for name in _FORMAT_MODULES:
        fmt = get_format(name)
        if fmt.detect(path):
            return fmt
    names = ", ".join(_FORMAT_MODULES)
    raise UnknownFormatError(f"no parser recognises this file (known formats: {names})", path=path)


def read(path: Path, format: str | None = None) -> Publication:
    """Read ``path`` with the named format, or the detected one."""
    path = Path(path)
    if format:
        return get_format(format).read(path)
    return detect_format(path).read(path)


__all__ = ["Format", "Publication", "detect_format", "formats", "get_format", "read"]
