"""The query a reader types, read once into terms: no database here.

Words are all required; `"an exact phrase"` (straight or curly quotes); `a OR b`; `-word`,
`-"phrase"` or `NOT word` to exclude; `narco*` for a prefix; `NEAR(cocaine heroin, 10)` or
`cocaine NEAR/10 heroin` for two terms at most N words apart, in either order. Each backend
writes the same terms in its own syntax, so both databases read a query alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MAX_CHARACTERS = 1000
MAX_TERMS = 64
MIN_PREFIX = 3  # letters before a `*`: shorter prefixes expand to most of the index
NEAR_DISTANCE, MAX_NEAR_DISTANCE = 10, 100
MAX_PREFIXES = 3  # each expands to every indexed word it starts
MAX_NEARS = 4  # PostgreSQL spells each NEAR as 2 x (distance + 1) alternatives

# PostgreSQL's own english stop-word file (tsearch_data/english.stop, the Snowball list), so
# SQLite drops the words PostgreSQL drops and both match the same cables.
STOP_WORDS = frozenset(
    line.strip() for line in (Path(__file__).with_name("english.stop")).read_text().splitlines()
) - {""}

CURLY_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"'})
# One pass, left to right; every alternative is anchored on a distinct first character or
# bounded, so a token never backtracks over the text.
TOKEN = re.compile(
    r"""(?P<near>NEAR\((?P<inner>[^()]{0,1000})\))
    | (?P<nearop>NEAR/(?P<distance>\d{1,4}))(?=\s|$)
    | (?P<negated>-)?"(?P<quoted>[^"]*)"?(?P<quoted_prefix>\*)?
    | (?P<bare>[^\s"]+)""",
    re.VERBOSE,
)
WORD = re.compile(r"\w+")


class QueryError(ValueError):
    """A query the archive will not run, with the reason in words a reader understands."""


@dataclass(frozen=True)
class Phrase:
    """Words in this order; with `prefix`, the last is the start of a word."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Near:
    """Two phrases at most `distance` words apart, in either order."""

    parts: tuple[Phrase, Phrase]
    distance: int


Term = Phrase | Near


@dataclass(frozen=True)
class Query:
    """A parsed query: every clause must match; a clause is terms joined by OR."""

    text: str
    clauses: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.clauses)

    @property
    def terms(self) -> tuple[str, ...]:
        """Every word the query looks for, once, in order."""
        found = (w for clause in self.clauses for term in clause for w in _words_of(term))
        return tuple(dict.fromkeys(found))


def parse_query(text: str) -> Query:
    """Read the query; a query too long to run cheaply raises QueryError."""
    text = text or ""
    if len(text) > MAX_CHARACTERS:
        raise QueryError(f"a search is at most {MAX_CHARACTERS:,} characters ({len(text):,} here)")
    clauses: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = negate_next = False
    near_next: int | None = None
    count = 0
    for match in TOKEN.finditer(text.translate(CURLY_QUOTES)):
        bare = match["bare"]
        if bare in ("OR", "or"):
            join_next = bool(clauses)
            continue
        if bare == "NOT":
            negate_next = True
            continue
        if match["nearop"]:
            near_next = int(match["distance"])
            continue
        term, negated = _term(match)
        if term is None:
            continue
        count += len(_words_of(term))
        if count > MAX_TERMS:
            raise QueryError(f"a search is at most {MAX_TERMS} words")
        if near_next is not None and clauses and not negated and not negate_next:
            previous = clauses[-1][-1]
            if isinstance(previous, Phrase) and isinstance(term, Phrase):
                clauses[-1][-1] = Near((previous, term), _distance(near_next))
                near_next = None
                continue
        near_next = None
        if negated or negate_next:
            excluded.append(term)
        elif join_next:
            clauses[-1].append(term)
        else:
            clauses.append([term])
        join_next = negate_next = False
    query = Query(text, tuple(map(tuple, clauses)), tuple(excluded))
    terms = [*(term for clause in query.clauses for term in clause), *query.excluded]
    prefixes = [t for t in terms if isinstance(t, Phrase) and t.prefix]
    prefixes += [p for t in terms if isinstance(t, Near) for p in t.parts if p.prefix]
    if len(prefixes) > MAX_PREFIXES:
        raise QueryError(f"a search has at most {MAX_PREFIXES} prefixes (word*)")
    if sum(isinstance(term, Near) for term in terms) > MAX_NEARS:
        raise QueryError(f"a search has at most {MAX_NEARS} NEARs")
    return query


def _term(match: re.Match[str]) -> tuple[Term | None, bool]:
    if match["near"] is not None:
        return _near(match["inner"]), False
    if match["quoted"] is not None:
        return _phrase(match["quoted"], quoted=True, prefix=bool(match["quoted_prefix"])), bool(
            match["negated"]
        )
    bare = match["bare"]
    negated = bare.startswith("-") and len(bare) > 1
    if negated:
        bare = bare[1:]
    prefix = bare.endswith("*")
    return _phrase(bare.rstrip("*"), quoted=False, prefix=prefix), negated


def _near(inner: str) -> Near | None:
    body, comma, distance = inner.rpartition(",")
    if not comma or not distance.strip().isdigit():
        body, distance = inner, str(NEAR_DISTANCE)
    parts = [
        phrase
        for token in TOKEN.finditer(body.translate(CURLY_QUOTES))
        if (phrase := _term(token)[0]) is not None and isinstance(phrase, Phrase)
    ]
    if len(parts) != 2:
        raise QueryError("NEAR takes two words or phrases: NEAR(cocaine heroin, 10)")
    return Near((parts[0], parts[1]), _distance(int(distance)))


def _distance(words: int) -> int:
    if words > MAX_NEAR_DISTANCE:
        raise QueryError(f"NEAR reaches at most {MAX_NEAR_DISTANCE} words")
    return words


def _phrase(text: str, *, quoted: bool, prefix: bool) -> Phrase | None:
    words = [w.lower() for w in WORD.findall(text)]
    if prefix and words and len(words[-1]) < MIN_PREFIX:
        raise QueryError(f"a prefix needs at least {MIN_PREFIX} letters before the *")
    if not quoted and not prefix:
        words = [w for w in words if w not in STOP_WORDS]
    return Phrase(tuple(words), prefix) if words else None


def _words_of(term: Term) -> tuple[str, ...]:
    if isinstance(term, Near):
        return term.parts[0].words + term.parts[1].words
    return term.words
