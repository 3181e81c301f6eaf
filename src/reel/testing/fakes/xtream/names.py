"""Deterministic titles for the fake catalog: unicode on purpose, cheap to compute.

A panel's titles come from every language and decoration style there is; the sync engine,
the search index and the UI must cope with all of them, so the fake mixes them in.
"""

from __future__ import annotations

WORDS = (
    "Amélie",
    "Straße",
    "Ёлка",
    "東京",
    "Ωmega",
    "Café",
    "Niño",
    "Søren",
    "Łódź",
    "İstanbul",
    "Ærø",
    "Zoë",
    "Naïve",
    "Dragon",
    "River",
    "Night",
    "Summer",
    "Shadow",
    "Crown",
    "Station",
    "Garden",
    "Harbor",
    "Signal",
    "Empire",
    "Müller",
    "Ñandú",
    "Señorita",
    "Κύμα",
    "서울",
    "القاهرة",
    "Fox & Hound",
    "Orbit",
)
PREFIXES = ("DE", "UK", "FR", "TR", "ES", "PL")
CHANNEL_SUFFIXES = ("HD", "FHD", "HEVC", "SD", "4K", "")
GENRES = ("Action", "Drama", "Komödie", "Thriller", "Animation", "Documentary", "Science Fiction")
EXTENSIONS = ("mp4", "mkv", "mp4", "avi", "mp4")


def mix(i: int, seed: int, salt: int = 0) -> int:
    """A well-spread 32-bit hash of (i, seed, salt); the fake's only source of variety."""
    h = (i * 2654435761 + seed * 40503 + salt * 97531) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 2246822519) & 0xFFFFFFFF
    h ^= h >> 13
    return h


def title(i: int, seed: int, salt: int) -> str:
    """Two or three words, unique enough to search for."""
    h = mix(i, seed, salt)
    first = WORDS[h % len(WORDS)]
    second = WORDS[(h >> 8) % len(WORDS)]
    words = [first, second] if first != second else [first]
    if h & 0x10000:
        words.append(str(i))
    return " ".join(words)


def year(i: int, seed: int, salt: int) -> int:
    return 1950 + mix(i, seed, salt + 11) % 75


def genres(i: int, seed: int, salt: int) -> str:
    h = mix(i, seed, salt + 23)
    first = GENRES[h % len(GENRES)]
    second = GENRES[(h >> 5) % len(GENRES)]
    return first if first == second else f"{first}, {second}"
