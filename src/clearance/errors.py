"""The one exception tree of clearance.

    ClearanceError                 root: every error clearance raises on purpose
    ├── ConfigError                a setting or an argument is wrong
    ├── SourceError                a list file cannot be read as its format says
    │   ├── FormatError            the structure is wrong (columns, elements, JSON)
    │   ├── EncodingError          the bytes are not in the expected encoding
    │   ├── HostileInputError      XML with DTDs, entity expansion or external entities
    │   └── UnknownFormatError     no parser recognises the file
    ├── StoreError                 the list store refuses an operation
    │   ├── VersionOrderError      a publication older than the one in force
    │   └── TamperError            the audit chain does not verify (exit code 8)
    ├── NotFoundError              an entity, version or source does not exist
    ├── NetworkError               an official publication could not be downloaded
    ├── NoListInForceError         nothing to screen against on the day asked (exit 9)
    ├── InputError                 an input document (a transaction) is malformed (exit 7)
    └── AuditKeyMissingError       the audit key is needed to verify and is not there (exit 11)

Each error carries context (file, line, element) and the exit code the CLI
uses, so that one handler in each interface turns it into a clear message.
"""

from __future__ import annotations

from pathlib import Path


class ClearanceError(Exception):
    """Root of every error clearance raises on purpose."""

    exit_code: int = 1
    http_status: int = 500

    def __init__(self, message: str, *, path: str | Path | None = None,
                 line: int | None = None, element: str | None = None) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.element = element
        super().__init__(self.describe())

    def describe(self) -> str:
        """The message with its location, e.g. ``sdn.csv, line 12: ...``."""
        where = []
        if self.path:
            where.append(self.path)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.element:
            where.append(f"element {self.element}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly description, the same shape for every error."""
        return {
            "error": type(self).__name__,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "element": self.element,
        }


class ConfigError(ClearanceError):
    """A setting or a command-line argument is wrong."""

    exit_code = 2
    http_status = 400


class SourceError(ClearanceError):
    """A list file cannot be read as its format says."""

    exit_code = 3
    http_status = 422


class FormatError(SourceError):
    """The file's structure is wrong: missing columns, bad elements, truncated data."""


class EncodingError(SourceError):
    """The file's bytes are not in the encoding its format prescribes."""


class HostileInputError(SourceError):
    """XML that declares a DTD, entities or external references: refused outright."""


class UnknownFormatError(SourceError):
    """No parser recognises the file."""


class StoreError(ClearanceError):
    """The list store refuses an operation."""

    exit_code = 4
    http_status = 409


class VersionOrderError(StoreError):
    """A publication older than the one already in force for the same source."""


class NotFoundError(ClearanceError):
    """An entity, a version or a source does not exist."""

    exit_code = 5
    http_status = 404


class NetworkError(ClearanceError):
    """An official publication could not be downloaded."""

    exit_code = 6
    http_status = 502


class NoListInForceError(ClearanceError):
    """No list is in force on the day asked, or a list the user named was not known then.

    A screening against nothing must never read as "no match": it is refused.
    """

    exit_code = 9
    http_status = 409


class InputError(ClearanceError):
    """An input document (e.g. a transaction to check) is malformed: bad JSON or YAML,
    a missing or invalid field. ``element`` names the field, ``line`` its line."""

    exit_code = 7
    http_status = 422


class TamperError(StoreError):
    """The audit chain does not verify: a record was changed, deleted, inserted or reordered."""

    exit_code = 8


class AuditKeyMissingError(ClearanceError):
    """The audit key file is missing where a reader needs it (``audit verify``): a reader
    never creates one, since a new key would make every writer refuse to append until the
    original is put back. (Exit code 11: 9 is main's NoListInForceError, 10, 20 and 30 the
    decisions of ``clearance check``.)"""

    exit_code = 11
    http_status = 500
