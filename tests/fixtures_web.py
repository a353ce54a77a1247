"""Cables for the web tests: real text from tests/data, written with the ORM and then indexed.

The fixtures go through `search.index_cables` exactly as the importer does, so search sees them.
"""

import csv
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cables import search
from cables.models import Cable, Origin, Recipient, Reference, Tag

DATA = Path(__file__).resolve().parent / "data"
TAGS_LINE = re.compile(r"^TAGS:?\s*(.+)$", re.MULTILINE)
SUBJECT_LINE = re.compile(r"^SUBJECT:?\s*(.+)$", re.MULTILINE)
LIMA_HEADER_END = "C O N F I D E N T I A L LIMA 003673"


@pytest.fixture(autouse=True)
def plain_static_files(settings) -> None:
    """Pages render without a collectstatic manifest (settings use the manifest unless DEBUG)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def make_cable(
    refid: str,
    *,
    body: str,
    origin: str = "Embassy Lima",
    created: datetime | None = None,
    classification: str = "UNCLASSIFIED",
    subject: str = "",
    tags: Iterable[str] = (),
    precedence: str = "",
    references: Iterable[str] = (),
    recipients: Iterable[tuple[str, str]] = (),
    index: bool = True,
) -> Cable:
    """One cable with its tags, recipients and references, resolved the way the importer does."""
    post, _ = Origin.objects.get_or_create(name=origin)
    cable = Cable.objects.create(
        refid=refid,
        created=created or datetime(2007, 11, 20, 13, 37, tzinfo=UTC),
        origin=post,
        classification=classification,
        precedence=precedence,
        subject=subject,
        body=body,
        raw=body,
        content_hash=refid,
    )
    for position, code in enumerate(tags):
        tag, _ = Tag.objects.get_or_create(code=code)
        cable.cabletag_set.create(tag=tag, position=position)
    for position, (role, name) in enumerate(recipients):
        Recipient.objects.create(cable=cable, position=position, role=role, name=name)
    for position, target in enumerate(references):
        cited = Cable.objects.filter(refid=target).first()
        Reference.objects.create(citing=cable, position=position, target_refid=target, cited=cited)
    Reference.objects.filter(target_refid=refid).update(cited=cable)
    if index:
        search.index_cables([cable.pk])
    return cable


def csv_cables() -> list[dict]:
    """The first rows of the real cables.csv dump, as keyword arguments for make_cable."""
    with (DATA / "cables_tiny.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle, escapechar="\\"))
    cables = []
    for _, date, refid, origin, classification, refs, _header, body in rows:
        tags = TAGS_LINE.search(body)
        subject = SUBJECT_LINE.search(body)
        cables.append(
            {
                "refid": refid,
                "created": datetime.strptime(date, "%m/%d/%Y %H:%M").replace(tzinfo=UTC),
                "origin": origin,
                "classification": classification,
                "body": body,
                "subject": subject.group(1).strip() if subject else "",
                "tags": re.findall(r"[A-Z]{2,}", tags.group(1)) if tags else [],
                "references": [r for r in refs.split("|") if r],
            }
        )
    return cables


def lima_cable_text() -> str:
    raw = (DATA / "import_07LIMA3673.txt").read_text(encoding="utf-8")
    return raw[raw.index(LIMA_HEADER_END) :]


@pytest.fixture
def lima(db) -> Cable:
    """07LIMA3673: Embassy Lima, CONFIDENTIAL, TAGS PGOV PREL PTER SNAR PE, cites LIMA 3638."""
    return make_cable(
        "07LIMA3673",
        body=lima_cable_text(),
        classification="CONFIDENTIAL",
        precedence="PRIORITY",
        subject="ONDCP DIRECTOR WALTERS SEES PROGRESS IN PERU'S WAR ON DRUGS",
        tags=["PGOV", "PREL", "PTER", "SNAR", "PE"],
        references=["07LIMA3638"],
        recipients=[("action", "SECSTATE WASHDC"), ("info", "AMEMBASSY BOGOTA")],
    )


@pytest.fixture
def archive(db, lima) -> dict[str, Cable]:
    """Thirteen real cables (1966-2007) plus one that cites the Lima cable."""
    cables = {"07LIMA3673": lima}
    for kwargs in csv_cables():
        cables[kwargs["refid"]] = make_cable(**kwargs)
    cables["07LIMA3700"] = make_cable(
        "07LIMA3700",
        created=datetime(2007, 11, 23, 9, 0, tzinfo=UTC),
        subject="FOLLOW-UP ON ONDCP DIRECTOR VISIT",
        body="UNCLASSIFIED LIMA 003700\nTAGS: SNAR PE\nSUBJECT: FOLLOW-UP ON ONDCP DIRECTOR VISIT\n"
        "REF: LIMA 3673\n\n1. (U) Coca eradication resumed in the Upper Huallaga valley.\n",
        tags=["SNAR", "PE"],
        references=["07LIMA3673"],
    )
    return cables
