"""A cable's header and body kept as spans of its raw text, so the text is stored once.

The raw record is the truth (it is what `reparse` and the raw exports read). Header and body are
usually a slice of it: verbatim in plain text and Scoop pages, with `\\"` for `"` and `\\'` for
`'` inside a cables.csv field. Where they are a slice, only the offsets are stored and the
column is empty; where they are not (a WikiLeaks page, whose text is HTML), the text itself is
stored. A slice is kept only after checking that reading it back gives exactly the text, so
nothing can change.

Both databases read the same spans through `sql()`: full-text indexing, snippets and headlines
work on the derived text without a second copy of it.
"""

from dataclasses import dataclass

# How a text was written in the raw record, as (plain, written) replacements applied in order:
# the readers turn CRLF into LF, and cables.csv escapes quotes inside a field with a backslash.
# The SQLite content view of the search index holds this SQL (see search.sqlite.CONTENT_VIEW):
# a change here needs a migration that recreates the view and re-runs store() over the archive.
_CRLF = ("\n", "\r\n")
_WRITTEN = {"csv": (('"', '\\"'), ("'", "\\'"), _CRLF)}
_DEFAULT = (_CRLF,)


@dataclass(frozen=True, slots=True)
class Stored:
    """What a cable row keeps of one text: the text itself, or where it lies in the raw record."""

    text: str
    start: int | None = None
    end: int | None = None


def store(raw: str, text: str, format: str) -> Stored:
    """The cheapest exact way to keep `text`: a span of `raw` if one reads back as `text`.

    A writer may or may not have escaped each kind of character (dumps differ on `'`), so every
    combination of the escapes the text can need is tried, most escaped first: at most eight
    linear searches.
    """
    if not text:
        return Stored("")
    pairs = [
        (plain, escaped)
        for plain, escaped in _WRITTEN.get(format, _DEFAULT)
        if plain in text and (escaped != "\r\n" or "\r" in raw)
    ]
    for mask in range((1 << len(pairs)) - 1, -1, -1):
        written = text
        for bit, (plain, escaped) in enumerate(pairs):
            if mask >> bit & 1:
                written = written.replace(plain, escaped)
        start = raw.find(written)
        if start >= 0 and read(raw, "", start, start + len(written), format) == text:
            return Stored("", start, start + len(written))
    return Stored(text)


def read(raw: str, stored: str, start: int | None, end: int | None, format: str) -> str:
    """The text a cable row keeps through `store`."""
    if start is None or end is None:
        return stored
    text = raw[start:end]
    for plain, written in _WRITTEN.get(format, _DEFAULT):
        text = text.replace(written, plain)
    return text


def sql(alias: str, field: str) -> str:
    """The SQL expression (SQLite and PostgreSQL alike) of a text `field` of the cable `alias`.

    substr() counts characters on both databases, as Python's offsets do; the literals hold the
    characters themselves (a CR and an LF), which both databases read as written.
    """
    start, end = f"{alias}.{field}_start", f"{alias}.{field}_end"
    piece = f"substr({alias}.raw, {start} + 1, {end} - {start})"
    cases = [
        f"WHEN {alias}.source_format = '{format}' THEN {_replaced(piece, pairs)}"
        for format, pairs in _WRITTEN.items()
    ]
    return (
        f"(CASE WHEN {start} IS NULL THEN {alias}.{field} {' '.join(cases)} "
        f"ELSE {_replaced(piece, _DEFAULT)} END)"
    )


def _replaced(expression: str, pairs: tuple[tuple[str, str], ...]) -> str:
    for plain, written in pairs:
        expression = f"replace({expression}, {_literal(written)}, {_literal(plain)})"
    return expression


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
