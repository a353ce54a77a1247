"""The seed's cable, 07LIMA3673, as the records the importing tests feed the importer."""

from pathlib import Path

from cables.parser import split_cable
from cables.parser.types import Metadata
from cables.readers import BadRecord, RawRecord

DATA = Path(__file__).resolve().parent / "data"
SEED = DATA / "seed.txt"
LIMA = DATA / "import_07LIMA3673.txt"  # the seed's cable as bare text: header lines, then body

EDIT = "\nCORRECTED COPY\n"  # appended to a cable's text: a change a later release could make


def lima_text() -> str:
    return LIMA.read_bytes().decode("utf-8")


def with_serial(text: str, serial: int) -> str:
    """The Lima cable as if sent under another serial, so its reference id is 07LIMA<serial>."""
    return text.replace("LIMA 003673", f"LIMA {serial:06d}").replace("#3673/01", f"#{serial}/01")


def cited_cable_text() -> str:
    """07LIMA3638, the cable the seed cites, made from the seed's own text minus its REF line."""
    return with_serial(lima_text(), 3638).replace("REF: LIMA 3638\n", "")


def header_only() -> str:
    """The cable cut after its header: a record the parser rejects."""
    return "".join(lima_text().splitlines(keepends=True)[:17])


def bare(text: str, source: str = "lima.txt", line: int = 1) -> RawRecord:
    return RawRecord(source, "file", line, "raw", text, "", text, Metadata())


def split(text: str) -> RawRecord:
    """A record whose reader separated header and body, as the CSV and Scoop readers do."""
    header, body = split_cable(text)
    return RawRecord("dump.txt", "file", 1, "raw", text, header, body, Metadata())


def mixed_records() -> list[RawRecord | BadRecord]:
    """Cables, a truncated one from the middle of a file and a reader's bad row, interleaved."""
    bad = BadRecord("dump.csv", "row 2", 116, "csv", '"2"', "wrong number of fields")
    records: list[RawRecord | BadRecord] = [split(with_serial(lima_text(), s)) for s in (1, 2, 3)]
    records += [bare(header_only(), source="cut.txt", line=100), bad]
    records += [split(with_serial(lima_text(), s)) for s in (4, 5, 6)]
    records.append(bare(with_serial(lima_text(), 7)))
    return records


def without_refid(text: str) -> str:
    """The cable with neither serial its reference id could be read or derived from."""
    return text.replace("LIMA 003673", "LIMA").replace(" #3673/01", "")
