"""The cable body: classification line, caveats, DECL date, Classified By, summary, signer.

Every function takes the cable text from the classification line on (a header in front of it is
tolerated) and is pure: no Django, no I/O. The patterns follow the way the State Department's
cables were actually typed between 1966 and 2010, typos included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import islice

from .markings import (
    CLASSIFICATION,
    MARKING_LEVEL,
    MARKING_PART,
    PAGE_START,
    SECTION_MARKER,
)
from .types import ClassifiedBy, Paragraph

__all__ = [
    "ClassificationLine",
    "caveats",
    "classification_line",
    "clean_content",
    "decl_line",
    "nondisclosure_deadline",
    "paragraphs",
    "parse_classified_by",
    "parse_summary",
    "signed_by",
]


@dataclass(frozen=True, slots=True)
class ClassificationLine:
    classification: str  # as published: "SECRET//NOFORN"
    station: str  # without spaces: "RIODEJANEIRO"
    serial: str  # as written: "003673"
    section: str = ""  # "01 OF 02"
    line: int = 0  # 1-based
    written: str = ""  # the marking as typed: "C O N F I D E N T I A L", "CC O N F I D …"
    caveats: tuple[str, ...] = ()  # handling caveats near the line: SIPDIS, NOFORN, REL TO …
    offset: int = 0  # where the line starts in the text searched

    @property
    def garbled(self) -> bool:
        """The marking was typed with a stray letter ("CC O N F I D E N T I A L")."""
        return "".join(self.written.split()).upper() not in _MARKING_WORDS


def _spaced(word: str) -> str:
    return r"\s?".join(word)


# ---------------------------------------------------------------------------------------------
# Classification line and caveats

# At a line start, or after a tab where a release glued the text onto the last header line.
# Searched in "\n" + text: opening with a character class lets the engine seek candidates.
_CLS_LINE = re.compile(
    r"[\n\t](?:(?<=\n)|(?<=[^ \t]\t))[ \t]*(?=[TtSsCcUuLl])(?P<cls>"
    rf"T?T\s?O\s?P\s+{_spaced('SECRET')}|S?{_spaced('SECRET')}|C?{_spaced('CONFIDENTIAL')}"
    r"|U?UNCLAS(?:SIFIED)?|LIMITED\s+OFFICIAL\s+USE)"
    # Blanks and words are bounded: every line start is a candidate, so each must fail fast.
    r"(?P<mid>(?://?\s{0,4}[A-Z]{1,20})*(?:\s{1,8}(?:SENSITIVE|NOFORN|SBU|E\s?F\s?T\s?O|NODIS"
    r"|EXDIS|LIMDIS|FOR\s+OFFICIAL\s+USE\s+ONLY))*)"
    r"(?:\s{1,40}SECTION\s{1,8}(?P<section>\d{1,2}\s{1,4}OF\s{1,4}\d{1,2}))?"
    r"[ \t]{1,40}(?:\d{2}[ \t]{1,40})?"
    r"(?P<station>X{3,40}|[A-Z][A-Z.'\-]{0,24}(?:[ \t][A-Z][A-Z.'\-]{0,24}){0,3}?)"
    r"[ \t]{1,40}(?P<serial>\d{1,7})"
    r"(?P<rest>[ \t]+(?:SIPDIS|NOFORN|SENSITIVE|NODIS|EXDIS|LIMDIS|E\.?\s?O\.?)\b[^\n]*)?"
    r"[ \t\r\\]*$",
    re.M | re.I,
)
_CAVEAT_WORDS = ("SIPDIS", "NOFORN", "NODIS", "EXDIS", "LIMDIS", "STADIS", "ORCON", "SENSITIVE")
_CAVEAT = re.compile(
    r"\b(?P<word>" + "|".join(_CAVEAT_WORDS) + r")\b"
    r"|\bREL(?:\s+TO)?\s+(?P<rel>(?:USA|[A-Z]{3}|NATO|FVEY)(?:\s*(?:,|AND)\s*(?:[A-Z]{3,4}))*)\b"
    r"|\b(?P<channel>CX[A-Z]{3,}):?"
    r"|\b(?P<fouo>FOR OFFICIAL USE ONLY|FOUO|SBU)\b",
    re.I,
)
_CAVEAT_REGION_END = re.compile(
    r"^\s*(?:E\.?\s?O\.?\s?\d{4,5}|TAGS?\b|SUBJ(?:ECT)?\b|CLASSIFIED\s+BY|\d+\.\s)", re.I
)
_FOUO = "FOR OFFICIAL USE ONLY"
_SPACED_LETTERS = re.compile(r"\b(?:[A-Z] ){3,}[A-Z]\b")
_CAVEAT_LINES = 12


_MARKING_WORDS = frozenset(
    {"TOPSECRET", "SECRET", "CONFIDENTIAL", "UNCLAS", "UNCLASSIFIED", "LIMITEDOFFICIALUSE"}
)


def classification_line(body: str, start: int = 0) -> ClassificationLine | None:
    """The `C O N F I D E N T I A L LIMA 003673` line, wherever it is in `body` from `start`."""
    m = _CLS_LINE.search("\n" + body, start)
    if m is None:
        return None
    word = "".join(m.group("cls").split()).upper()
    found = _caveats_from(body, m.start())
    mid = (m.group("mid") or "").upper()
    return ClassificationLine(
        classification=_published(word, found, mid),
        station="".join(m.group("station").split()).upper(),
        serial=m.group("serial"),
        section=" ".join((m.group("section") or "").split()).upper(),
        line=body.count("\n", 0, m.start()) + 1,
        written=" ".join(m.group("cls").split()),
        caveats=tuple(c for c in found if c != _FOUO),
        offset=m.start(),
    )


def _published(word: str, found: tuple[str, ...], mid: str) -> str:
    if word.endswith("SECRET") and "TOP" in word[:4]:
        base = "TOP SECRET"
    elif word.endswith("SECRET"):
        base = "SECRET"
    elif word.endswith("CONFIDENTIAL"):
        base = "CONFIDENTIAL"
    else:
        sensitive = {"SENSITIVE", _FOUO} & set(found) or "SENSITIVE" in mid
        if word.startswith("LIMITED") or sensitive or "SBU" in mid:
            return "UNCLASSIFIED//FOR OFFICIAL USE ONLY"
        return "UNCLASSIFIED"
    return f"{base}//NOFORN" if "NOFORN" in found or "NOFORN" in mid else base


def caveats(body: str) -> tuple[str, ...]:
    """Handling caveats near the top (SIPDIS, NOFORN, REL TO …), deduplicated, in order."""
    return caveats_near(body, classification_line(body))


def caveats_near(body: str, line: ClassificationLine | None) -> tuple[str, ...]:
    """The caveats of a body whose classification line was read already (None: it has none)."""
    if line is not None:
        return line.caveats
    return tuple(c for c in _caveats_from(body, 0) if c != _FOUO)


def _caveats_from(body: str, start: int) -> tuple[str, ...]:
    lines = body[start : start + 3000].splitlines()
    region: list[str] = []
    for number, line in enumerate(lines[:_CAVEAT_LINES]):
        if number and _CAVEAT_REGION_END.match(line):
            break
        region.append(_SPACED_LETTERS.sub(lambda m: m.group(0).replace(" ", ""), line))
    found: dict[str, None] = {}
    for m in _CAVEAT.finditer("\n".join(region)):
        if m.group("word"):
            found.setdefault(m.group("word").upper())
        elif m.group("rel"):
            found.setdefault("REL TO " + " ".join(m.group("rel").split()).upper())
        elif m.group("channel"):
            found.setdefault(m.group("channel").upper())
        else:
            found.setdefault(_FOUO)
    return tuple(found)


# ---------------------------------------------------------------------------------------------
# E.O. line and declassification date

_EO_LINE = re.compile(r"\bE\.?[ \t]?O\.?[ \t]?(?:1[0-3]\d{3})\b[^\n]*(?:\n[ \t]*DECL[^\n]*)?", re.I)
_EO_END = re.compile(r"\s(?:TAGS?|SUBJ(?:ECT)?)\b:?", re.I)
_DECL_ONLY = re.compile(r"\bDECL(?:ASSIFY\s+ON)?\b[^\n]*", re.I)
_NOT_A_DEADLINE = re.compile(r"DECLASSIFIED|AS\s+AMENDED", re.I)
_DATES = (
    (re.compile(r"(?<!\d)(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?!\d)"), ("y", "m", "d")),
    (re.compile(r"(?<![\d.])(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})(?!\d)"), ("m", "d", "y")),
    (re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)"), ("y", "m", "d")),
)


def decl_line(content: str) -> str:
    """The E.O. line as written: `E.O. 12958: DECL: 11/20/2017`."""
    m = _EO_LINE.search(content[:20000])
    if m is None:
        m = _DECL_ONLY.search(content[:5000])
        return m.group(0).strip() if m else ""
    text = m.group(0)
    end = _EO_END.search(text)
    return " ".join((text[: end.start()] if end else text).split())


def nondisclosure_deadline(content: str) -> date | None:
    """The date the cable may be declassified, from its E.O. (or bare DECL) line."""
    line = decl_line(content)
    if not line or _NOT_A_DEADLINE.search(line):
        return None
    eo = re.match(r"E\.?\s?O\.?\s?\d{5}", line, re.I)
    return _first_date(line[eo.end() :] if eo else line)


def _first_date(text: str) -> date | None:
    for pattern, order in _DATES:
        for m in pattern.finditer(text):
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            year = parts["y"]
            if year < 100:
                year += 2000 if year < 50 else 1900
            try:
                return date(year, parts["m"], parts["d"])
            except ValueError:
                continue
    return None


# ---------------------------------------------------------------------------------------------
# Classified By

_CLASSIFIED_BY = re.compile(r"[Cc](?i:lassi?fi?ed[ \t]+by\b(?![\s\"'”’]+line\b)[ \t]*:?)")
_CB_SEARCH_LIMIT = 8000
_STATEMENTS_TRIED = 12  # the statement is at the top; a text quoting more is not searched on
_CB_MAX_LINES = 3
_WRAP_WIDTH = 71  # the 2010 releases cut lines at this column, even mid-word
_LEADING_NOISE = re.compile(
    r"^(?:\s|\(\w{1,4}\)|\d\.|classi?fi?ed\s+by\s*:?|this\s+message\s+classified\s+by)+", re.I
)
_REASONS_START = re.compile(
    r"""(?ix)
    (?<!\s)  # from the start of a run of blanks only, never from inside it
    (?:
      \s*(?:[-,;:.]\s*)?\b(?:f(?:o|0)?r\s+(?:for\s+)?(?=re|ra|rs|\d|e\.?\s?o\b|\(|section|para)
        |fr\b|per\b|under\b|based\b|due\s+to\b)
    | \s*[-,;:.]\s*(?=r[ea]{0,3}s[eo0]{0,2}ns?\b|reaons?\b|reas?\b|e\.?\s?o\b
                     |\d\s?[.,/:]\s?\d|section\b|12958)
    | \s+(?=reasons?\b|1\.[2456]\b)
    )
    """
)
_REASON_TEXT = re.compile(
    r"(?<!\d)1\s?[.,/:]?\s?[2-7](?!\d)(?:[\s,;&+/]*(?:\(\s*[a-hA-H](?:\s*[,/&+]\s*[a-hA-H])*\s*\)?|\b[a-hA-H]\b"
    r"|\b(?:and|AND|a\s?nd|A\s?ND|an\s?d|or|OR)\b|[&+]|\(\s*[a-hA-H]\b|(?<=\d)[a-hA-H]\b))*\)?"
)
_TOKEN = re.compile(r"\([^)\s]*\)?|[^\s,;:?()/\-–]+(?:-[^\s,;:?()/\-–]+)*|[,;:?/]|[-–]+")
_SUFFIX = re.compile(r"^(?:JR\.?|SR\.?|II|III|IV)[.,]?$", re.I)
_INITIAL = re.compile(r"^(?:[A-Z0]\.?|(?:[A-Z]\.){2,})$")
_MIXED_NAME = re.compile(
    r"^(?:[A-Z]\.)?(?:O'|D'|Mc|Mac|Le|La|De|Di|Du|Da|Van|Von|[A-Z])?[A-Z][a-z]+"
    r"(?:[-'][A-Z]?[a-z]+)*\.?$"
)
_UPPER_NAME = re.compile(r"^[A-Z0][A-Z0'\\]*(?:-[A-Z][A-Z']*)*\.?$")
_ACRONYM = re.compile(r"^[A-Z&]{2,}\.?$")
_PARTICLES = frozenset({"van", "von", "de", "da", "del", "der", "di", "du", "le", "la", "al", "el"})
_PREPOSITIONS = frozenset({"FOR", "OF", "TO", "IN", "AT", "ON"})
_TITLE_TEXT = """
    AI A.I. AND THE BY DOS CLASSIFICATION GUIDE U.S. US USG AMERICAN ACTING AMBASSADOR AMB
    AMBASSADOR-AT-LARGE LARGE CHARGE CDA AFFAIRES AFFAIRS DCM DEPUTY CHIEF MISSION POLITICAL
    ECONOMIC ECONOMICS POL ECON POLOFF ECONOFF CONOFF POLECON ECOPOL POLMIL MILITARY
    POLITICAL-MILITARY POLCOUNS ECONCOUNS POLMINCOUNS ECONMINCOUNS POLMINCONS ECMIN EMIN
    COUNCILOR POLMIN MIN COUNSELOR COUNSELLOR COUNS COUNSEL COUN MINISTER MINISTER-COUNSELOR MC
    M-C MCOUNSELOR SECTION HEAD DIRECTOR DIR OFFICER OFFICE OFF ASSISTANT SECRETARY DAS PDAS
    UNDER UNDERSECRETARY SPECIAL ENVOY REPRESENTATIVE PERMANENT ADVISOR ADVISER LEGAL ATTACHE
    DEFENSE LTC COL GEN MAJ CAPT CDR LT ADM LABOR CONSUL GENERAL CONGEN CONSULATE PRINCIPAL PO
    DPO RSO ARSO TDY LEGATT USEU USUN USNATO USOSCE UNVIE AIT IPO NEA AF EUR WHA EAP SCA ISN IO
    PM INR VCI PRM AFR CT PRT TEAM LEADER GOVERNANCE COORDINATOR DELEGATE DELEGATION USDEL
    MEMBER CHAIRMAN CHAIR UNIT INSTITUTIONAL INTERAGENCY PROVINCIAL ARMS CONTROL STATE
    DEPARTMENT EMBASSY DEPT DIPLOMATIC SECURITY COM ECPO MGMT MANAGEMENT PUBLIC PAO PAS CHARGE'
    SENIOR RESIDENT COORDINATION COMMERCIAL AGRICULTURAL REGIONAL AFFAIRS. ASSOCIATE ASST SEC
    A/S DIVISION BUREAU OFFICE, SECOND FIRST THIRD EXECUTIVE ENVIRONMENT SCIENCE HEALTH
    CONFIDENTIAL SECRET UNCLASSIFIED NOFORN SIPDIS
"""
_TITLE_WORDS = frozenset(_TITLE_TEXT.split())
_FUZZY = 0.85
_FUZZY_TITLES: dict[str, tuple[str, ...]] = {}
for _word in sorted(w for w in _TITLE_WORDS if len(w) >= 5 and w.isalpha()):
    _FUZZY_TITLES[_word[0]] = (*_FUZZY_TITLES.get(_word[0], ()), _word)


def parse_classified_by(content: str, normalize: bool = False) -> ClassifiedBy | None:
    """Who classified the cable, in what role and for which reasons.

    `normalize` title-cases names written in capitals (`JAMES D. NEALON` -> `James D. Nealon`).
    """
    head = content[:_CB_SEARCH_LIMIT]
    first: ClassifiedBy | None = None
    for m in islice(_classified_by_labels(head), _STATEMENTS_TRIED):
        text = _classified_by_text(head, m.end())
        who, reasons = _split_reasons(text)
        if re.search(r"(?<![.\d])\b\d{2,}\b(?![.,]\d)", who):
            continue  # a REF list or a serial number, not a person
        names, title = _names_and_title(who)
        if normalize:
            names = tuple(_normalize_name(n) for n in names)
        found = ClassifiedBy(
            names=names,
            title=title,
            reasons=reasons,
            text=(m.group(0) + " " + text).strip(),
        )
        if names:
            return found
        first = first or found
    return first


def _classified_by_labels(text: str) -> Iterator[re.Match[str]]:
    """Each "Classified By" of the text in order, found through its "LASS" or "lass" (str.find
    seeks at C speed where a case-insensitive pattern steps through every character)."""
    starts = []
    for core in ("LASS", "lass"):
        at = text.find(core, 1)
        while at != -1:
            starts.append(at - 1)
            at = text.find(core, at + 4)
    for start in sorted(starts):
        m = _CLASSIFIED_BY.match(text, start)
        if m:
            yield m


def _classified_by_text(text: str, start: int) -> str:
    """The Classified By statement: up to a blank line, joining lines the way they were cut."""
    line_start = text.rfind("\n", 0, start) + 1
    lines = text[line_start:].split("\n", _CB_MAX_LINES + 2)[: _CB_MAX_LINES + 1]
    joined = lines[0][start - line_start :]
    for previous, line in zip(lines, lines[1:], strict=False):
        if not line.strip():
            if joined.strip():
                break
            continue
        if len(previous.rstrip()) >= _WRAP_WIDTH:
            joined = joined.rstrip() + line
        else:
            joined = joined.rstrip() + " " + line.strip()
    return " ".join(joined.split())


def _split_reasons(text: str) -> tuple[str, str]:
    who = _LEADING_NOISE.sub("", text)
    m = _REASONS_START.search(who)
    if m is None:
        return who.strip(" .,;:"), ""
    reasons = _REASON_TEXT.search(who, m.end())
    reason_text = reasons.group(0).strip().rstrip(".").strip() if reasons else ""
    return who[: m.start()].strip(" ,;:"), reason_text


def _names_and_title(who: str) -> tuple[tuple[str, ...], str]:
    matches = list(_TOKEN.finditer(who))
    tokens = [m.group(0) for m in matches]
    upper = not any(c.islower() for c in re.sub(r"\b(?:a\.\s?i\.|ai\.?)", "", who))
    runs = _name_runs(tokens, upper)
    if not runs and not upper:
        runs = _name_runs(tokens, True)
    chosen = _joined_names([run for run in runs if len(run[1]) >= 2], tokens) or runs[-1:]
    names = tuple(_format_name(tokens, run) for run in chosen)
    if not chosen:
        return (), who.strip(" ,;:-")
    before = who[: matches[chosen[0][0]].start()]
    last = chosen[-1][1][-1]
    if last + 2 < len(tokens) and tokens[last + 1] == "," and _SUFFIX.match(tokens[last + 2]):
        last += 2
    title = before.strip(" ,;:-–/") or who[matches[last].end() :].strip(" ,;:-–/.")
    return names, " ".join(title.split())


def _joined_names(
    runs: list[tuple[int, list[int]]], tokens: list[str]
) -> list[tuple[int, list[int]]]:
    """The first name, and the others only when "and" joins them to it."""
    kept = runs[:1]
    for start, indices in runs[1:]:
        between = tokens[kept[-1][1][-1] + 1 : start]
        if any(t.lower() in ("and", "&") for t in between):
            kept.append((start, indices))
    return kept


def _is_break(token: str) -> bool:
    return token in {",", ";", ":", "?", "/", "-", "–"} or token.startswith("(")


def _name_runs(tokens: list[str], upper: bool) -> list[tuple[int, list[int]]]:
    """Maximal runs of name-like tokens: (index of the first token, indices kept as the name)."""
    runs: list[tuple[int, list[int]]] = []
    i = 0
    while i < len(tokens):
        if not _is_name_token(tokens[i], upper):
            i += 1
            continue
        start = i
        while i < len(tokens) and (
            _is_name_token(tokens[i], upper) or _is_particle(tokens, i, upper)
        ):
            if i > start and tokens[i - 1].endswith(".") and not _INITIAL.match(tokens[i - 1]):
                break
            i += 1
        indices = list(range(start, i))
        following = tokens[i] if i < len(tokens) else ""
        if (
            following
            and not _is_break(following)
            and _is_title(following)
            and not tokens[i - 1].endswith(".")
        ):
            continue  # "SOUTH ASIAN AFFAIRS": words of a title, not a name
        preceded_by_preposition = start > 0 and tokens[start - 1].upper() in _PREPOSITIONS
        kept = _trim_run(tokens, indices, preceded_by_preposition)
        if kept:
            runs.append((kept[0], kept))
    return runs


def _is_particle(tokens: list[str], i: int, upper: bool) -> bool:
    """ "van" in "Carol van Voorst": lower case, between two parts of a name."""
    return tokens[i] in _PARTICLES and i + 1 < len(tokens) and _is_name_token(tokens[i + 1], upper)


def _trim_run(tokens: list[str], indices: list[int], after_preposition: bool) -> list[int]:
    """Drop words a title left in front of the name ("Pakistan Richard C. Holbrooke")."""
    while len(indices) > 1 and re.fullmatch(r"[A-Z]", tokens[indices[0]]):
        indices = indices[1:]  # "M/C David", "U/S Ellen": the tail of an abbreviation
    if all(_INITIAL.match(tokens[i]) for i in indices):
        return []
    initials = [n for n, i in enumerate(indices) if _INITIAL.match(tokens[i])]
    if initials:
        block = initials[-1]
        while block > 0 and block - 1 in initials:
            block -= 1
        return indices[max(block - 1, 0) :]
    if after_preposition and len(indices) > 2:
        return indices[-2:]
    return indices


def _is_name_token(token: str, upper: bool) -> bool:
    if _is_break(token) or token.upper() in _PREPOSITIONS or _is_title(token):
        return False
    if _INITIAL.match(token):
        return True
    if upper:
        return bool(_UPPER_NAME.match(token))
    if _ACRONYM.match(token) and not _SUFFIX.match(token):
        return False
    return bool(_MIXED_NAME.match(token) or _SUFFIX.match(token))


def _is_title(token: str) -> bool:
    word = token.upper().replace("0", "O").replace("\\", "").strip(".'")
    if not word or _SUFFIX.match(word):
        return False
    if word in _TITLE_WORDS or token.upper() in _TITLE_WORDS:
        return True
    if "-" in word and any(part in _TITLE_WORDS for part in word.split("-")):
        return True
    if "&" in word or "'" in word and word.split("'")[-1] in _TITLE_WORDS:
        return True
    return len(word) >= 4 and word.isalpha() and _misspelt_title(word)


@lru_cache(maxsize=8192)
def _misspelt_title(word: str) -> bool:
    """ "Ambassaor", "Counsleor", "CIEF": one or two keystrokes away from a title word."""
    for title in _FUZZY_TITLES.get(word[0], ()):
        if abs(len(word) - len(title)) > 2:
            continue
        matcher = SequenceMatcher(None, word, title)
        if matcher.real_quick_ratio() >= _FUZZY and matcher.ratio() >= _FUZZY:
            return True
    return False


def _format_name(tokens: list[str], run: tuple[int, list[int]]) -> str:
    indices = run[1]
    words = [tokens[i] for i in indices]
    end = indices[-1] + 1
    if end + 1 < len(tokens) and tokens[end] == "," and _SUFFIX.match(tokens[end + 1]):
        words[-1] += ","
        words.append(tokens[end + 1])
    if _SUFFIX.match(words[-1]) and words[-1].upper().startswith(("JR", "SR")):
        words[-1] = words[-1].rstrip(".,") + "."
    name = " ".join(w.replace("\\", "") for w in words)
    if not re.search(r"\b(?:JR|SR|Jr|Sr)\.$", name) and not _INITIAL.match(words[-1]):
        name = name.rstrip(".,")
    return name


def _normalize_name(name: str) -> str:
    if any(c.islower() for c in name):
        return name
    return " ".join(_title_word(w) for w in name.split())


def _title_word(word: str) -> str:
    if re.fullmatch(r"(?:II|III|IV)[.,]?", word):
        return word
    word = re.sub(r"(?<=[A-Z])0|0(?=[A-Z.])", "O", word)
    titled = "-".join(part.capitalize() for part in word.lower().split("-"))
    titled = re.sub(r"\bMc([a-z])", lambda m: "Mc" + m.group(1).upper(), titled)
    return re.sub(r"\b([OD])'([a-z])", lambda m: m.group(1) + "'" + m.group(2).upper(), titled)


# ---------------------------------------------------------------------------------------------
# Summary

# "END SUMMARY", "End of Summary": the words before a SUMMARY found by _summary_words.
_END_BEFORE = re.compile(r"\bEND\s+(?:OF\s+)?$", re.I)
_END_REACH = 40
_SUMMARY_HEAD = re.compile(
    r"""(?imx)
    (?:^|(?<=[.:]\s)|(?<=\)\s)|(?<=\))|(?<=\.\s\s))
    [ \t]*(?:[-=‐]+[ \t]*)?(?:¶?\d{1,2}\.?[ \t]*)?(?:\([A-Z/ ]{1,8}\)[ \t]*)?(?:BEGIN[ \t]+)?
    SUMMA?R?Y\b
    (?:[ \t]*(?:AND|/|&)[ \t]*(?:COMMENTS?|ACTION[ \t]+REQUESTS?|INTRODUCTION|TABLE[ \t]+OF[ \t]+
       CONTENTS|RECOMMENDATIONS?|ANALYSIS|BACKGROUND))?
    (?:[ \t]*(?:\([A-Z/ ]{1,8}\)))?
    [ \t]*(?:[:.,\-=‐]+|(?=\n)|[ \t])
    """
)
# The heading's own word, to look for headings only where one can be: a letter class first.
_SUMMARY_WORD = re.compile(r"[Ss](?i:UMMA?R?Y)\b")
_HEADING_REACH = 80  # a heading's number, marking and label around the word
_HEADINGS_TRIED = 25  # the heading is among the first uses of the word, or there is none
_FIRST_PARAGRAPH = re.compile(r"(?m)^[ \t]*(?:¶[ \t]*)?1[ \t]*\.")
_MARK = rf"{MARKING_LEVEL}(?:{MARKING_PART})*"
_MARKING_PREFIX = re.compile(
    rf"^(?:¶?[ \t]*\d{{1,3}}[ \t]*\.(?!\d)[ \t]*(?:\(?{_MARK}\)[ \t]*)?|\({_MARK}\)[ \t]*)"
)
# The second branch starts where a run of blanks starts, or a run of tabs is tried from each tab.
_MAX_SUMMARY = 20_000  # the longest real summaries run to a few thousand characters
_RULE_PIECES = ("---", "===", "‐‐‐", "___", "- - -", "= = =", "_ _ _", "‐ ‐ ‐")  # in every rule
_RULE_LINE = re.compile(r"(?m)^[ \t]*(?:[-=‐_][ \t]?){3,}[ \t]*$|(?<![ \t])[ \t]*[-=‐]{3,}[ \t]*")
_SUMMARY_AGAIN = re.compile(
    r"^(?:SUMMARY(?:[ \t]+AND[ \t]+(?:COMMENT|ACTION REQUEST))?[ \t]*[:.\-][ \t]*"
    r"|(?:AND[ \t]+)?(?:COMMENT|ACTION REQUEST)[ \t]*[:.][ \t]*|CONTINUED[ \t]*[:.][ \t]*)",
    re.I,
)
_SUMMARY_FALLBACK_END = re.compile(r"\n[ \t]*\n|[-=‐]{4,}")


def parse_summary(content: str) -> str:
    """The text between SUMMARY and END SUMMARY, without paragraph numbers and markings."""
    words = _summary_words(content)
    if not words:
        return ""
    end = _end_summary(content, words)
    if end is not None:
        start = _summary_start(content, end, words)
        return _clean_summary(content[start:end]) if start is not None else ""
    head = _summary_head(content, len(content), words)
    if head is None:
        return ""
    rest = content[head.end() :]
    lead = re.match(r"(?:\s|[-=‐])*(?:¶?\d{1,2}\.[ \t]*)?(?:\([A-Z/ ]{1,8}\)[ \t]*)?", rest)
    body_start = lead.end() if lead else 0
    stop = _SUMMARY_FALLBACK_END.search(rest, body_start)
    return _clean_summary(rest[: stop.start() if stop else len(rest)])


def _summary_words(content: str) -> list[re.Match[str]]:
    """Each SUMMARY (Summary, SUMMRY, summay …) of the text, in order, found through its
    "UMM" or "umm": str.find seeks at C speed where a case-insensitive pattern steps through
    every character."""
    starts = []
    for core in ("UMM", "umm"):
        at = content.find(core, 1)
        while at != -1:
            starts.append(at - 1)
            at = content.find(core, at + 3)
    words: list[re.Match[str]] = []
    for start in sorted(starts):
        word = _SUMMARY_WORD.match(content, start)
        if word and (start == 0 or not content[start - 1].isalnum()):
            words.append(word)
    return words


def _end_summary(content: str, words: list[re.Match[str]]) -> int | None:
    """Where the first END SUMMARY (END OF SUMMARY) starts."""
    for word in words:
        if word.group(0).upper() != "SUMMARY":
            continue
        before = _END_BEFORE.search(content, max(0, word.start() - _END_REACH), word.start())
        if before:
            return before.start()
    return None


def _summary_head(content: str, end: int, words: list[re.Match[str]]) -> re.Match[str] | None:
    """The first SUMMARY heading before `end`, looked for only around the word itself."""
    for tried, word in enumerate(w for w in words if w.end() <= end):
        if tried == _HEADINGS_TRIED:
            break
        start = max(0, word.start() - _HEADING_REACH)
        head = _SUMMARY_HEAD.search(content, start, min(end, word.end() + _HEADING_REACH))
        if head and head.end() >= word.end():
            return head
    return None


def _summary_start(content: str, end: int, words: list[re.Match[str]]) -> int | None:
    head = _summary_head(content, end, words)
    if head:
        return head.end()
    cb = _CLASSIFIED_BY.search(content, 0, end)
    first = _FIRST_PARAGRAPH.search(content, cb.end() if cb else 0, end)
    if first is None:
        first = _FIRST_PARAGRAPH.search(content, 0, end)
    return first.start() if first else None


def _clean_summary(text: str) -> str:
    text = text[:_MAX_SUMMARY]
    if any(rule in text for rule in _RULE_PIECES):
        text = _RULE_LINE.sub(" ", text)
    lines: list[str] = []
    for raw in text.splitlines():
        if not raw or raw.isspace():
            continue
        line = _MARKING_PREFIX.sub("", raw.strip(), count=1).strip()
        while not lines and line:  # "1. Summary: (SBU) …" under a SUMMARY heading
            stripped = _MARKING_PREFIX.sub("", _SUMMARY_AGAIN.sub("", line), count=1).strip()
            if stripped == line:
                break
            line = stripped
        if line:
            lines.append(line)
    return "\n".join(lines).strip()


# ---------------------------------------------------------------------------------------------
# Signer

_NAME = r"(?:[A-Z](?:[A-Z'\-]|c(?=[A-Z]))+(?:[ \t]+[A-Z](?:[A-Z'\-]|c(?=[A-Z]))+)?)"
_SIGNATURE = re.compile(
    rf"^(?:\(?SIGNED\)?:?[ \t]*)?(?P<names>{_NAME}(?:[ \t]*[/,][ \t]*{_NAME})*)"
    r"[ \t]*(?:[.#]+[ \t]*)?$"
)
_INLINE_SIGNATURE = re.compile(
    r"(?:[.:)*][ \t]+|[”\"'][ \t]*|\.(?=[A-Z]{4})|\bUNQUOTE[ \t]+)"
    rf"(?P<names>{_NAME})[ \t]*(?:[.#]+[ \t]*)?$"
)
_MIXED_SURNAME = r"(?:Mc|Mac|Le|La|De|Di|Van|O')?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_MIXED_SIGNATURE = re.compile(rf"^(?P<names>{_MIXED_SURNAME})(?:[ \t]+[Jj]r)?\.?$")
# A signer glued to the end of the last sentence when a release lost the line breaks:
# "...regardless of his formal position. Beyrle", "...index. cfm Tuttle".
_GLUED_SIGNATURE = re.compile(
    rf"(?:[.!?:)*”\"'][ \t]+|(?:https?://|www\.)\S*(?:[ \t]+[a-z0-9._/:-]+)*[ \t]+)"
    rf"(?P<names>{_MIXED_SURNAME})(?:[ \t]+[Jj]r)?[ \t]*$"
)
_URL = re.compile(r"https?://|\bwww\.", re.I)
# Matched against stripped lines: no blanks around, so none are matched there.
_SKIP_AT_END = re.compile(
    rf"""(?ix)^(?:
      {CLASSIFICATION}
          (?:\s*(?:/{{1,2}}\s*)?(?:NOFORN|SIPDIS|SENSITIVE|NODIS|EXDIS|FOR\s+OFFICIAL\s+USE\s+ONLY))*
    | NOFORN | SIPDIS | SENSITIVE | N{{3,}} | BT | UNQUOTE | REGARDS
    | [\W_]+
    | {PAGE_START}.*
    | {SECTION_MARKER}
    | \d{{4}}[A-Z]+\d+\s*-.*
    | NOTE\b.* | DECLASSIFIED/RELEASED\b.* | (?:SYSTEMATIC\s+)?REVIEW\s+\d.* | .*\bhttps?://.*
    | (?:PLEASE\s+)?VISIT\b.*
    | .*\.\.\.
    | END\s+(?:OF\s+)?CABLE(?:\s+TEXT)?
    | FOR\s+MORE\s+(?:REPORTING|INFORMATION)\b.* | .*CLASSIFIED\s+WEB\s?SITE.*
    )$"""
)
_NOT_A_SIGNER_TEXT = """
    END TEXT COMMENT SUMMARY NOTE QUOTE UNQUOTE REGARDS NNNN BT CONFIDENTIAL SECRET
    UNCLASSIFIED UNCLAS SIPDIS NOFORN SENSITIVE LIMITED OFFICIAL USE GDS ADS CITY DRAFT
    MINIMIZE CONSIDERED FYI ACTION INFO REF REFTEL STATE DEPT THANKS CHEERS"""
_NOT_A_SIGNER = frozenset(_NOT_A_SIGNER_TEXT.split())
# Words that open a sentence: a cable cut off mid-text ends in one ("...5.6 percent. The").
_SENTENCE_START_TEXT = """
    THE THIS THESE THOSE THAT THERE THEY THEIR THEN THUS HE SHE IT ITS WE OUR US YOU HIS HER
    AND BUT OR NOR SO YET FOR AS AT BY IN ON OF TO FROM WITH WITHOUT INTO ABOUT AFTER BEFORE
    DURING SINCE WHILE WHEN WHERE WHICH WHO WHAT WHY HOW IF ALTHOUGH THOUGH BECAUSE HOWEVER
    MOREOVER MEANWHILE FURTHER FURTHERMORE ALSO STILL EVEN ONLY MOST MANY SOME ALL BOTH EACH
    OTHER ONE TWO THREE POST EMBASSY MISSION CONSULATE AMBASSADOR PLEASE SEE PARA PARAGRAPH
    CLASSIFIED BY REASONS REASON SEPTEL REFTELS NO NOT YES OK"""
_SENTENCE_START = frozenset(_SENTENCE_START_TEXT.split())
_SIGNER_WINDOW = 3000
_SIGNATURE_TAIL = 400


def signed_by(content: str, known: Iterable[str] = ()) -> tuple[str, ...]:
    """The signer's surname(s) at the end of the cable, upper case: `("MCKINLEY",)`.

    `known` are names the cable gives elsewhere (who classified it): a short or common word
    glued to the last sentence is taken as the signer only when it is one of them.
    """
    surnames = frozenset(name.split()[-1].upper() for name in known if name.split())
    lines = content[-_SIGNER_WINDOW:].splitlines()
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index].strip().rstrip("\\").rstrip()  # CSV dumps end lines in "\\"
        previous = lines[index - 1].strip() if index else ""
        if not line or _repeats(line, previous):
            continue
        if _URL.search(line):
            glued = _GLUED_SIGNATURE.search(line, _tail(line))
            if glued:
                return _accepted(glued.group("names"), True, surnames)
        if _SKIP_AT_END.match(line):
            continue
        if line.endswith(".") and previous and previous[-1].isalnum():
            return ()  # the last word of a sentence wrapped onto its own line
        return _signers_in(line, surnames)
    return ()


def _tail(line: str) -> int:
    """Where to look for a signer glued to the end of a line: a name, a URL before it."""
    return max(0, len(line) - _SIGNATURE_TAIL)


def _repeats(line: str, above: str) -> bool:
    """A lower-case copy of the signer above it ("Huntsman\\nhuntsman")."""
    return line.islower() and line.casefold() == above.casefold()


def _signers_in(line: str, surnames: frozenset[str]) -> tuple[str, ...]:
    m = _SIGNATURE.match(line)
    if m:
        return _accepted(m.group("names"), False, surnames)
    m = _MIXED_SIGNATURE.match(line)
    if m:
        return _accepted(m.group("names"), True, surnames)
    m = _INLINE_SIGNATURE.search(line, _tail(line))
    if m and (
        len(m.group("names")) >= 4
        or not any(c.islower() for c in line[: m.start()])
        or m.group("names") in surnames
    ):
        return _accepted(m.group("names"), False, surnames)
    m = _GLUED_SIGNATURE.search(line, _tail(line))
    return _accepted(m.group("names"), True, surnames) if m else ()


def _accepted(found: str, mixed: bool, surnames: frozenset[str]) -> tuple[str, ...]:
    names = tuple(_one_name(n) for n in re.split(r"[ \t]*[/,][ \t]*", found))
    words = {w for n in names for w in n.split()}
    if words <= surnames:
        return names
    if words & _NOT_A_SIGNER or (mixed and words & _SENTENCE_START):
        return ()
    return names


def _one_name(name: str) -> str:
    words = name.upper().split()
    return words[0] if len(words) == 2 and words[0] == words[1] else " ".join(words)


# ---------------------------------------------------------------------------------------------
# Clean content and paragraphs

_SIPDIS_LINE = re.compile(r"(?<!\n)\n+[ \t]*SIPDIS[ \t]*(?=\n|$)")
_PAGE_BREAK = re.compile(rf"(?m)^[ \t]*{SECTION_MARKER}[ \t]*\n(?:[ \t]*\n)?")
_PARA_MARK = re.compile(
    r"(?m)^[ \t]*(?:¶[ \t]*)?\d{1,3}[ \t]*\.(?!\d)[ \t]*"
    r"(?:\(?[A-Z]{1,4}(?:/{1,2}[A-Z]{1,6})*\)[ \t]*)?"
)
_LEAD_LABEL = re.compile(
    r"(?im)^(?:SUMMARY|COMMENT)(?:[ \t]+AND[ \t]+(?:COMMENT|ACTION[ \t]+REQUEST))?[ \t]*[:.][ \t]*"
)
_END_LABEL = re.compile(
    r"(?i)END[ \t]+(?:SUMMARY|COMMENT)(?:[ \t]+AND[ \t]+(?:COMMENT|ACTION[ \t]+REQUEST))?\.?[ \t]?"
)
_DASH_LINE = re.compile(r"(?m)^[ \t]*[-=‐]{3,}[ \t]*$")
_REDACTION = re.compile(r"[xX](?:[xX]{2,}|(?<=\bx)x\b)")


def clean_content(content: str) -> str:
    """The text a reader wants: no paragraph markings, SIPDIS lines, page breaks, `xxx`."""
    text = _SIPDIS_LINE.sub("", content)
    text = _PAGE_BREAK.sub("", text)
    text = _PARA_MARK.sub("", text)
    text = _LEAD_LABEL.sub("", text)
    text = _END_LABEL.sub("", text)
    text = _DASH_LINE.sub("", text)
    return _REDACTION.sub("", text)


# Searched in "\n" + body: a literal first character lets the engine skip to line starts.
_PARAGRAPH = re.compile(
    r"\n[ \t]*(?:¶[ \t]*)?(?:(?P<number>\d{1,3})[ \t]*\.(?![\d.])[ \t]*"
    rf"(?:\((?P<mark>{MARKING_LEVEL}(?:{MARKING_PART})*"
    r"(?:[ \t]*-[ \t]*ENTIRE TEXT)?)\))?"
    rf"|\((?P<lone>{MARKING_LEVEL}(?:{MARKING_PART})*)\)[ \t])"
)
_MAX_PARAGRAPH_NUMBER = 200


def paragraphs(body: str) -> tuple[Paragraph, ...]:
    """Each numbered or marked paragraph: its number, marking and first line (1-based)."""
    found: list[Paragraph] = []
    text = "\n" + body
    line, pos = 0, 0
    for m in _PARAGRAPH.finditer(text):
        number = m.group("number")
        if number and int(number) > _MAX_PARAGRAPH_NUMBER:
            continue
        line += text.count("\n", pos, m.start() + 1)
        pos = m.start() + 1
        mark = m.group("mark") or m.group("lone")
        found.append(Paragraph(number=number, marking=_compact(mark), line=line))
    return tuple(found)


def _compact(mark: str | None) -> str | None:
    return mark.replace(" ", "").replace("\t", "") if mark else None
