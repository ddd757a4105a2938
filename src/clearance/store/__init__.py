"""The versioned list store."""

from clearance.store.importer import ImportResult
from clearance.store.store import ChangeEvent, Store, Version

__all__ = ["ChangeEvent", "ImportResult", "Store", "Version"]
