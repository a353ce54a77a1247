"""Properties of the readers on damaged real inputs: records or bad records, never an exception.

Every example starts from a real file of tests/data, alone or inside a .zip, .tar, .tar.gz or .gz,
and damages its bytes: bytes changed, runs deleted or inserted (quotes, newlines, NULs, tags, zip
signatures), the file cut short. Whatever comes out, each RawRecord must come back the same from
its raw text through `reread`. Derandomized and bounded, as tests/test_parser_properties.py.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cables.readers import Limits, RawRecord, count_records, read_records, reread

DATA = Path(__file__).parent / "data"
FILES = {
    "seed.txt": (DATA / "seed.txt").read_bytes(),
    "cables.csv": (DATA / "cables_tiny.csv").read_bytes()[:20_000],
    "page.html": (DATA / "html/dec2010/09KUWAIT110.html").read_bytes(),
    "cable.txt": (DATA / "raw/66BUENOSAIRES2481.txt").read_bytes(),
}
LIMITS = Limits(max_record_bytes=100_000, max_total_bytes=2_000_000)
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
RUNS = [b'"', b"\n", b"\r\n", b"\0", b"<", b"</pre>", b"\\", b'","', b"PK\x03\x04", b"\xff\xfe"]


def packed(kind: str) -> bytes:
    if kind == "plain":
        return FILES["cables.csv"]
    if kind == "gz":
        return gzip.compress(FILES["cables.csv"])
    buffer = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in FILES.items():
                archive.writestr(name, data)
    else:
        with tarfile.open(fileobj=buffer, mode="w:gz" if kind == "tar.gz" else "w") as archive:
            for name, data in FILES.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


PACKED = {kind: packed(kind) for kind in ("plain", "gz", "zip", "tar", "tar.gz")}


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    data = bytearray(PACKED[draw(st.sampled_from(sorted(PACKED)))])
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["change", "delete", "insert", "cut"]))
        if action == "change" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 300))]
        elif action == "insert":
            data[at:at] = draw(st.sampled_from(RUNS)) * draw(st.integers(1, 30))
        else:
            del data[at:]
    return bytes(data)


@PROPERTY
@given(damaged())
def test_damaged_input_gives_records_and_bad_records_never_an_exception(data: bytes) -> None:
    records = list(read_records(["-"], stdin=io.BytesIO(data), limits=LIMITS))
    assert not [r for r in records if not isinstance(r, RawRecord) and "reader error" in r.error]
    for record in records:
        if isinstance(record, RawRecord):
            again = reread(record.raw, record.format)
            assert isinstance(again, RawRecord)
            assert (again.header, again.body, again.metadata) == (
                record.header,
                record.body,
                record.metadata,
            )


@settings(PROPERTY, max_examples=40)
@given(damaged())
def test_damaged_files_are_counted_without_an_exception(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("damaged") / "input"
    path.write_bytes(data)
    assert isinstance(count_records([path]), int)
