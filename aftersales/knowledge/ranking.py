"""Ranking of search candidates (pure: plain data in, ordered ids out).

The database finds the candidates (FTS5 / tsvector, or the bounded scan for one character);
this one function orders them, the same way on SQLite and PostgreSQL, so both databases give
the same top results. A BM25-like score: per query clause, the best field's saturated term
frequency times the field's weight, times the clause's rarity among the candidates; then the
feedback factor (an article that helped ranks above one that did not).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from aftersales.knowledge.tokens import Clause, Query

# Field weights (title counts most, then fault codes, tags, body).
WEIGHTS = {"title": 4.0, "codes": 3.0, "tags": 2.0, "body": 1.0}
# Typical field lengths in tokens, for length normalisation (fixed: no corpus statistics,
# so the score of a document does not depend on which database found it).
TYPICAL_LENGTH = {"title": 8.0, "codes": 2.0, "tags": 4.0, "body": 150.0}
K1 = 1.2
B = 0.6


@dataclass(frozen=True)
class Doc:
    id: int
    title: Sequence[str]
    body: Sequence[str]
    tags: Sequence[str]
    codes: Sequence[str]
    helped: int = 0
    not_helped: int = 0

    @classmethod
    def from_columns(
        cls,
        id: int,
        title: str,
        body: str,
        tags: str,
        codes: str,
        helped: int = 0,
        not_helped: int = 0,
    ) -> Doc:
        return cls(
            id=id,
            title=title.split(),
            body=body.split(),
            tags=tags.split(),
            codes=codes.split(),
            helped=helped,
            not_helped=not_helped,
        )

    def field(self, name: str) -> Sequence[str]:
        return getattr(self, name)  # type: ignore[no-any-return]


def phrase_count(tokens: Sequence[str], phrase: Sequence[str]) -> int:
    n = len(phrase)
    if n == 0:
        return 0
    if n == 1:
        return sum(1 for t in tokens if t == phrase[0])
    return sum(1 for i in range(len(tokens) - n + 1) if tuple(tokens[i : i + n]) == tuple(phrase))


def clause_count(clause: Clause, name: str, tokens: Sequence[str]) -> int:
    """How often `clause` occurs in one field's tokens."""
    if clause.single:
        return sum(1 for t in tokens if clause.single in t)
    count = sum(phrase_count(tokens, p) for p in clause.phrases)
    if clause.code and name == "codes":
        count += sum(1 for t in tokens if t.startswith(clause.code) and t != clause.code)
    return count


def matches(clause: Clause, doc: Doc) -> bool:
    return any(clause_count(clause, name, doc.field(name)) for name in WEIGHTS)


def feedback_factor(helped: int, not_helped: int) -> float:
    """Between 0.5 and 1.5; 1.0 without feedback. Smoothed, so one vote moves it little."""
    return 0.5 + (helped + 1) / (helped + not_helped + 2)


def clause_score(clause: Clause, doc: Doc) -> float:
    total = 0.0
    for name, weight in WEIGHTS.items():
        tokens = doc.field(name)
        tf = clause_count(clause, name, tokens)
        if not tf:
            continue
        norm = 1 - B + B * len(tokens) / TYPICAL_LENGTH[name]
        total += weight * tf * (K1 + 1) / (tf + K1 * norm)
    return total


def rank(docs: Sequence[Doc], query: Query, *, require_all: bool = True) -> list[tuple[int, float]]:
    """(id, score) best first; ties by id. With `require_all`, a document must match every
    clause (the search page); otherwise any (suggestions from a free description)."""
    if not docs or query.empty:
        return []
    present = {c: [matches(c, d) for d in docs] for c in query.clauses}
    n = len(docs)
    idf = {c: math.log(1 + (n + 1) / (1 + sum(hits))) for c, hits in present.items()}
    out: list[tuple[int, float]] = []
    for i, doc in enumerate(docs):
        hit = [c for c in query.clauses if present[c][i]]
        if not hit or (require_all and len(hit) < len(query.clauses)):
            continue
        score = sum(idf[c] * clause_score(c, doc) for c in hit)
        score *= feedback_factor(doc.helped, doc.not_helped)
        out.append((doc.id, round(score, 9)))
    out.sort(key=lambda pair: (-pair[1], pair[0]))
    return out
