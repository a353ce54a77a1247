"""The query a reader types, read once into words and phrases: no database here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

Phrase = tuple[str, ...]

# PostgreSQL's own english stop-word file (tsearch_data/english.stop, the Snowball list), so
# SQLite drops the words PostgreSQL drops and both match the same cables.
STOP_WORDS = frozenset(
    line.strip() for line in (Path(__file__).with_name("english.stop")).read_text().splitlines()
) - {""}

TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Query:
    """A parsed websearch query: every clause must match; a clause is phrases joined by OR."""

    text: str
    clauses: tuple[tuple[Phrase, ...], ...] = ()
    excluded: tuple[Phrase, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.clauses)

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w for clause in self.clauses for p in clause for w in p))


def parse_query(text: str) -> Query:
    """Read websearch syntax the way PostgreSQL's websearch_to_tsquery does."""
    clauses: list[list[Phrase]] = []
    excluded: list[Phrase] = []
    join_next = False
    for match in TOKEN.finditer(text or ""):
        negated, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None and bare.lower() == "or":
            join_next = bool(clauses)
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negated, bare = "-", bare[1:]
        words = _words(quoted if quoted is not None else bare, phrase=quoted is not None)
        if not words:
            continue
        if negated:
            excluded.append(words)
        elif join_next:
            clauses[-1].append(words)
        else:
            clauses.append([words])
        join_next = False
    return Query(text, tuple(map(tuple, clauses)), tuple(excluded))


def _words(text: str, *, phrase: bool) -> Phrase:
    words = [w.lower() for w in WORD.findall(text)]
    if not phrase:
        words = [w for w in words if w not in STOP_WORDS]
    return tuple(words)
