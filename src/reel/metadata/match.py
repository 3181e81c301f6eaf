"""Score how well a provider's candidate fits what a file's name says.

Confidence is title similarity (best of the title, original title, alternative titles,
and the main title before a subtitle) times a year factor. Filenames lose punctuation,
accents and sometimes a leading article, so titles are compared after `normalize_title`.
A winner is only auto-accepted when it is clearly ahead: two films that fit equally
well (a remake named without a year) are left for a person to choose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import msgspec
from rapidfuzz import fuzz

from reel.catalog.text import fold

DEFAULT_THRESHOLD = 0.8
# Relative weights, not probabilities: what a year disagreement costs a perfect title.
_YEAR_EXACT, _YEAR_NEAR, _YEAR_FAR = 1.0, 0.93, 0.45
_YEAR_UNKNOWN_QUERY, _YEAR_UNKNOWN_CANDIDATE = 0.9, 0.85
_SUBTITLE_FACTOR = 0.9  # "Leon" against "Léon: The Professional"
_AMBIGUITY_MARGIN, _AMBIGUITY_FACTOR = 0.05, 0.85

_ARTICLES = re.compile(r"^(?:the|a|an|le|la|les|l|der|die|das|el|los|las|il|lo|gli|de|het|een) ")
_APOSTROPHES = re.compile(r"['’`´]")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_SUBTITLE = re.compile(r"\s*(?::| - | – | — )\s*")


def normalize_title(text: str) -> str:
    """Folded words without punctuation or a leading article: "The Thing!" → "thing"."""
    text = fold(text).replace("&", " and ")
    text = _NON_WORD.sub(" ", _APOSTROPHES.sub("", text)).strip()
    stripped = _ARTICLES.sub("", text)
    return stripped or text


class Candidate(msgspec.Struct, frozen=True):
    """A provider's search hit, reduced to what scoring needs."""

    id: int
    title: str
    year: int | None = None
    original_title: str | None = None
    alt_titles: tuple[str, ...] = ()
    popularity: float = 0.0


class Scored(msgspec.Struct, frozen=True):
    """A candidate with its confidence; `title_score` shows why, for people reviewing."""

    candidate: Candidate
    confidence: float
    title_score: float
    year_factor: float


class MatchResult(msgspec.Struct, frozen=True):
    """Ranked candidates; `accepted` is the best one when it cleared the threshold."""

    ranked: tuple[Scored, ...]
    accepted: Scored | None
    threshold: float


def _variants(candidate: Candidate) -> Iterable[tuple[str, float]]:
    for text in (candidate.title, candidate.original_title, *candidate.alt_titles):
        if not text:
            continue
        yield text, 1.0
        head = _SUBTITLE.split(text, maxsplit=1)[0]
        if head != text and head:
            yield head, _SUBTITLE_FACTOR


def title_similarity(query: str, candidate: Candidate) -> float:
    """Best similarity in [0, 1] between the query and any of the candidate's titles.

    The edit-distance ratio is squared: on long titles an added word ("… Returns")
    still leaves a ratio near 0.9, and a sequel must not pass for the film.
    """
    q = normalize_title(query)
    if not q:
        return 0.0
    best = 0.0
    for text, factor in _variants(candidate):
        best = max(best, (fuzz.ratio(q, normalize_title(text)) / 100.0) ** 2 * factor)
        if best >= 1.0:
            break
    return best


def year_factor(query_year: int | None, candidate_year: int | None) -> float:
    """Release years are off by one across countries and festivals, rarely more."""
    if query_year is None:
        return _YEAR_UNKNOWN_QUERY
    if candidate_year is None:
        return _YEAR_UNKNOWN_CANDIDATE
    gap = abs(query_year - candidate_year)
    return _YEAR_EXACT if gap == 0 else _YEAR_NEAR if gap == 1 else _YEAR_FAR


def score(title: str, year: int | None, candidate: Candidate) -> Scored:
    """The confidence that `candidate` is the film or show a name with `title`/`year` means."""
    sim = title_similarity(title, candidate)
    factor = year_factor(year, candidate.year)
    if year is not None:
        # "Blade Runner 2049.mkv" read as title + year: try the year as part of the title.
        with_year = title_similarity(f"{title} {year}", candidate)
        if with_year * _YEAR_UNKNOWN_QUERY > sim * factor:
            sim, factor = with_year, _YEAR_UNKNOWN_QUERY
    return Scored(candidate, round(sim * factor, 4), round(sim, 4), factor)


def rank(
    title: str,
    year: int | None,
    candidates: Sequence[Candidate],
    threshold: float = DEFAULT_THRESHOLD,
) -> MatchResult:
    """Score and rank candidates (popularity breaks ties) and decide on auto-acceptance."""
    unique = {c.id: c for c in candidates}.values()
    raw = sorted(
        (score(title, year, c) for c in unique),
        key=lambda s: (-s.confidence, -s.candidate.popularity, s.candidate.id),
    )
    # Only a clear winner keeps its score: a candidate with a rival scoring within the
    # margin of it (or above it) is discounted, so ties and also-rans never auto-accept.
    scored = [
        s
        if i == 0 and (len(raw) == 1 or raw[1].confidence < s.confidence - _AMBIGUITY_MARGIN)
        else msgspec.structs.replace(s, confidence=round(s.confidence * _AMBIGUITY_FACTOR, 4))
        for i, s in enumerate(raw)
    ]
    best = scored[0] if scored else None
    accepted = best if best is not None and best.confidence >= threshold else None
    return MatchResult(tuple(scored), accepted, threshold)
