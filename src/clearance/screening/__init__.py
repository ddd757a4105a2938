"""Screening: queries against the lists in force, one at a time or in files."""

from clearance.screening.screener import Screener, ScreeningResult

__all__ = ["Screener", "ScreeningResult"]
