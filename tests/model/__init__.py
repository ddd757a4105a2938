"""Tests of the entity model and its conversions."""
