"""These tests run on SQLite and on a real PostgreSQL (see tests/dbs.py)."""

from dbs import db_url

__all__ = ["db_url"]
