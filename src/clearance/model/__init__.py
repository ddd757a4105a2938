"""The entity model shared by every layer of clearance."""

from clearance.model.entity import (
    SCHEMAS,
    Address,
    Entity,
    Identifier,
    Listing,
    Name,
    diff_fields,
)

__all__ = ["SCHEMAS", "Address", "Entity", "Identifier", "Listing", "Name", "diff_fields"]
