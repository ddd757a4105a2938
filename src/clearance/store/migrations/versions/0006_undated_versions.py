"""Versions imported without any date hold from their import.

Before this, a publication with no date in its path or content was stored with
no effective date at all, so no "as of" ever reached it: it was kept, counted in
``lists show``, and never screened. The importer now sets its effective date to
the import time; this gives the versions already stored the same.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # imported_at is ISO 8601 with its UTC offset; the other dates are written without.
    op.execute(sa.text(
        "UPDATE list_version SET effective_from = substr(imported_at, 1, 19) "
        "WHERE effective_from IS NULL AND published IS NULL"))


def downgrade() -> None:
    """Nothing to undo: the dates set are the import times, which stay true."""
