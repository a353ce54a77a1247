"""Formats are sniffed from the content and text decoded whatever its encoding: BOMs, UTF-16,
the cp1252 fallback; a binary head refuses only what no format's signature claims."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path

import pytest

from cables.readers import RawRecord
from cables.readers.sniff import looks_binary, sniff_format, text_encoding
from tests.test_readers import bad, good, read

FILES = {
    "raw": "raw/66BUENOSAIRES2481.txt",
    "csv": "cables_tiny.csv",
    "scoop": "seed.txt",
    "html": "html/dec2010/09KUWAIT110.html",
}
ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "UTF-8 with BOM": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "UTF-16 LE with BOM": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "UTF-16 BE with BOM": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    "UTF-16 LE without BOM": lambda text: text.encode("utf-16-le"),
    "UTF-16 BE without BOM": lambda text: text.encode("utf-16-be"),
}


def as_read(records: list[object]) -> list[tuple[object, ...]]:
    return [
        (r.format, r.position, r.line, r.raw, r.header, r.body, r.metadata)
        for r in records
        if isinstance(r, RawRecord)
    ]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("format", FILES)
def test_every_format_reads_the_same_in_every_encoding(
    data_dir: Path, tmp_path: Path, format: str, encoding: str
) -> None:
    source = data_dir / FILES[format]
    path = tmp_path / "input"
    path.write_bytes(ENCODINGS[encoding](source.read_bytes().decode("utf-8")))
    records = read(path)
    assert {r.format for r in records} == {format}
    assert as_read(records) == as_read(read(source))


def test_utf8_bom_is_stripped(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "seed.txt"
    path.write_bytes(b"\xef\xbb\xbf" + (data_dir / "seed.txt").read_bytes())
    assert good(path).raw.startswith("INDEPENDENT NEWS")


def test_cp1252_text_is_decoded_with_a_warning(data_dir: Path, tmp_path: Path) -> None:
    text = (data_dir / "raw/66BUENOSAIRES2481.txt").read_text()
    path = tmp_path / "cable.txt"
    path.write_bytes(text.replace("ARGENTINE SENATE", "ARGENTINE SENATE’S", 1).encode("cp1252"))
    record = good(path)
    line = text[: text.index("ARGENTINE SENATE")].count("\n") + 1
    assert "SENATE’S" in record.body
    assert record.warnings == (
        f"not UTF-8: decoded as cp1252 (first non-UTF-8 byte on line {line})",
    )


def test_the_encoding_is_read_from_the_bom_or_the_nul_pattern() -> None:
    text = "TAGS: PREL\n" * 10
    assert text_encoding(codecs.BOM_UTF8 + text.encode()) == ("utf-8", 3)
    assert text_encoding(codecs.BOM_UTF16_LE + text.encode("utf-16-le")) == ("utf-16-le", 2)
    assert text_encoding(codecs.BOM_UTF16_BE + text.encode("utf-16-be")) == ("utf-16-be", 2)
    assert text_encoding(text.encode("utf-16-be")) == ("utf-16-be", 0)
    assert text_encoding(text.encode()) == ("utf-8", 0)
    assert text_encoding(bytes(range(256)) * 4) == ("utf-8", 0)


def test_a_binary_head_that_happens_to_hold_cable_words_is_binary(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\nTO SECSTATE\n" + bytes(range(256)))
    assert bad(path).error == "binary file, not cable text"


def test_a_forced_format_is_read_even_from_a_binary_looking_head(
    data_dir: Path, tmp_path: Path
) -> None:
    rows = (data_dir / "cables_tiny.csv").read_bytes()
    path = tmp_path / "dump.bin"
    path.write_bytes(b"\0\1\2\3\r\n" + rows)
    records = read(path, format="csv")
    assert [type(r).__name__ for r in records] == ["BadRecord"] + ["RawRecord"] * 12


def test_nul_and_control_characters_look_binary() -> None:
    assert looks_binary("TAGS\0")
    assert looks_binary("\x01\x02\x03 text")
    assert not looks_binary("TAGS: PREL\r\n\x0c\tSUBJECT: X\n")


def test_a_head_of_blank_lines_is_no_format() -> None:
    # Its cost is measured in bench/read_worst.py (`^\s*` retried from every line took a minute).
    assert sniff_format("\n" * 65_000 + "x") is None
    assert sniff_format(" \n" * 32_000 + "x") is None


def test_cable_text_is_found_after_blank_lines() -> None:
    assert sniff_format("\n\n   \n  \tUNCLASSIFIED\n") == "raw"
