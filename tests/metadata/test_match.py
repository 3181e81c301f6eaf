"""Confidence scoring: remakes by year, accents and articles, ties, the threshold."""

from __future__ import annotations

from reel.metadata.match import Candidate, normalize_title, rank, score

THING = [
    Candidate(1, "The Thing", 1951, popularity=5),
    Candidate(2, "The Thing", 1982, popularity=40),
    Candidate(3, "The Thing", 2011, popularity=20),
]


def test_normalize_title_folds_articles_accents_punctuation() -> None:
    assert normalize_title("The Thing!") == "thing"
    assert normalize_title("Léon: The Professional") == "leon the professional"
    assert normalize_title("Ocean's Eleven") == normalize_title("Oceans Eleven")
    assert normalize_title("Fast & Furious") == "fast and furious"
    assert normalize_title("The") == "the"


def test_remake_resolved_by_year() -> None:
    for year, want in ((1951, 1), (1982, 2), (2011, 3), (1983, 2)):
        result = rank("The Thing", year, THING)
        assert result.accepted is not None and result.accepted.candidate.id == want, year


def test_remake_without_year_is_left_to_a_person() -> None:
    result = rank("The Thing", None, THING)
    assert result.accepted is None
    assert [s.candidate.id for s in result.ranked][:1] == [2]  # popularity breaks the tie


def test_year_far_off_rejects() -> None:
    assert rank("Alien", 1999, [Candidate(1, "Alien", 1979)]).accepted is None


def test_accents_articles_and_original_titles() -> None:
    amelie = Candidate(10, "Amélie", 2001, "Le Fabuleux Destin d'Amélie Poulain")
    assert rank("Amelie", 2001, [amelie]).accepted is not None
    assert rank("Le Fabuleux Destin d Amelie Poulain", 2001, [amelie]).accepted is not None
    leon = Candidate(11, "Léon: The Professional", 1994, "Léon", ("The Professional",))
    assert rank("Leon", 1994, [leon]).accepted is not None
    assert rank("The Professional", 1995, [leon]).accepted is not None
    assert rank("Matrix", 1999, [Candidate(12, "The Matrix", 1999)]).accepted is not None


def test_sequel_does_not_pass_for_the_film() -> None:
    sequel = Candidate(20, "Eternal Widow: Canyon of the Frozen Returns", 2009)
    assert score("Eternal Widow - Canyon of the Frozen", None, sequel).confidence < 0.8
    assert rank("Spider-Man", 2002, [Candidate(21, "Spider-Man 2", 2004)]).accepted is None


def test_threshold_is_respected() -> None:
    typo = [Candidate(30, "Blade Runner", 1982)]
    relaxed = rank("Blade Runer", 1982, typo, threshold=0.8)
    strict = rank("Blade Runer", 1982, typo, threshold=0.99)
    assert relaxed.accepted is not None
    assert strict.accepted is None and strict.ranked[0].confidence == relaxed.ranked[0].confidence


def test_title_ending_in_a_year() -> None:
    result = rank("Blade Runner", 2049, [Candidate(40, "Blade Runner 2049", 2017)])
    assert result.accepted is not None


def test_no_candidates() -> None:
    result = rank("Anything", 2000, [])
    assert result.accepted is None and result.ranked == ()
