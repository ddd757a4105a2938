"""Normalisation: scripts, disguises, legal forms, person name order."""

from __future__ import annotations

import pytest

from clearance.matching.normalize import analyze, dominant_script, unmask


@pytest.mark.parametrize(("text", "tokens"), [
    ("MADURO MOROS, Nicolas", ("nicolas", "maduro", "moros")),
    ("Sheikh Dr. Mohammed bin Rashid", ("mohammed", "bin", "rashid")),
    ("John Smith Jr.", ("john", "smith")),
])
def test_person_forms(text: str, tokens: tuple[str, ...]) -> None:
    assert analyze(text, "Person").tokens == tokens


@pytest.mark.parametrize(("text", "tokens", "legal"), [
    ("SIS d.o.o.", ("sis",), ("doo",)),
    ("SIS DOO", ("sis",), ("doo",)),
    ("HUAWEI TECHNOLOGIES CO., LTD.", ("huawei", "technology"), ("co", "ltd")),
    ("Huawei Tech Co Ltd", ("huawei", "technology"), ("coltd",)),
    ("ООО Газпром", ("gazprom",), ("ooo",)),
    ("Zhongxing Telecom Equipment Corp.", ("zhongxing", "telecommunications", "equipment"),
     ("corp",)),
    ("Acme International Ltd", ("acme", "international"), ("ltd",)),
    ("Acme Intl Limited", ("acme", "international"), ("ltd",)),
])
def test_organisation_forms(text: str, tokens: tuple[str, ...], legal: tuple[str, ...]) -> None:
    form = analyze(text, "Company")
    assert form.tokens == tokens
    assert form.legal == legal


def test_legal_form_alone_is_kept_as_the_name() -> None:
    assert analyze("Limited", "Company").tokens == ("ltd",)


def test_chinese_keeps_characters_and_gives_pinyin() -> None:
    form = analyze("中兴通讯股份有限公司")
    assert form.script == "Hani"
    assert form.han == "中兴通讯"
    assert form.tokens == ("zhong", "xing", "tong", "xun")


@pytest.mark.parametrize(("text", "script"), [
    ("Газпром", "Cyrl"), ("محمد", "Arab"), ("김정은", "Hang"), ("Ηλίας", "Grek"),
    ("שלום", "Hebr"), ("トヨタ", "Jpan"), ("Gazprom", None),
])
def test_scripts(text: str, script: str | None) -> None:
    assert dominant_script(text) == script


def test_transliteration_to_latin() -> None:
    assert analyze("Газпром").tokens == ("gazprom",)
    assert analyze("Ηλίας").tokens == ("ilias",)


def test_invisible_characters_and_homoglyphs_are_undone() -> None:
    disguised = "Zhong\u200bxing T\u0435lecom"  # zero-width space, Cyrillic 'е'
    assert unmask(disguised) == "Zhongxing Telecom"
    assert analyze(disguised).tokens == analyze("Zhongxing Telecom").tokens


def test_a_wholly_cyrillic_word_is_transliterated_not_unmasked() -> None:
    # 'Вера' is a Cyrillic name, not a disguise: it reads 'Vera', not 'Bepa'.
    assert analyze("Вера").tokens == ("vera",)


def test_diacritics_fold() -> None:
    assert analyze("Müller Ñandú Çelik").tokens == ("muller", "nandu", "celik")


def test_legal_forms_however_punctuated_carry_no_penalty() -> None:
    from clearance.matching.names import compare_names

    listed = analyze("HUAWEI TECHNOLOGIES CO., LTD.", "Company")
    for variant in ("Huawei Technologies Co Ltd", "Huawei Technologies Co.,Ltd",
                    "Huawei Technologies Co. Ltd"):
        assert compare_names(analyze(variant, "Company"), listed).legal_penalty == 0.0
    assert compare_names(analyze("Huawei Technologies GmbH", "Company"),
                         listed).legal_penalty > 0.0
    # A comma inside a legal form (S. DE R.L. DE, C.V.) is punctuation, not a name word.
    a = analyze("A&A ESTUDIO ARQUITECTONICO, S. DE R.L. DE, C.V.", "Company")
    b = analyze("A&A ESTUDIO ARQUITECTONICO, S. DE R.L. DE C.V.", "Company")
    assert a.tokens == b.tokens


def test_a_persons_leading_initial_is_kept_even_if_it_is_a_stop_word() -> None:
    assert analyze("A RAHIMI", "Person").tokens == ("a", "rahimi")
    assert analyze("Y. SYAWAL", "Person").tokens == ("y", "syawal")
    # In a company name "A" is an article.
    assert "a" not in analyze("A Better Trading", "Organization").tokens


def test_an_is_a_name_not_a_stop_word() -> None:
    assert analyze("AN Chol Nam", "Person").tokens[0] == "an"


@pytest.mark.parametrize("text", ["Abdelrahman", "ABDURRAHMAN", "Abd al-Rahman", "Abdul Rahman",
                                  "Abdirahman", "ABD ALRAHMAN", "RAHMAN, Abdul"])
def test_abd_names_however_romanised_give_the_same_words(text: str) -> None:
    assert analyze(text, "Person").tokens == ("abdal", "rahman")


@pytest.mark.parametrize("text", ["Abdullah", "ABDULLAEV", "ABDYKADYROV", "Abdou"])
def test_other_names_starting_with_abd_stay_whole(text: str) -> None:
    assert analyze(text, "Person").tokens == (text.lower(),)
