from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reel.catalog.text import fold, search_text, sort_key, words


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Amélie", "amelie"),
        ("Sørensen", "sorensen"),
        ("Ænima", "aenima"),
        ("Straße", "strasse"),
        ("Œuvre", "oeuvre"),
        ("Łódź", "lodz"),
        ("Þingvellir", "thingvellir"),
        ("  Many   Spaces ", "many spaces"),
        ("ＦＵＬＬ", "full"),
        ("Москва", "москва"),
        ("東京", "東京"),
    ],
)
def test_fold_spells_out_letters_people_type_in_ascii(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_sort_key_drops_leading_article_only() -> None:
    assert sort_key("The Godfather") == "godfather"
    assert sort_key("A Beautiful Mind") == "beautiful mind"
    assert sort_key("The") == "the"
    assert sort_key("Theory of Everything") == "theory of everything"
    assert sort_key("The Godfather", "Godfather, The") == "godfather, the"


def test_search_text_includes_original_title() -> None:
    assert search_text("Spirited Away", "千と千尋の神隠し") == "spirited away 千と千尋の神隠し"
    assert search_text("Léon", "Léon") == "leon"


@given(st.text())
def test_words_are_folded_tokens(value: str) -> None:
    for word in words(value):
        assert word
        assert word == fold(word)
        assert " " not in word
