"""Sample parties for the batch and Spark tests: faker names in several locales with real
listed names seeded in."""

from __future__ import annotations

import random
from typing import Any

from clearance.screening import Screener

LOCALES = ["en_US", "de_DE", "fr_FR", "es_ES", "ru_RU", "zh_CN", "ar_AA", "tr_TR"]


def make_records(screener: Screener, n: int, seed: int = 7, seeded_share: float = 0.15
                 ) -> list[dict[str, Any]]:
    """``n`` parties: faker people and companies, with real listed names seeded in.

    A seeded record's id is ``seed-<entity id>`` so that a test can check it was found.
    Some carry a birth date, a country and an identifier; some listed names are lightly
    misspelt.
    """
    from faker import Faker

    rng = random.Random(seed)
    fakers = [Faker(loc) for loc in LOCALES]
    for i, f in enumerate(fakers):
        f.seed_instance(seed + i)
    listed = sorted((p.entity for p in screener.prepared if p.entity.source == "us_ofac_sdn"),
                    key=lambda e: e.id)
    records = []
    for i in range(n):
        if rng.random() < seeded_share:
            entity = rng.choice(listed)
            name = entity.name
            if rng.random() < 0.3 and len(name) > 6:
                pos = rng.randrange(1, len(name) - 1)
                name = name[:pos] + name[pos + 1:]
            records.append({
                "id": f"seed-{entity.id}-{i}", "name": name, "schema": entity.schema,
                "dob": entity.birth_dates[0] if entity.birth_dates else "",
                "country": entity.nationalities[0].upper() if entity.nationalities else "",
                "id_number": "", "address": ""})
            continue
        f = rng.choice(fakers)
        company = rng.random() < 0.35
        records.append({
            "id": f"r{i:06d}", "name": f.company() if company else f.name(),
            "schema": "Company" if company else "Person",
            "dob": "" if company or rng.random() < 0.5 else f.date_of_birth().isoformat(),
            "country": f.current_country_code() if rng.random() < 0.6 else "",
            "id_number": f.bothify("??######") if rng.random() < 0.1 else "",
            "address": f.address().replace("\n", ", ") if rng.random() < 0.2 else ""})
    return records
