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
    """An article's token columns as stored (tokens separated by single spaces)."""

    id: int
    title: str
    body: str
    tags: str
    codes: str
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
        return cls(id, title, body, tags, codes, helped, not_helped)

    def field(self, name: str) -> str:
        return getattr(self, name)


def length(text: str) -> int:
    return text.count(" ") + 1 if text else 0


def phrase_count(text: str, phrase: Sequence[str]) -> int:
    """Occurrences of the consecutive tokens `phrase` in a space-separated token string."""
    if not phrase or not text:
        return 0
    return f" {text} ".count(" " + " ".join(phrase) + " ")


def clause_count(clause: Clause, name: str, text: str) -> int:
    """How often `clause` occurs in one field's token string."""
    if not text:
        return 0
    if clause.single:
        return sum(1 for t in text.split() if clause.single in t)
    count = sum(phrase_count(text, p) for p in clause.phrases)
    if clause.code and name == "codes":
        count += sum(1 for t in text.split() if t.startswith(clause.code) and t != clause.code)
    return count


def feedback_factor(helped: int, not_helped: int) -> float:
    """Between 0.5 and 1.5; 1.0 without feedback. Smoothed, so one vote moves it little."""
    return 0.5 + (helped + 1) / (helped + not_helped + 2)


def clause_score(counts: dict[str, int], doc: Doc) -> float:
    total = 0.0
    for name, tf in counts.items():
        if not tf:
            continue
        norm = 1 - B + B * length(doc.field(name)) / TYPICAL_LENGTH[name]
        total += WEIGHTS[name] * tf * (K1 + 1) / (tf + K1 * norm)
    return total


def rank(docs: Sequence[Doc], query: Query, *, require_all: bool = True) -> list[tuple[int, float]]:
    """(id, score) best first; ties by id. With `require_all`, a document must match every
    clause (the search page); otherwise any (suggestions from a free description)."""
    if not docs or query.empty:
        return []
    counts = [
        {
            c: {name: clause_count(c, name, doc.field(name)) for name in WEIGHTS}
            for c in query.clauses
        }
        for doc in docs
    ]
    n = len(docs)
    df = {c: sum(1 for per_doc in counts if any(per_doc[c].values())) for c in query.clauses}
    idf = {c: math.log(1 + (n + 1) / (1 + df[c])) for c in query.clauses}
    out: list[tuple[int, float]] = []
    for doc, per_doc in zip(docs, counts, strict=True):
        hit = [c for c in query.clauses if any(per_doc[c].values())]
        if not hit or (require_all and len(hit) < len(query.clauses)):
            continue
        score = sum(idf[c] * clause_score(per_doc[c], doc) for c in hit)
        score *= feedback_factor(doc.helped, doc.not_helped)
        out.append((doc.id, round(score, 9)))
    out.sort(key=lambda pair: (-pair[1], pair[0]))
    return out
