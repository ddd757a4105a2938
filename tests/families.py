"""The family queries of the never-a-dropped-match tests (see test_families.py)."""

FAMILY_DAY = "2024-06-01"
FAMILIES = (
    "Huawei Technologies",
    # Misspelt as a clerk types it: 24 CSSC research institutes on the Entity List.
    "China State Shipbuilding Corporatron, Limited (CSSC) 707th Research Institute",
    "Fu Yuan Yu",  # over 100 fishing vessels on the SDN list
    "Gazprom Transgaz",
    "VTB Bank",
    "Huawei Cloud",
)
"""Names that each match a family of ten or more distinct listed entities."""
