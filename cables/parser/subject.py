"""The SUBJECT line of a cable, and a title-cased form of it for display."""

from __future__ import annotations

import html
import re
from itertools import islice

from .markings import CLASSIFICATION, PAGE_HEADER, PAGE_START, PARAGRAPH_MARKING, SECTION_MARKER

_MAX_LINES = 8
_MAX_LINE = 2000
_LABELS_TRIED = 8  # the full text follows its preview once, not under every label
_HEAD_LIMIT = 10_000  # the caption block sits at the top; never scan a whole long cable

_LABEL = re.compile(
    r"^[ \t]*S?UBJ(?:ECT)?(?:[ \t]*:[ \t]*|[ \t]+(?=\S))|(?<=\s)S?UBJ(?:ECT)?[ \t]*:[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
_UPPER_LABEL = re.compile(r"[ \t]*S?UBJ(?:ECT)?\b")
_NOT_A_SUBJECT = re.compile(r"LINE\b", re.IGNORECASE)
# Searched in "\n" + text, so that the engine can seek line starts.
_FIRST_PARAGRAPH = re.compile(r"\n[ \t]*¶?1[ \t]*\.[ \t]*(?:\(|[A-Za-z])")
_BACKSLASH_EOL = re.compile(r"(?<![ \t])[ \t]*\\[ \t]*(?=\n|$)")
# Where the subject ends inside a line: a reference list, the classification authority,
# a handling notice. "REF:" may be glued to the last word ("UK PRIMEREF: A. LONDON 1939").
# One character class first, so that the engine seeks candidates; the rest of each word, and
# the word boundary before it (lookbehinds over that first letter), follow.
_INLINE_END = re.compile(
    r"[RrCcSsUuTt](?:(?<!\w.)(?:(?<=[Rr])(?i:EF(?:S|TELS?|\(S\))?\s*:|EF\(S\))"
    r"|(?<=[Ss])(?i:ENSITIVE\s+BUT\b| E C R E T\b)|(?<=[Cc])(?i: O N\b)"
    r"|(?<=[Uu])(?i: N C L A S\b)|(?<=[Tt])(?i:his\s+is\s+an?\s+action\s+request))"
    r"|(?<=[A-Za-z][Rr])(?i:EF:)|(?<=[Cc])(?<![Dd][Ee][Cc])(?i:LASSIFIED\s+BY))"
)
_END_LINE = re.compile(
    r"[ \t]*(?:REF(?:S|TELS?|\(S\))?\b|E\.?\s?O\.?\s|TAGS?\b|CLASSIFIED\s+BY|SIPDIS|"
    rf"¶?\d{{1,2}}[ \t]*\.[ \t]*(?:\(|[A-Za-z])|-{{3,}}|{PAGE_START}|(?:\.{{3}}|…)[ \t]*$|"
    rf"{SECTION_MARKER}|[A-Z] [A-Z] [A-Z] )",
    re.IGNORECASE,
)
_LEADING_MARKING = re.compile(rf"^{PARAGRAPH_MARKING}\s*")
_WHOLE_MARKING = re.compile(PARAGRAPH_MARKING)
# A page break inside the caption block: "CONFIDENTIAL\nPAGE 02 HARARE 06677 01 OF 03 291400Z".
_PAGE_HEADER = re.compile(rf"(?m)^[ \t]*(?:{CLASSIFICATION}[ \t]*\n[ \t]*)?{PAGE_HEADER}[ \t]*")
# Lines that open the text rather than continue a subject cut by a stray blank line.
_NOT_CONTINUATION = re.compile(
    r"[ \t]*(?:\(|(?:BEGIN[ \t]+)?SUMMARY\b|INTRODUCTION\b|BACKGROUND\b|COMMENT\b|ACTION\b|"
    r"SIPDIS\b|NOFORN\b|SENSITIVE\b|(?:[A-Z/]+[ \t]+)*(?:FOR|PASS[ \t]+TO)\b)",
    re.IGNORECASE,
)
_MAX_CONTINUATION = 75
_HYPHEN_BREAK = re.compile(r"(?<=\S-)[ \t]*\n[ \t]*")
_SPACES = re.compile(r"\s+")
_ELLIPSIS = ("...", "…")


def parse_subject(content: str, clean: bool = True) -> str:
    """The subject, joined across lines; with `clean`, without a classification marking."""
    head = _normalized(content[:_HEAD_LIMIT])
    limit = _FIRST_PARAGRAPH.search("\n" + head)
    subject, after = "", 0
    for m in _LABEL.finditer(head, 0, limit.start() if limit else len(head)):
        if _is_label(head, m):
            subject, after = _subject_from(head, m.end()), m.end()
            break
    if subject.endswith(_ELLIPSIS):
        subject = _untruncated(_normalized(content), subject, after)
    if clean:
        subject = _without_trailing_marking(_LEADING_MARKING.sub("", subject))
    return subject


def _without_trailing_marking(subject: str) -> str:
    start = subject.rfind("(")
    if start > 0 and subject[start - 1].isspace() and _WHOLE_MARKING.fullmatch(subject, start):
        return subject[:start].rstrip()
    return subject


def _normalized(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if "PAGE" in text:
        text = _PAGE_HEADER.sub("", text)
    return _BACKSLASH_EOL.sub("", text) if "\\" in text else text


def _is_label(content: str, m: re.Match[str]) -> bool:
    if _NOT_A_SUBJECT.match(content, m.end()):
        return False
    if ":" in m.group(0):
        return True
    return bool(_UPPER_LABEL.match(m.group(0)))  # no colon: only "SUBJECT" in capitals


def _subject_from(content: str, start: int) -> str:
    # A subject line is short: longer lines are cut, so that nothing scans a whole text on one.
    lines = [line[:_MAX_LINE] for line in content[start:].split("\n", _MAX_LINES * 3)]
    while len(lines) > 1 and not lines[0].strip():
        lines = lines[1:]
    if _END_LINE.match(lines[0]):
        return ""
    taken: list[str] = []
    i = 0
    while i < len(lines) and len(taken) < _MAX_LINES:
        line = lines[i]
        if taken and not line.strip():
            i = _continuation_after_gap(lines, i, taken)
            if i < 0:
                break
            line = lines[i]
        elif taken and (_END_LINE.match(line) or _breaks_case(taken, line)):
            break
        m = _INLINE_END.search(line)
        taken.append(line[: m.start()].rstrip() if m else line)
        if m:
            break
        i += 1
    joined = _HYPHEN_BREAK.sub("", "\n".join(taken))
    if "&" in joined:
        joined = html.unescape(joined)
    return _SPACES.sub(" ", joined).strip()


def _continuation_after_gap(lines: list[str], blank: int, taken: list[str]) -> int:
    """The index of a subject line a release cut off with a blank line, or -1.

    The fragment must be short, unfinished-looking, and followed by a blank line and the next
    caption ("...TO PROTECT THE\n\nENVIRONMENT - MAKING REAL PROGRESS\n\nREF: ...").
    """
    j = blank
    while j < len(lines) and not lines[j].strip():
        j += 1
    if j - blank > 2 or j + 2 >= len(lines):
        return -1
    line = lines[j].strip()
    if (
        len(line) > _MAX_CONTINUATION
        or line.endswith((".", ":", ";"))
        or not (line[0].isupper() or line[0].isdigit())
        or _END_LINE.match(line)
        or _NOT_CONTINUATION.match(line)
        or _breaks_case(taken, line)
        or lines[j + 1].strip()
    ):
        return -1
    k = j + 1
    while k < len(lines) and not lines[k].strip():
        k += 1
    return j if k < len(lines) and _END_LINE.match(lines[k]) else -1


def _breaks_case(taken: list[str], line: str) -> bool:
    """An upper-case subject does not continue into a line of ordinary prose."""
    return taken[0].upper() == taken[0] and any(c.islower() for c in line)


def _untruncated(content: str, subject: str, start: int) -> str:
    """A preview cut with "..." may be followed by the full text of the same cable."""
    stem = subject.rstrip(".… ")
    labels = (m for m in _LABEL.finditer(content, start) if _is_label(content, m))
    for m in islice(labels, _LABELS_TRIED):
        candidate = _subject_from(content, m.end())
        if (
            candidate.startswith(stem)
            and len(candidate) > len(stem)
            and not candidate.endswith(_ELLIPSIS)
        ):
            return candidate
    return subject


_SMALL_WORDS_TEXT = """
a an and as at but by de for in nor of on or per the to via vs
"""
_SMALL_WORDS = frozenset(_SMALL_WORDS_TEXT.split())
_ABBREVIATIONS_TEXT = """
MR MRS MS DR ST JR SR
"""
_ABBREVIATIONS = frozenset(_ABBREVIATIONS_TEXT.split())
_ACRONYMS_TEXT = """
US USA USG UK EU UN UAE USSR DPRK ROK PRC ROC GDR FRG GOL GOE GOI GOJ GOK GOB GOC GOG GOH GOM
GOR GOS GOU GOZ RG UNSC UNGA UNHCR UNDP UNICEF UNESCO UNIFIL UNAMA UNAMI UNMIS UNAMID MONUC
MINUSTAH UNMIK UNFICYP UNSCR UNRWA UNODC UNSG SRSG OHCHR UPR UNFCCC UNHRC IAEA NATO ISAF OSCE
OAS OAU AU ASEAN APEC OPEC OECD WTO IMF ICC ICJ ICTY ICTR ECOWAS SADC IGAD SACU COMESA CARICOM
MERCOSUR EFTA FTA FTAA NAFTA CAFTA GCC ESDP CFSP NPT CTBT FMCT CWC MTCR NSG PSI WMD MANPADS IED
IEDS HIV AIDS SARS PEPFAR USAID MCC MCA DOD DOE DHS FBI CIA DEA NGO NGOS PKK LTTE FARC ELN AUC
ETA PLO PA FM DFM MFA MOD MOFA MP MPS CODEL STAFFDEL GSP IPR TIP EXBS GWOT OEF OIF ISI KGB FSB
SCO CIS CSTO GAERC ANC MDC ZANU SPLM NCP JEM SLA SLM AMIS LRA UPDF RPF FDLR CNDP PRI PRD PSDB
PMDB APRA CDU CSU SPD FDP AKP CHP MHP DTP BNP PPP PML MQM ANP JUI BJP LDP DPJ KMT DPP GNP IFP
COSATU UNITA MPLA FRELIMO RENAMO SWAPO KANU ODM PNU TPLF EPRDF VARIG SWIFT TFTP OPIC EXIM USTR
USDA NASA NOAA EPA FAA TSA CBP INL INR DRL PRM NEA EUR WHA SCA EAP ISN OES EEB DCM CDA RSO OSAC
TDY MOU MOA SOFA DCA FMF IMET PKO DDR SSR UXO AQ AQI AQIM AQAP LIFG TTP ASG MILF MNLF NPA IMU
ISAF ANSF ANA PRT PRTS CERP KRG PUK KDP IIP ISCI SCIRI IHEC CPA DFID OCHA WFP ILO IOM ICRC IFRC
MSF HRW IPCC GHG IEA LNG LPG GDP FDI ODA IFI IFIS IDB IADB ADB AFDB EBRD EIB ECB FATF AML CFT
FIU OFAC PNR VWP ESTA WHTI CEO VIP VP POTUS SECDEF DAS PDAS USUN USEU USNATO USOSCE UNVIE DDA
NAMA SPS TBT TRIPS BIT TIFA JCCT SED BBC CNN VOA BBG IVLP PCC DRC DROC ICT TNK ONDCP DOJ OMB GAO
ICG NAM IRGC MEK MKO
"""
_ACRONYMS = frozenset(_ACRONYMS_TEXT.split())
_ROMAN = re.compile(r"(?=[IVX]{2,}$)X{0,3}(?:IX|IV|V?I{0,3})")
_DOTTED = re.compile(r"[A-Za-z](?:\.[A-Za-z])+\.?")
_NUMBER_SUFFIX = re.compile(r"\d+(?:ST|ND|RD|TH|S)", re.IGNORECASE)
_APOSTROPHES = re.compile(r"(['’])")
_WORD_SPLIT = re.compile(r"(\s+)")
_PART_SPLIT = re.compile(r"(-+|/)")
_LEADING = "\"“‘'(["
_TRAILING = '"”’)].,:;!?'
_CAPITALIZE_AFTER = (":", "?", "!", "--", "-", "—")


def titlefy(subject: str) -> str:
    """An upper-case (or all lower-case) subject in title case; mixed case is left alone."""
    subject = subject.strip()
    if not (subject.isupper() or subject.islower()):
        return subject
    out: list[str] = []
    capitalize_next = True
    for token in _WORD_SPLIT.split(subject):
        if not token or token.isspace():
            out.append(token)
            continue
        lead, core, trail = _edges(token)
        out.append(lead + _title_word(core, capitalize_next or bool(lead)) + trail)
        capitalize_next = token.endswith(_CAPITALIZE_AFTER) or token in _CAPITALIZE_AFTER
    return "".join(out)


def _edges(token: str) -> tuple[str, str, str]:
    """ "(Peru's" -> ("(", "Peru's", ""): quotes and brackets around a word, and its word."""
    core = token.lstrip(_LEADING)
    lead = token[: len(token) - len(core)]
    stripped = core.rstrip(_TRAILING)
    return lead, stripped, core[len(stripped) :]


def _title_word(word: str, capitalize: bool) -> str:
    parts = _PART_SPLIT.split(word)
    capitalize = capitalize or "/" in parts
    result: list[str] = []
    for k, part in enumerate(parts):
        if k % 2:
            result.append(part)
        else:
            result.append(_title_part(part, capitalize if k == 0 else True))
    return "".join(result)


def _title_part(part: str, capitalize: bool) -> str:
    if not part:
        return part
    pieces = _APOSTROPHES.split(part)
    head = _title_piece(pieces[0], capitalize)
    tail = []
    for k in range(2, len(pieces), 2):
        after_initial = len(pieces[k - 2]) == 1
        piece = pieces[k]
        tail.append(pieces[k - 1] + (_title_piece(piece, True) if after_initial else piece.lower()))
    return head + "".join(tail)


def _title_piece(piece: str, capitalize: bool) -> str:
    upper = piece.upper()
    if not piece.isalpha():
        if _NUMBER_SUFFIX.fullmatch(piece):
            return piece.lower()
        return (
            piece.upper()
            if _DOTTED.fullmatch(piece) or any(c.isdigit() for c in piece)
            else (piece[:1].upper() + piece[1:].lower())
        )
    if _is_acronym(upper):
        return upper
    lower = piece.lower()
    if lower in _SMALL_WORDS and not capitalize:
        return lower
    if len(piece) == 1:
        return upper
    return lower[0].upper() + lower[1:]


def _is_acronym(word: str) -> bool:
    if word in _ABBREVIATIONS or len(word) == 1:
        return False
    if word in _ACRONYMS or _ROMAN.fullmatch(word):
        return True
    return not any(c in "AEIOUY" for c in word)
