"""Patterns several extractors share, each in one place: the classification words, the marking
of a paragraph, and the two kinds of page break printed into cable text.

They are regex sources, not compiled patterns: each extractor anchors them where it needs them.
"""

from __future__ import annotations

# The classification a line or a page header states, as words.
CLASSIFICATION = (
    r"(?:TOP[ \t]+SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|UNCLAS|LIMITED[ \t]+OFFICIAL[ \t]+USE)"
)

# The level a paragraph marking opens with: the "C" of "(C)", "(S/NF)", "(SBU)", "(U//FOUO)".
MARKING_LEVEL = r"(?:TS|S|C|U|SBU|LOU|FOUO|NF)"
# What follows the level after a slash: a caveat, or a release list "REL TO USA, GBR". Each
# part ends in a letter or comma, so spaces before the next "/" have one reading only.
MARKING_PART = r"[ \t]*/{1,2}[ \t]*(?:REL(?:[ \t]+TO)?(?:[ A-Z,]*[A-Z,])?|[A-Z]{1,6})"
# A whole paragraph marking: "(C)", "(S/NF)", "(C//REL TO USA, GBR)".
PARAGRAPH_MARKING = rf"\({MARKING_LEVEL}(?:{MARKING_PART})*[ \t]*\)"

# A post as page breaks print it: one to four short words ("HARARE", "RIO DE JANEIRO"); the
# bounds keep a long run of letters from being tried as a post at each of its positions.
_POST = r"[A-Z][A-Z.'\-]{0,24}(?:[ ][A-Z][A-Z.'\-]{0,24}){0,3}"
# Where a teletype page header starts: "PAGE 02".
PAGE_START = r"PAGE[ \t]+\d"
# The page header of teletype copies: "PAGE 02 HARARE 06677 01 OF 03 291400Z".
PAGE_HEADER = rf"PAGE[ \t]+\d+[ \t]+{_POST}[ \t]+\d+(?:[ \t]+\d+[ \t]+OF[ \t]+\d+)?[ \t]+\d{{6}}Z"
# The marker the 2010 releases print where a page ends: "LIMA 00003673 002 OF 003".
SECTION_MARKER = rf"{_POST}[ \t]+\d{{5,}}[ \t]+\d{{3}}(?:\.\d+)?[ \t]+OF[ \t]+\d{{1,3}}"
