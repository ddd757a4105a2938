"""The limits on what one record to screen may hold, whatever the channel.

``POST /screen``, ``POST /screen/batch`` and every record of a file uploaded to
``POST /jobs`` share them: a name far longer than any real one does not make a
screening more thorough, only slower (the word alignment grows with the product
of the two names' lengths), and one such record must not be able to hold the
service.
"""

from __future__ import annotations

from clearance.matching.normalize import analyze

MAX_TEXT = 500
"""Longest name, alias or address accepted (characters)."""

MAX_SHORT = 100
"""Longest birth date, country, identifier or reference accepted (characters)."""

MAX_ITEMS = 20
"""Most countries, identifiers or aliases in one record."""

FIELD_LIMITS = {"id": MAX_SHORT, "name": MAX_TEXT, "schema": MAX_SHORT,
                "birth_date": MAX_SHORT, "nationality": MAX_SHORT, "country": MAX_SHORT,
                "id_number": MAX_SHORT, "address": MAX_TEXT}
"""The longest value of each column of a file to screen."""

EMPTY_NAME = ("nothing is left of the name once control, invisible and punctuation "
              "characters are removed")


def name_is_empty(name: str) -> bool:
    """True when normalisation leaves nothing of ``name`` to compare (only control, NUL,
    zero-width or punctuation characters): such a query could match nothing, and a
    screening that says "no match" for it would be a false all-clear."""
    return analyze(name).is_empty
