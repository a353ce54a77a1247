"""TAGS (Traffic Analysis by Geography and Subject): the line, its codes, and what they mean.

The TAGS line is typed by hand, so it comes misspelt (`TAGE`, `TGS:`), run together
(`PHUMBA`), spread over several lines, interrupted by page breaks, and mixed with the free-text
keywords and personal names some posts put there. `parse_tags` undoes what it safely can.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

from .markings import CLASSIFICATION, PAGE_START

KINDS = ("subject", "geo", "program", "person", "org")

_SEARCH_LIMIT = 6000
_LONGEST_CODE = 12  # a typo is one letter off a code: longer words are not typos of one
_LONGEST_RUN = 60  # ten codes typed together; a longer word is no run of codes
_MAX_CONTINUATION_LINES = 4

# A letter class first lets the engine skip to candidates; the letter before is checked apart.
_LABEL = re.compile(
    r"(?P<label>[Tt](?i:AGS?|AGES?|AS|GS|ABS)|[Aa](?i:GS))"
    r"(?:(?P<punct>[ \t]*[:;,](?!\d))|(?=[ \t]))[ \t]*"
)
_PLAIN_LABELS = frozenset({"TAG", "TAGS"})
# Where a TAGS line ends even without a line break: the next caption, or a page break.
_CUT = re.compile(
    r"\bS?UBJ(?:ECT)?\b\s*:|\bSUBJECT\b|\bREF(?:S|TELS?)?\s*:|\bE\.?\s?O\.?\s+1\d{4}|"
    r"\bCLASSIFIED\s+BY\b|"
    rf"(?:\b{CLASSIFICATION}\s+)?\b{PAGE_START}",
    re.IGNORECASE,
)
_STOP_LINE = re.compile(
    r"\s*(?:S?UBJ(?:ECT)?\b|REF|E\.?\s?O\.?\s|EO\s+1\d{4}|CLASSIFIED\b|SIPDIS|NOFORN|"
    rf"\d+\s*\.|¶|\(|[A-Z] [A-Z] [A-Z] |{PAGE_START})",
    re.IGNORECASE,
)
# A TAGS line run onto the E.O. line: "E.O. 12958:  DECL: 03/20/2019 TAG PTER, PGOV".
_EO_BEFORE = re.compile(r"^\s*E\.?\s?O\.?\s?1\d{4}\b")
_SUBJECT_LINE = re.compile(r"\s*S?UBJ(?:ECT)?\b", re.IGNORECASE)
_TAG_LIKE_LINE = re.compile(r"[A-Z0-9 ,/()&.'_-]+")
_TOKEN = re.compile(r"\([^)]*\)?|,|[^\s,()]+")
_WORD = re.compile(r"[A-Z][A-Z'-]*[A-Z]|[A-Z]")
_CODE_LEADS = frozenset("ACEMOPSTK")
_VOWELS = frozenset("AEIOU")
_DROPPED = frozenset({"SIPDIS", "NOFORN", ""})
_NAMED_BY_NEXT_WORDS = frozenset({"OVIP", "OREP", "OTRA", "OEXC"})
# Two-letter country codes that are also English words: inside a phrase they are words.
_FUNCTION_WORDS = frozenset({"IN", "IS", "TO", "AS", "IT", "AN", "AT", "BY", "OF", "ON", "OR"})
_SUBJECT_LETTERS = frozenset("ACEMOPST")
_NAME_PARTICLES = frozenset({"AL", "EL", "DE", "DA", "DI", "DU", "LA", "LE", "VAN", "VON"})


@dataclass(frozen=True, slots=True)
class GlossaryEntry:
    kind: str  # one of KINDS
    description: str  # "" when the code is attested but its meaning is not recorded


@dataclass(frozen=True, slots=True)
class _Lexicon:
    entries: Mapping[str, GlossaryEntry]
    fixes: Mapping[str, tuple[str, ...]]
    given_names: frozenset[str]
    phrases: Mapping[str, int]  # phrase -> word count, for longest-first matching
    persons: Mapping[tuple[str, str], str]  # (surname, given name) -> canonical tag
    code_lengths: tuple[int, ...]


def glossary() -> Mapping[str, GlossaryEntry]:
    """The known TAGS, upper case, with kind and meaning."""
    return _lexicon().entries


def tag_kind(tag: str) -> str:
    """ "subject", "geo", "program", "person" or "org"; "unknown" when no rule applies."""
    tag = tag.strip().upper()
    entry = _lexicon().entries.get(tag)
    if entry:
        return entry.kind
    if "," in tag:
        return "person"
    if len(tag) == 2 and tag.isalpha():
        return "geo"
    if len(tag) == 4 and tag.isalpha():
        return "program" if tag[0] == "K" else "subject" if tag[0] in _SUBJECT_LETTERS else "org"
    return "unknown"


@dataclass(frozen=True, slots=True)
class TagsLine:
    """The TAGS line as written, and what each of its items became."""

    label: str  # "TAGS:", "TAGE:", "TAGS"
    items: tuple[tuple[str, tuple[str, ...]], ...]  # ("PHUMBA", ("PHUM", "BA")), ("RU", ("RS",))

    @property
    def tags(self) -> tuple[str, ...]:
        """The TAGS in order, without duplicates."""
        return tuple(dict.fromkeys(tag for _written, found in self.items for tag in found))

    @property
    def written(self) -> tuple[str, ...]:
        return tuple(written for written, _found in self.items)


def parse_tags(content: str, canonicalize: bool = True) -> tuple[str, ...]:
    """The TAGS of a cable body, upper case, in order, without duplicates.

    With `canonicalize`, run-together codes are split, misspellings fixed and well-known
    personal names given their usual form.
    """
    line = read_tags(content, canonicalize)
    return line.tags if line else ()


def read_tags(content: str, canonicalize: bool = True) -> TagsLine | None:
    """The TAGS line with each item as written beside the TAGS it was read as; None if none."""
    found = _tags_text(content)
    if found is None:
        return None
    label, text = found
    return TagsLine(label=label, items=tuple(_tags_from_text(text, canonicalize)))


def _tags_text(content: str) -> tuple[str, str] | None:
    head = content[:_SEARCH_LIMIT]
    for m in _LABEL.finditer(head):
        if m.start() and head[m.start() - 1].isascii() and head[m.start() - 1].isalnum():
            continue
        line_start = head.rfind("\n", 0, m.start()) + 1
        before = head[line_start : m.start()]
        at_line_start = not before.strip() or bool(_EO_BEFORE.search(before))
        plain = m.group("label").upper() in _PLAIN_LABELS
        # "STATE FOR EUR/AGS, EUR/PGI": a misspelt label counts only where a label stands.
        colon = (m.group("punct") or "").strip() == ":"
        if (at_line_start and (plain or m.group("punct"))) or (
            before[-1:].isspace() and (colon or (plain and m.group("punct")))
        ):
            label = m.group(0).strip()
            return label, _collect_lines(head, m.end())
    return None


def _collect_lines(head: str, start: int) -> str:
    lines = head[start:].split("\n")
    first, cut = _cut(lines[0])
    parts = [first]
    if cut:
        return first
    rest = lines[1:]
    if not first.strip() and rest and _TAG_LIKE_LINE.fullmatch(rest[0].strip() or "-"):
        parts, rest = [rest[0]], rest[1:]
    for i, line in enumerate(rest[:_MAX_CONTINUATION_LINES]):
        if not line.strip() or _STOP_LINE.match(line):
            break
        text, cut = _cut(line)
        follows = rest[i + 1] if i + 1 < len(rest) else ""
        if not (parts[-1].rstrip().endswith(",") or _continues(text, follows)):
            break
        parts.append(text)
        if cut:
            break
    return " ".join(parts)


def _cut(line: str) -> tuple[str, bool]:
    m = _CUT.search(line)
    return (line[: m.start()], True) if m else (line, False)


def _continues(text: str, following_line: str) -> bool:
    """An unmarked continuation line: codes in upper case, or a last fragment before SUBJECT."""
    stripped = text.strip()
    if not stripped or not _TAG_LIKE_LINE.fullmatch(stripped):
        return False
    entries = _lexicon().entries
    has_code = any(word in entries for word in re.split(r"[\s,]+", stripped))
    return has_code or bool(_SUBJECT_LINE.match(following_line))


Item = tuple[str, tuple[str, ...]]  # as written, and the TAGS it stands for


def _tags_from_text(text: str, canonicalize: bool) -> Iterator[Item]:
    for group in _comma_groups(text.upper()):
        yield from _tags_from_words(group, canonicalize)


def _comma_groups(text: str) -> Iterator[list[str]]:
    """Words between commas; a parenthesised name stays one word."""
    group: list[str] = []
    for token in _TOKEN.findall(text):
        if token == ",":
            if group:
                yield group
            group = []
            continue
        token = token.strip("()").strip() if token.startswith("(") else token.rstrip(".:;")
        if token.startswith("(") or "," in token or token not in _DROPPED:
            group.append(token)
    if group:
        yield group


def _tags_from_words(words: list[str], canonicalize: bool) -> Iterator[Item]:
    lex = _lexicon()
    pending: list[str] = []  # consecutive words that are no code: a free-text keyword
    i = 0
    while i < len(words):
        word = words[i]
        if "," in word:
            yield from _flush(pending)
            yield word, (_person(word, canonicalize),)
            i += 1
            continue
        phrase_len = _phrase_at(words, i)
        person = _person_at(words, i, canonicalize)
        if phrase_len > 1 or (phrase_len and not pending and not _is_code(word)):
            yield from _flush(pending)
            phrase = " ".join(words[i : i + phrase_len])
            yield phrase, (phrase,)
            i += phrase_len
        elif person:
            yield from _flush(pending)
            yield f"{words[i]} {words[i + 1]}", (person,)
            i += 2
        elif _is_code(word) and not (pending and _is_phrase_word(words, i)):
            yield from _flush(pending)
            yield word, tuple(_fixed(word, canonicalize))
            if word in _NAMED_BY_NEXT_WORDS:
                named = _named_person(words, i + 1, canonicalize)
                if named:
                    yield f"{words[i + 1]} {words[i + 2]}", (named,)
                    i += 2
            i += 1
        elif canonicalize and (split := _split_run(word, lex) or _fix_typo(word, lex)):
            yield from _flush(pending)
            yield word, (split,) if isinstance(split, str) else split
            i += 1
        elif not pending and _is_lone_country(words, i):
            # "YE COUNTER TERRORISM": a country code before free words is a TAG of its own
            yield word, lex.fixes.get(word, (word,)) if canonicalize else (word,)
            i += 1
        else:
            pending.append(word)
            i += 1
    yield from _flush(pending)


def _is_lone_country(words: list[str], i: int) -> bool:
    word = words[i]
    return (
        len(word) == 2
        and word.isalpha()
        and word not in _FUNCTION_WORDS
        and word not in _NAME_PARTICLES
        and i + 1 < len(words)
        and words[i + 1].isalpha()
        and len(words[i + 1]) > 2
    )


def _is_phrase_word(words: list[str], i: int) -> bool:
    return words[i] in _FUNCTION_WORDS and i + 1 < len(words) and not _is_code(words[i + 1])


def _flush(pending: list[str]) -> Iterator[Item]:
    if pending:
        phrase = " ".join(pending)
        pending.clear()
        yield phrase, _lexicon().fixes.get(phrase, (phrase,))


def _is_code(word: str) -> bool:
    if word in _lexicon().entries:
        return True
    # An unlisted code: four letters led by a subject letter or K, hardly any vowels.
    return (
        len(word) == 4
        and word.isalpha()
        and word[0] in _CODE_LEADS
        and sum(c in _VOWELS for c in word[1:]) <= 1
        and word not in _lexicon().given_names
    )


def _fixed(word: str, canonicalize: bool) -> Iterable[str]:
    if not canonicalize:
        return (word,)
    lex = _lexicon()
    if word in lex.fixes:
        return lex.fixes[word]
    if word not in lex.entries:
        return (_fix_typo(word, lex) or word,)
    return (word,)


def _phrase_at(words: list[str], i: int) -> int:
    phrases = _lexicon().phrases
    for size in range(min(5, len(words) - i), 0, -1):
        if " ".join(words[i : i + size]) in phrases:
            return size
    return 0


def _person_at(words: list[str], i: int, canonicalize: bool) -> str | None:
    lex = _lexicon()
    if i + 1 >= len(words) or words[i] in lex.entries or words[i] in lex.given_names:
        return None
    if words[i + 1] in lex.given_names or (words[i], words[i + 1]) in lex.persons:
        return _person(f"{words[i]}, {words[i + 1]}", canonicalize)
    return None


def _named_person(words: list[str], i: int, canonicalize: bool) -> str | None:
    """OVIP and its kin are followed by the visitor's name: SURNAME GIVEN."""
    if i + 1 < len(words) and all(
        _WORD.fullmatch(w) and w not in _lexicon().entries for w in words[i : i + 2]
    ):
        return _person(f"{words[i]}, {words[i + 1]}", canonicalize)
    return None


def _person(name: str, canonicalize: bool) -> str:
    surname, _, given = (part.strip() for part in name.partition(","))
    name = f"{surname}, {given}" if given else surname
    if canonicalize and given:
        return _lexicon().persons.get((surname, given.split()[0]), name)
    return name


def _fix_typo(word: str, lex: _Lexicon) -> str | None:
    """A code with one letter doubled or slipped in: MOPPS, UNDESCO, POGOV."""
    if not 5 <= len(word) <= _LONGEST_CODE + 1 or not word.isalpha():
        return None
    candidates = {word[:k] + word[k + 1 :] for k in range(len(word))}
    known = [c for c in candidates if c in lex.entries and lex.entries[c].kind != "person"]
    return known[0] if len(known) == 1 else None


def _split_run(word: str, lex: _Lexicon) -> tuple[str, ...] | None:
    """Codes typed without spaces (ETRDEINVECINPGOVCS), split into the fewest known codes."""
    if not 5 <= len(word) <= _LONGEST_RUN or not word.isalpha() or word in lex.entries:
        return None
    best: list[tuple[str, ...] | None] = [None] * (len(word) + 1)
    best[0] = ()
    for end in range(2, len(word) + 1):
        for size in lex.code_lengths:
            start = end - size
            prefix = best[start] if start >= 0 else None
            piece = word[start:end] if start >= 0 else ""
            if prefix is None or piece not in lex.entries:
                continue
            candidate = (*prefix, piece)
            if best[end] is None or len(candidate) < len(best[end]):  # type: ignore[arg-type]
                best[end] = candidate
    pieces = best[-1]
    if not pieces or len(pieces) < 2:
        return None
    short = sum(1 for p in pieces if len(p) == 2)
    return pieces if short <= len(pieces) - short else None


@cache
def _lexicon() -> _Lexicon:
    raw = json.loads(
        resources.files(__package__).joinpath("tag_glossary.json").read_text(encoding="utf-8")
    )
    entries = {
        code: GlossaryEntry(kind=item["kind"], description=item["description"])
        for code, item in raw["tags"].items()
    }
    geo_names = (e.description.upper() for e in entries.values() if e.kind == "geo")
    phrases = {
        phrase: phrase.count(" ") + 1
        for phrase in [*(code for code in entries if " " in code), *geo_names]
        if "(" not in phrase
    }
    persons = {
        (surname, given.split()[0]): code
        for code, entry in entries.items()
        if entry.kind == "person"
        for surname, _, given in [(part.strip() for part in code.partition(","))]
    }
    lengths = sorted({len(c) for c in entries if c.isalpha() and len(c) <= 6}, reverse=True)
    return _Lexicon(
        entries=MappingProxyType(entries),
        fixes=MappingProxyType({k: tuple(v) for k, v in raw["fixes"].items()}),
        given_names=frozenset(raw["given_names"]),
        phrases=MappingProxyType(phrases),
        persons=MappingProxyType(persons),
        code_lengths=tuple(lengths),
    )
