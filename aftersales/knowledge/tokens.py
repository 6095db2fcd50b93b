"""The one tokenizer for Chinese and Latin text, used for indexing and for queries alike.

Pure (no Django): text in, tokens out.

- NFKC first, so full-width letters and digits (Ｅ４, ２５) become E4, 25, and lower case.
- Each run of Han characters becomes its overlapping bigrams (压缩机 -> 压缩 缩机); a run of
  one character is that character (门). Two-character words (压缩, 漏水, 制冷) are the heart of
  Chinese fault vocabulary, so they are always whole tokens.
- Each run of Latin letters and digits is one lower-case word (KFR35GW -> kfr35gw).
- Everything else (punctuation, spaces, symbols) separates tokens.
- Fault codes are also kept as a normalised field (`code_key`: E-41 -> e41) matched by
  prefix, so a query for E4 finds E41.

A query is parsed into clauses (`parse_query`): each clause is a list of alternatives, each
alternative a phrase (a list of consecutive tokens). Synonym groups (不制冷 / 不冷 / 制冷差) turn
the phrase of any member into an alternative of every member.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_HAN_RANGES = (
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x2FA1F),  # Extensions B-F and compatibility supplement
)


def is_han(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _HAN_RANGES) or ch == "〇"


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


@dataclass(frozen=True)
class Run:
    """A stretch of text of one kind: `han` or `word`."""

    kind: str
    text: str


def runs(text: str) -> list[Run]:
    """Split normalised text into Han runs and Latin/digit word runs."""
    out: list[Run] = []
    kind = ""
    buf: list[str] = []
    for ch in normalise(text):
        k = "han" if is_han(ch) else "word" if _is_word_char(ch) else ""
        if k != kind and buf:
            out.append(Run(kind, "".join(buf)))
            buf = []
        kind = k
        if k:
            buf.append(ch)
    if buf and kind:
        out.append(Run(kind, "".join(buf)))
    return out


def run_tokens(run: Run) -> list[str]:
    if run.kind == "word":
        return [run.text]
    if len(run.text) == 1:
        return [run.text]
    return [run.text[i : i + 2] for i in range(len(run.text) - 1)]


def tokens(text: str) -> list[str]:
    """The tokens of `text`, in order (repeats kept: positions matter for phrases)."""
    out: list[str] = []
    for run in runs(text):
        out.extend(run_tokens(run))
    return out


def index_text(text: str) -> str:
    """What the derived search column stores: the tokens separated by spaces."""
    return " ".join(tokens(text))


_CODE_RE = re.compile(r"^[a-z]{1,4}\d[a-z0-9]*$|^\d{1,3}[a-z][a-z0-9]*$")


def code_key(code: str) -> str:
    """A fault code's normalised form: NFKC, lower case, letters and digits only."""
    return "".join(ch for ch in normalise(code) if _is_word_char(ch))


def looks_like_code(word: str) -> bool:
    """A Latin/digit word shaped like a fault code (E4, e41, F12, P0, 5e)."""
    return bool(_CODE_RE.match(word))


def codes_text(codes: Iterable[str]) -> str:
    return " ".join(k for k in (code_key(c) for c in codes) if k)


# --- queries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One thing the query asks for: any of `phrases` (each a list of consecutive tokens).

    `code` is set when the clause looks like a fault code: it then also matches any fault
    code starting with it. `single` is a lone Han character (not in the bigram index)."""

    phrases: tuple[tuple[str, ...], ...]
    code: str = ""
    single: str = ""

    @property
    def all_tokens(self) -> set[str]:
        return {t for p in self.phrases for t in p}


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.clauses

    @property
    def needs_scan(self) -> bool:
        """A lone Han character has no token of its own in the bigram index."""
        return any(c.single for c in self.clauses)


def synonym_groups(lines: Iterable[str]) -> list[list[str]]:
    """Parse the company's synonym list: one group a line, members separated by / , ， 、 or
    spaces; blank lines and lines starting with # ignored."""
    groups: list[list[str]] = []
    for line in lines:
        line = normalise(line).strip()
        if not line or line.startswith("#"):
            continue
        members = [m for m in re.split(r"[/,，、;；|\s]+", line) if tokens(m)]
        if len(members) > 1:
            groups.append(list(dict.fromkeys(members)))
    return groups


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(tokens(text))


def parse_query(text: str, synonyms: Sequence[Sequence[str]] = (), *, loose: bool = False) -> Query:
    """Parse what someone typed into clauses (all must match on the search page).

    A run of Han characters is one phrase clause (the words as typed, in order); `loose`
    (suggestions from a free fault description) makes each bigram its own clause instead."""
    text = normalise(text)
    clauses: list[Clause] = []
    # Synonyms first: a member found in the text becomes one clause of every member.
    for group in sorted(synonyms, key=lambda g: -max(len(m) for m in g)):
        for member in sorted(group, key=len, reverse=True):
            if member and member in text:
                phrases = tuple(dict.fromkeys(p for p in (_phrase(m) for m in group) if p))
                clauses.append(Clause(phrases=phrases))
                text = text.replace(member, " ")
                break
    for run in runs(text):
        if run.kind == "word":
            clauses.append(
                Clause(
                    phrases=((run.text,),),
                    code=run.text if looks_like_code(run.text) else "",
                )
            )
        elif len(run.text) == 1:
            clauses.append(Clause(phrases=((run.text,),), single=run.text))
        elif loose:
            clauses.extend(Clause(phrases=((t,),)) for t in run_tokens(run))
        else:
            clauses.append(Clause(phrases=(_phrase(run.text),)))
    # A lone character beside words (了 in 不制冷了, 大 in 异响大, or 坏 in 压缩机 坏) would turn
    # the whole query into a scan for little gain: only a query of lone characters keeps them.
    if any(not c.single for c in clauses):
        clauses = [c for c in clauses if not c.single]
    return Query(clauses=tuple(dict.fromkeys(clauses)))
