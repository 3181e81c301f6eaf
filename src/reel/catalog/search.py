"""Search as you type over titles, fast on a million items, on SQLite and PostgreSQL.

bm25-ranked FTS over short prefixes ("t*") touches hundreds of thousands of rows, so the
plan gathers a small candidate set in phases that each stop early, then ranks it:

1. exact and title-prefix matches: a range scan of the folded-title B-tree index;
2. word-prefix matches: FTS5 `"w1"* "w2"*` (SQLite) or tsquery `w1:* & w2:*` (PostgreSQL),
   unranked and LIMITed, only when phase 1 did not fill the page;
3. typo tolerance: query words missing from the index vocabulary are corrected with
   rapidfuzz against it (SQLite, via fts5vocab) or matched by trigram word similarity
   (PostgreSQL, pg_trgm), only when phases 1-2 found nothing: a query that already
   matches as typed is not a typo, and trigram scans are the one costly step.

Candidates are then ordered by tier (exact > title prefix > word prefix > fuzzy), kind
(films, shows and channels before episodes), similarity and length.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import column, select, table, text
from sqlalchemy.orm import Session

from reel.catalog import cursor
from reel.catalog.browse import BrowseQuery, Page, filters
from reel.catalog.models import Item
from reel.catalog.text import words
from reel.catalog.views import load_views
from reel.errors import InvalidInput

MAX_QUERY_CHARS = 200
MAX_WORDS = 8
MAX_LIMIT = 200
TYPE_WEIGHT = {"movie": 0, "show": 0, "channel": 0, "episode": 1, "season": 2}
_HIGH = "\U0010ffff"
_FTS = table("items_fts", column("rowid"))
# What ranking needs of a candidate; the view columns are loaded for the winners only.
_CANDIDATE = (Item.id, Item.type, Item.search_title, Item.search_text, Item.sort_key)


@dataclass(frozen=True)
class SearchQuery:
    text: str
    types: Sequence[str] = ()
    source: str | None = None
    limit: int = 50
    after: str | None = None


@dataclass(order=True)
class _Candidate:
    key: tuple[Any, ...]
    id: int = field(compare=False)


def _candidate_rows(session: Session, where: Any, conds: list[Any], cap: int) -> list[Any]:
    stmt = select(*_CANDIDATE).where(where, *conds).limit(cap)
    return list(session.execute(stmt).all())


def _title_range(session: Session, q: str, conds: list[Any], cap: int) -> list[Any]:
    stmt = (
        select(*_CANDIDATE)
        .where(Item.search_title >= q, Item.search_title < q + _HIGH, *conds)
        .order_by(Item.search_title)
        .limit(cap)
    )
    return list(session.execute(stmt).all())


def _fts_sqlite(
    session: Session, groups: list[list[str]], prefix_last: bool, conds: list[Any], cap: int
) -> list[Any]:
    parts = []
    for i, alternatives in enumerate(groups):
        star = "*" if (prefix_last or i < len(groups) - 1) else ""
        terms = " OR ".join(f'"{w}"{star}' for w in alternatives)
        parts.append(f"({terms})" if len(alternatives) > 1 else terms)
    expr = " AND ".join(parts)
    stmt = (
        select(*_CANDIDATE)
        .select_from(_FTS)
        .join(Item, Item.id == _FTS.c.rowid)
        .where(text("items_fts MATCH :expr").bindparams(expr=expr), *conds)
        .limit(cap)
    )
    return list(session.execute(stmt).all())


def _fts_postgres(
    session: Session,
    groups: list[list[str]],
    conds: list[Any],
    cap: int,
    *,
    prefix_last: bool = True,
) -> list[Any]:
    parts = []
    for i, alternatives in enumerate(groups):
        star = ":*" if (prefix_last or i < len(groups) - 1) else ""
        terms = " | ".join(f"'{w}'{star}" for w in alternatives)
        parts.append(f"({terms})")
    tsq = " & ".join(parts)
    where = text(
        "to_tsvector('simple'::regconfig, items.search_text) @@ to_tsquery('simple', :tsq)"
    )
    return _candidate_rows(session, where.bindparams(tsq=tsq), conds, cap)


class _Vocabulary:
    """The index's distinct words by length, for spelling correction on SQLite."""

    ttl = 300.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_len: dict[int, list[str]] = {}
        self._words: set[str] = set()
        self._loaded_at = 0.0
        self._key: object = None

    def get(self, session: Session) -> tuple[set[str], dict[int, list[str]]]:
        key = str(session.get_bind().engine.url)
        with self._lock:
            if self._key != key or time.monotonic() - self._loaded_at > self.ttl:
                terms = session.execute(text("SELECT term FROM items_fts_vocab")).scalars().all()
                by_len: dict[int, list[str]] = {}
                for term in terms:
                    by_len.setdefault(len(term), []).append(term)
                self._by_len, self._words = by_len, set(terms)
                self._loaded_at, self._key = time.monotonic(), key
            return self._words, self._by_len

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = 0.0


VOCABULARY = _Vocabulary()


def invalidate_vocabulary() -> None:
    """Called after a sync commits so typo correction sees new words."""
    VOCABULARY.invalidate()


_PG_TERMS = text(
    "SELECT term FROM search_terms WHERE term % :w ORDER BY similarity(term, :w) DESC LIMIT 100"
)


def _corrections(session: Session, word: str) -> list[str]:
    """Index words within a small edit distance of `word` (itself if it is one)."""
    if session.get_bind().dialect.name == "postgresql":
        choices = list(session.execute(_PG_TERMS, {"w": word}).scalars())
        if word in choices:
            return [word]
    else:
        vocab, by_len = VOCABULARY.get(session)
        if word in vocab:
            return [word]
        choices = []
        for n in range(len(word) - 2, len(word) + 3):
            choices.extend(by_len.get(n, ()))
    matches = process.extract(word, choices, scorer=fuzz.ratio, score_cutoff=72, limit=5)
    return [m[0] for m in matches]


def _fuzzy(session: Session, qwords: list[str], conds: list[Any], cap: int) -> list[Any]:
    groups = []
    for word in qwords:
        if len(word) < 3:
            groups.append([word])
            continue
        corrected = _corrections(session, word)
        if not corrected:
            return []
        groups.append(corrected)
    if session.get_bind().dialect.name == "postgresql":
        return _fts_postgres(session, groups, conds, cap, prefix_last=False)
    return _fts_sqlite(session, groups, False, conds, cap)


def _rank(rows: list[Any], q: str, qwords: list[str], fuzzy_ids: set[int]) -> list[_Candidate]:
    ranked = []
    for row in rows:
        title = row.search_title
        if title == q or row.search_text == q:
            tier = 0
        elif title.startswith(q):
            tier = 1
        elif row.id not in fuzzy_ids:
            tier = 2
        else:
            tier = 3
        similarity = 100.0 if tier < 2 else fuzz.token_set_ratio(q, row.search_text)
        key = (
            tier,
            TYPE_WEIGHT.get(row.type, 3),
            -round(similarity),
            len(title),
            row.sort_key,
            row.id,
        )
        ranked.append(_Candidate(key=key, id=row.id))
    ranked.sort()
    return ranked


def search(session: Session, sq: SearchQuery, user_id: int | None = None) -> Page:
    """A page of the best matches for `sq.text`; hostile input just finds nothing."""
    if not 1 <= sq.limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    qwords = words(sq.text.replace("\x00", " ")[:MAX_QUERY_CHARS])[:MAX_WORDS]
    q = " ".join(qwords)
    offset = 0
    if sq.after:
        (offset,) = cursor.decode(sq.after, "search:" + q, 1)
        if not isinstance(offset, int) or offset < 0:
            raise InvalidInput("invalid cursor: pass the `next` value of a previous page")
    if not qwords:
        return Page(items=[], next=None)
    conds = filters(session, BrowseQuery(types=sq.types, source=sq.source), user_id)
    want = offset + sq.limit + 1
    cap = max(want * 4, 200)
    rows = {r.id: r for r in _title_range(session, q, conds, cap)}
    fuzzy_ids: set[int] = set()
    if len(rows) < want:
        if session.get_bind().dialect.name == "postgresql":
            found = _fts_postgres(session, [[w] for w in qwords], conds, cap)
        else:
            found = _fts_sqlite(session, [[w] for w in qwords], True, conds, cap)
        rows.update((r.id, r) for r in found)
    if not rows and any(len(w) >= 3 for w in qwords):
        for r in _fuzzy(session, qwords, conds, cap):
            if r.id not in rows:
                rows[r.id] = r
                fuzzy_ids.add(r.id)
    ranked = _rank(list(rows.values()), q, qwords, fuzzy_ids)
    window = ranked[offset : offset + sq.limit]
    items = load_views(session, [c.id for c in window], user_id)
    more = len(ranked) > offset + sq.limit
    next_cursor = cursor.encode("search:" + q, [offset + sq.limit]) if more else None
    return Page(items=items, next=next_cursor)
