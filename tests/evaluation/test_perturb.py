"""Perturbation classes: deterministic, and each really makes the change it describes."""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import pytest

from clearance.evaluation import perturb as pt
from clearance.evaluation.perturb import CLASSES, Target, perturb, rng_for

PERSON = Target.from_listed("AL-QIZANI, Ashraf Mohammed", "Person")
SPANISH = Target.from_listed("HERNANDEZ, Jose Ramon", "Person")
ORG = Target.from_listed("BANK MELLI IRAN TRADING COMPANY", "Organization")
VESSEL = Target.from_listed("FU YUAN YU 7864", "Vessel")


def apply(name: str, target: Target, seed: int = 1) -> str | None:
    return pt.BY_NAME[name].apply(target, rng_for(seed, name, target.name))


def letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def test_listed_person_is_put_in_reading_order() -> None:
    assert PERSON.name == "Ashraf Mohammed AL-QIZANI"
    assert (PERSON.given, PERSON.surname) == ("Ashraf Mohammed", "AL-QIZANI")
    assert Target.from_listed("BANK MELLI", "Organization").name == "BANK MELLI"


@pytest.mark.parametrize("cls", [c.name for c in CLASSES])
def test_every_class_is_deterministic(cls: str) -> None:
    for target in (PERSON, SPANISH, ORG, VESSEL):
        first = perturb(target, cls, seed=3)
        assert perturb(target, cls, seed=3) == first


def test_seeds_vary_the_result() -> None:
    results = {perturb(PERSON, "keyboard_typo", seed=s) for s in range(20)}
    assert len(results) > 5


@pytest.mark.parametrize("cls", [c.name for c in CLASSES if c.name != "exact"])
def test_a_result_always_differs_from_the_name(cls: str) -> None:
    for target in (PERSON, SPANISH, ORG, VESSEL):
        for seed in range(10):
            result = perturb(target, cls, seed=seed)
            assert result is None or result != target.name


def test_exact_is_the_name_itself() -> None:
    assert apply("exact", PERSON) == PERSON.name


def test_transliteration_changes_one_word_by_a_known_variant() -> None:
    for seed in range(10):
        result = apply("transliteration", PERSON, seed)
        assert result is not None
        before, after = PERSON.name.split(), result.split()
        assert len(before) == len(after)
        assert sum(a != b for a, b in zip(before, after, strict=True)) == 1
    variants = {apply("transliteration", Target("Mohammed", "Person"), s) for s in range(30)}
    assert {"Muhammad", "Mohamed", "Mohammad"} <= variants


def test_transliteration_leaves_english_company_words_alone() -> None:
    target = Target("CARIBBEAN BEACH PARK", "Organization")
    assert all(apply("transliteration", target, s) is None for s in range(10))


def test_diacritics_are_added_or_stripped() -> None:
    added = apply("diacritics", SPANISH)
    assert added is not None and not added.isascii()
    assert unicodedata.normalize("NFD", added).encode("ascii", "ignore").decode() == SPANISH.name
    stripped = apply("diacritics", Target("José Núñez", "Person"))
    assert stripped in {"Jose Nunez"}
    assert apply("diacritics", Target("Ayman AL ZAWAHIRI", "Person")) is None


def test_order_puts_the_surname_first_or_swaps_organisation_words() -> None:
    assert apply("order", PERSON) == "AL-QIZANI Ashraf Mohammed"
    result = apply("order", ORG)
    assert result is not None and sorted(result.split()) == sorted(ORG.name.split())
    assert apply("order", VESSEL) is None
    assert apply("order", Target("MAHAN AIR", "Organization")) is None
    assert apply("order", Target("Madonna", "Person")) is None


def test_order_leaves_legal_forms_in_place() -> None:
    target = Target("NEXIGN JOINT STOCK COMPANY", "Organization")
    assert apply("order", target) is None


def test_dropped_token_drops_a_middle_name_or_a_generic_word() -> None:
    assert apply("dropped_token", Target.from_listed("SIDOROV, Ivan Petrovich", "Person")) \
        == "Ivan SIDOROV"
    assert apply("dropped_token", Target.from_listed("SIDOROV, Ivan", "Person")) is None
    result = apply("dropped_token", ORG)
    assert result is not None and "MELLI" in result and len(result.split()) == 4
    assert apply("dropped_token", Target("PI RUY GANG", "Person")) is None


def test_dropped_token_keeps_the_most_distinctive_word() -> None:
    target = Target.from_listed("ALPHA BETA ZYXWQ", "Organization",
                                word_df={"alpha": 50, "beta": 40, "zyxwq": 1})
    assert target.key == "zyxwq"
    for seed in range(10):
        result = apply("dropped_token", target, seed)
        assert result is not None and "ZYXWQ" in result


def test_particles_vary_the_particle_only() -> None:
    options = {apply("particles", PERSON, s) for s in range(30)}
    assert options <= {"Ashraf Mohammed QIZANI", "Ashraf Mohammed ALQIZANI",
                       "Ashraf Mohammed AL QIZANI", "Ashraf Mohammed EL-QIZANI"}
    assert len(options) >= 3
    assert apply("particles", ORG) is None
    assert apply("particles", Target("Oleg NIKOLAYEV", "Person")) is None


def test_initials_reduce_a_given_name() -> None:
    result = apply("initials", Target.from_listed("NIKOLAYEV, Oleg Alekseyevich", "Person"))
    assert result in {"Oleg A. NIKOLAYEV", "Oleg A NIKOLAYEV"}
    result = apply("initials", Target.from_listed("ZAWAHIRI, Ayman", "Person"))
    assert result in {"A. ZAWAHIRI", "A ZAWAHIRI"}
    assert apply("initials", Target.from_listed("LI, Wei", "Person")) is None
    assert apply("initials", ORG) is None


def test_titles_are_added_or_removed() -> None:
    assert apply("titles", Target.from_listed("AL ZAWAHIRI, Dr. Ayman", "Person")) \
        == "Ayman AL ZAWAHIRI"
    added = apply("titles", PERSON)
    assert added is not None and added.endswith(PERSON.name)
    assert added.split()[0] in {t.upper() for t in pt._ADDED_TITLES} | set(pt._ADDED_TITLES)
    assert apply("titles", ORG) is None


def test_punctuation_and_case_change_nothing_else() -> None:
    for target in (PERSON, ORG, Target("AL-ARABI CO., LTD.", "Organization")):
        for seed in range(10):
            result = apply("punctuation", target, seed)
            assert result is not None and letters(result) == letters(target.name)
            cased = apply("case", target, seed)
            assert cased is not None and cased.casefold() == target.name.casefold()


def test_homoglyphs_look_the_same() -> None:
    back = {v: k for k, v in pt.HOMOGLYPHS.items()}
    for seed in range(10):
        result = apply("homoglyphs", PERSON, seed)
        assert result is not None and not result.isascii()
        assert "".join(back.get(c, c) for c in result) == PERSON.name


def test_invisible_characters_hide_in_words() -> None:
    result = apply("invisible", PERSON)
    assert result is not None and result != PERSON.name
    assert "".join(c for c in result if c not in pt.INVISIBLE) == PERSON.name


def test_dropped_vowels_removes_vowels_only() -> None:
    for seed in range(10):
        result = apply("dropped_vowels", PERSON, seed)
        assert result is not None
        removed = list(PERSON.name)
        for c in result:  # result is a subsequence of the name; what is missing is vowels
            removed.remove(c)
        assert removed and all(c.lower() in "aeiou" for c in removed)
    assert apply("dropped_vowels", Target("DIONA", "Vessel")) is None


def test_doubled_letters_double_or_collapse_one_letter() -> None:
    for seed in range(10):
        result = apply("doubled_letters", PERSON, seed)
        assert result is not None and abs(len(result) - len(PERSON.name)) == 1
        collapse = re.compile(r"(.)\1+")
        assert collapse.sub(r"\1", result) == collapse.sub(r"\1", PERSON.name)


def test_phonetic_respells_one_word() -> None:
    result = apply("phonetic", PERSON)
    assert result is not None
    diff = [(a, b) for a, b in zip(PERSON.name.split(), result.split(), strict=True) if a != b]
    assert len(diff) == 1


def test_ocr_keyboard_and_transposition_are_small_edits() -> None:
    from rapidfuzz.distance import Levenshtein

    for seed in range(10):
        ocr = apply("ocr", PERSON, seed)
        assert ocr is not None and 0 < Levenshtein.distance(ocr, PERSON.name) <= 4
        typo = apply("keyboard_typo", PERSON, seed)
        assert typo is not None and 0 < Levenshtein.distance(typo, PERSON.name) <= 2
        swapped = apply("transposition", PERSON, seed)
        assert swapped is not None and sorted(swapped) == sorted(PERSON.name)
        assert sum(a != b for a, b in zip(swapped, PERSON.name, strict=True)) == 2


def test_ocr_reproduces_the_zte_damage() -> None:
    outputs = {apply("ocr", Target("Zhongxing Telecommunications Equipment Corporation",
                                   "Organization"), s) for s in range(60)}
    assert any(" " in o.replace("Zhongxing Telecommunications Equipment Corporation", "")
               or len(o.split()) > 4 for o in outputs if o)


def test_truncation_keeps_a_prefix_and_the_surname() -> None:
    target = Target.from_listed("AL-ZAWAHIRI, Ayman Muhammad Rabi", "Person")
    for seed in range(10):
        result = apply("truncation", target, seed)
        assert result is not None and target.name.startswith(result)
        assert len(result) >= 0.6 * len(target.name) and "AL-Z" in result
    assert apply("truncation", Target("Li Wei", "Person")) is None


def test_classes_apply_to_most_real_names(data_dir: Path) -> None:
    from clearance import sources

    entities = list(sources.read(data_dir / "un" / "2026-02-27" / "UN_consolidated.xml").entities)
    sample = random.Random(1).sample(entities, 200)
    for cls in CLASSES:
        changed = [r for e in sample
                   if (r := cls.apply(Target.from_listed(e.name, e.schema),
                                      rng_for(0, cls.name, e.id))) is not None]
        assert cls.name == "exact" or all(r != e.name for r, e in zip(changed, sample,
                                                                       strict=False))
        minimum = {"diacritics": 0, "particles": 10, "titles": 100, "initials": 50}.get(
            cls.name, 100)
        assert len(changed) >= minimum, (cls.name, len(changed))
