"""Full-text search: a weighted tsvector on PostgreSQL, an FTS5 table on SQLite.

Everything that differs between the two databases lives here: `index_cables` (called by
`cables.importing` after each batch), `matching`, `by_relevance`, `snippets` and `highlight_body`.
All accept websearch syntax: words (all required), `"exact phrase"`, `OR`, `-word`.

Ranking every match of a common word is slow on PostgreSQL because `ts_rank` has to detoast each
cable's tsvector. Relevance therefore ranks a bounded candidate set (the RANK_CANDIDATES newest
matches) and reads only those vectors; the other matches follow by date, so a page past the
candidates is a page of the date order. SQLite's bm25() reads only FTS5's own index, so there it
ranks every match.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import storedtext
from .models import Cable

RANK_CANDIDATES = 2000
# Private-use characters mark highlights in database output, so the text can be escaped first.
MARK_START, MARK_STOP = "\ue000", "\ue001"
CONFIG = "english"
# bm25() column weights for subject, tags, origin, body: the tsvector's A, B, B and D.
BM25_WEIGHTS = "10.0, 4.0, 4.0, 1.0"

# PostgreSQL's english stop words, dropped on SQLite too so both match the same cables.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "did",
        "do",
        "does",
        "doing",
        "don",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "s",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "t",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)

# Subject weighs most, then tags and the sending post, then the text itself.
# The vector of the cable `c` sent by the post `o`.
POSTGRES_VECTOR = f"""(
    setweight(to_tsvector('english', coalesce(c.subject, '')), 'A')
    || setweight(to_tsvector('english', coalesce((
        SELECT string_agg(t.code, ' ' ORDER BY ct.position)
        FROM cables_cabletag AS ct JOIN cables_tag AS t ON t.id = ct.tag_id
        WHERE ct.cable_id = c.id), '')), 'B')
    || setweight(to_tsvector('english', coalesce(o.name, '')), 'B')
    || setweight(to_tsvector('english', coalesce({storedtext.sql("c", "body")}, '')), 'D'))"""
POSTGRES_INDEX = f"""
UPDATE cables_cable AS c SET search_vector = {POSTGRES_VECTOR}
FROM cables_origin AS o
WHERE o.id = c.origin_id AND c.id = ANY(%s)
"""

# The FTS5 table keeps no text of its own: it reads the columns of this view (external content),
# whose body is a span of the raw text (cables/storedtext.py). Its rows must be deleted while the
# view still shows what was indexed, so `unindex_cables` runs before a cable changes.
SQLITE_CONTENT_VIEW = f"""
CREATE VIEW cables_cable_fts_content AS
SELECT c.id AS id, coalesce(c.subject, '') AS subject, coalesce((
        SELECT group_concat(code, ' ') FROM (
            SELECT t.code FROM cables_cabletag AS ct JOIN cables_tag AS t ON t.id = ct.tag_id
            WHERE ct.cable_id = c.id ORDER BY ct.position)), '') AS tags,
    coalesce(o.name, '') AS origin, coalesce({storedtext.sql("c", "body")}, '') AS body
FROM cables_cable AS c JOIN cables_origin AS o ON o.id = c.origin_id
"""
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE cables_cable_fts USING fts5(subject, tags, origin, body, "
    "content = 'cables_cable_fts_content', content_rowid = 'id', "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)
# One JSON parameter whatever the batch size, so SQLite's variable limit never applies.
SQLITE_DELETE = "DELETE FROM cables_cable_fts WHERE rowid IN (SELECT value FROM json_each(%s))"
SQLITE_INSERT = """
INSERT INTO cables_cable_fts (rowid, subject, tags, origin, body)
SELECT id, subject, tags, origin, body FROM cables_cable_fts_content
WHERE id IN (SELECT value FROM json_each(%s))
"""
SQLITE_MATCH = "SELECT rowid FROM cables_cable_fts WHERE cables_cable_fts MATCH %s"
SQLITE_SNIPPETS = (
    "SELECT rowid, snippet(cables_cable_fts, 3, %s, %s, '…', 40) FROM cables_cable_fts "
    "WHERE cables_cable_fts MATCH %s AND rowid IN (SELECT value FROM json_each(%s))"
)
SQLITE_HIGHLIGHT = (
    "SELECT highlight(cables_cable_fts, 3, %s, %s) FROM cables_cable_fts "
    "WHERE cables_cable_fts MATCH %s AND rowid = %s"
)


def index_cables(cable_ids: Sequence[int]) -> None:
    """Index these cables; call once their text, tags and origin are saved.

    On SQLite a cable indexed before must have been unindexed (`unindex_cables`) before it changed.
    """
    ids = [int(pk) for pk in cable_ids]
    if not ids:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_INDEX, [ids])
        else:
            cursor.execute(SQLITE_INSERT, [_json_ids(ids)])


def unindex_cables(cable_ids: Sequence[int]) -> None:
    """Take indexed cables out of the index; call before their text, tags or origin change."""
    ids = [int(pk) for pk in cable_ids]
    if ids and connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(SQLITE_DELETE, [_json_ids(ids)])


def unindex_deleted(sender: type[Cable], instance: Cable, **kwargs: object) -> None:
    """pre_delete: a deleted cable leaves the index while its TAGs and text are still there."""
    unindex_cables([instance.pk])


def rebuild_index() -> None:
    """Index every cable again from the stored text (after a migration or a repair)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_INDEX.replace("c.id = ANY(%s)", "TRUE"))
        else:
            cursor.execute("INSERT INTO cables_cable_fts (cables_cable_fts) VALUES ('rebuild')")


Phrase = tuple[str, ...]


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

    def to_fts5(self) -> str:
        """The FTS5 expression: every term quoted, so colons, brackets and SQL are plain text."""
        parts = ["(" + " OR ".join(map(_fts5_phrase, clause)) + ")" for clause in self.clauses]
        expression = " AND ".join(parts)
        for phrase in self.excluded:
            expression = f"({expression}) NOT {_fts5_phrase(phrase)}"
        return expression


TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
WORD = re.compile(r"\w+")


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


def matching(queryset: QuerySet, text: str) -> QuerySet:
    """Cables matching the query; a query with no positive words matches nothing."""
    query = parse_query(text)
    if not query:
        return queryset.none()
    if connection.vendor == "postgresql":
        return queryset.filter(search_vector=_ts_query(text))
    return queryset.filter(id__in=RawSQL(SQLITE_MATCH, [query.to_fts5()]))


def by_relevance(queryset: QuerySet, text: str) -> QuerySet:
    """The ranked head of the matches, best first, ties by date; `ranked_count` says how long.

    PostgreSQL ranks only the RANK_CANDIDATES newest matches; the list continues with the other
    matches by date, which is the date order from that position on.
    """
    query = parse_query(text)
    if not query:
        return queryset.none()
    if connection.vendor == "postgresql":
        candidates = queryset.order_by("-created", "-id").values("id")[:RANK_CANDIDATES]
        return (
            queryset.model.objects.for_list()
            .filter(id__in=candidates)
            .annotate(rank=SearchRank(F("search_vector"), _ts_query(text)))
            .order_by("-rank", "-created", "-id")
        )
    # bm25() can only be read from the FTS5 cursor itself, hence the join.
    return queryset.extra(
        tables=["cables_cable_fts"],
        where=["cables_cable_fts.rowid = cables_cable.id", "cables_cable_fts MATCH %s"],
        params=[query.to_fts5()],
        select={"rank": f"-bm25(cables_cable_fts, {BM25_WEIGHTS})"},
    ).order_by("-rank", "-created", "-id")


def ranked_count(total: int | None) -> int | None:
    """How many of `total` matches `by_relevance` ranks (None: all); the rest follow by date."""
    if connection.vendor != "postgresql":
        return total
    return RANK_CANDIDATES if total is None else min(total, RANK_CANDIDATES)


def snippets(cable_ids: Iterable[int], text: str) -> dict[int, SafeString]:
    """An escaped passage of each cable's body with the matching words in <mark>, in one query."""
    ids = [int(pk) for pk in cable_ids]
    query = parse_query(text)
    if not ids or not query:
        return {}
    if connection.vendor == "postgresql":
        headline = _headline(text, max_words=35, min_words=15, max_fragments=2)
        rows = Cable.objects.filter(id__in=ids).annotate(h=headline).values_list("id", "h")
    else:
        with connection.cursor() as cursor:
            args = [MARK_START, MARK_STOP, query.to_fts5(), _json_ids(ids)]
            cursor.execute(SQLITE_SNIPPETS, args)
            rows = cursor.fetchall()
    return {pk: marked(passage or "") for pk, passage in rows}


def highlight_body(cable_id: int, body: str, text: str) -> str:
    """The whole body with MARK_START/MARK_STOP around matching words (not yet escaped)."""
    query = parse_query(text)
    if not query:
        return body
    if connection.vendor == "postgresql":
        found = Cable.objects.filter(id=cable_id).annotate(h=_headline(text, highlight_all=True))
        highlighted = next(iter(found.values_list("h", flat=True)), None)
    else:
        with connection.cursor() as cursor:
            cursor.execute(SQLITE_HIGHLIGHT, [MARK_START, MARK_STOP, query.to_fts5(), cable_id])
            highlighted = next(iter(cursor.fetchone() or ()), None)
    # ts_headline drops anything that looks like an HTML tag; never show a cable altered.
    plain = (highlighted or "").replace(MARK_START, "").replace(MARK_STOP, "")
    return highlighted if plain == body else body


def marked(text: str) -> SafeString:
    """Escape text, then turn the highlight markers into <mark> elements."""
    html = escape(text).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
    return mark_safe(html)  # noqa: S308 - escaped on the line above


def _ts_query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=CONFIG)


def _headline(text: str, **options) -> SearchHeadline:
    return SearchHeadline(
        RawSQL(storedtext.sql(Cable._meta.db_table, "body"), [], output_field=TextField()),
        _ts_query(text),
        config=CONFIG,
        start_sel=MARK_START,
        stop_sel=MARK_STOP,
        fragment_delimiter=" … ",
        **options,
    )


def _words(text: str, *, phrase: bool) -> Phrase:
    words = [w.lower() for w in WORD.findall(text)]
    if not phrase:
        words = [w for w in words if w not in STOP_WORDS]
    return tuple(words)


def _fts5_phrase(words: Phrase) -> str:
    # \w+ words never contain a double quote, so the quoting cannot be broken out of.
    return '"' + " ".join(words) + '"'


def _json_ids(ids: Sequence[int]) -> str:
    return "[" + ",".join(str(int(pk)) for pk in ids) + "]"
