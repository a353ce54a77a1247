"""WikiLeaks cable-viewer pages: metadata from the table and prelude, text from the <pre>s."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cables.readers import BadRecord, RawRecord
from tests.test_readers import bad, good, read

KUWAIT_ID = "ID: 190648"


def test_html_2011_page_metadata(data_dir: Path) -> None:
    record = good(data_dir / "html/2011/66BUENOSAIRES2481.html")
    assert (record.format, record.metadata.refid, record.metadata.origin) == (
        "html",
        "66BUENOSAIRES2481",
        "Embassy Buenos Aires",
    )
    assert record.metadata.created == datetime(1966, 12, 28, 18, 48, tzinfo=UTC)


def test_html_classification_is_the_visible_text_not_the_title(data_dir: Path) -> None:
    # The link reads CONFIDENTIAL but its title attribute says 'unclassified'.
    record = good(data_dir / "html/2011/08BRASILIA93.html")
    assert record.metadata.classification == "CONFIDENTIAL"


def test_html_header_is_the_first_pre_decoded(data_dir: Path) -> None:
    header = good(data_dir / "html/2011/66BUENOSAIRES2481.html").header
    assert header.startswith("P R 281848Z DEC 66\nFM AMEMBASSY BUENOS AIRES\n")


def test_html_body_loses_tags_and_paragraph_anchors(data_dir: Path) -> None:
    body = good(data_dir / "html/dec2010/66BUENOSAIRES2481.html").body
    assert "\n1.  PRESS REPORTS" in body and "¶" not in body and "<a" not in body


def test_html_tags_line_keeps_its_text(data_dir: Path) -> None:
    body = good(data_dir / "html/dec2010/66BUENOSAIRES2481.html").body
    assert "TAGS: EFIS PBTS AR\n" in body


def test_html_dec2010_prelude_becomes_metadata(data_dir: Path) -> None:
    metadata = good(data_dir / "html/dec2010/09KUWAIT110.html").metadata
    assert (metadata.dump_id, metadata.refid, metadata.references) == (
        190648,
        "09KUWAIT110",
        ("09KUWAIT95",),
    )


def test_html_dec2010_prelude_date_wins_over_the_table(data_dir: Path) -> None:
    metadata = good(data_dir / "html/dec2010/09KUWAIT110.html").metadata
    assert metadata.created == datetime(2009, 2, 5, 16, 36, tzinfo=UTC)


def test_html_dec2010_prelude_is_stripped_from_the_body(data_dir: Path) -> None:
    body = good(data_dir / "html/dec2010/09KUWAIT110.html").body
    assert body.startswith("S E C R E T SECTION 01 OF 02 KUWAIT 000110\n")


def test_html_early_four_column_layout(data_dir: Path) -> None:
    metadata = good(data_dir / "html/early/10STATE17263.html").metadata
    assert (metadata.refid, metadata.created, metadata.classification) == (
        "10STATE17263",
        datetime(2010, 2, 24, 22, 10, tzinfo=UTC),
        "SECRET",
    )


def test_html_page_without_cable_table_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("<!DOCTYPE html><html><body><p>Cablegate</p></body></html>")
    assert bad(path).error == "unknown format: HTML without a cable table"


def write_page(data_dir: Path, tmp_path: Path, old: str, new: str) -> Path:
    page = (data_dir / "html/dec2010/09KUWAIT110.html").read_text()
    assert old in page
    path = tmp_path / "09KUWAIT110.html"
    path.write_text(page.replace(old, new, 1), encoding="utf-8")
    return path


def test_html_prelude_id_of_superscript_digits_is_bad(data_dir: Path, tmp_path: Path) -> None:
    record = bad(write_page(data_dir, tmp_path, KUWAIT_ID, "ID: ²"))
    assert (record.position, record.line, record.error) == ("file", 1, "id is not a number: '²'")


def test_html_prelude_id_beyond_63_bits_is_out_of_range(data_dir: Path, tmp_path: Path) -> None:
    path = write_page(data_dir, tmp_path, KUWAIT_ID, "ID: 99999999999999999999")
    assert bad(path).error == "dump id out of range: 99999999999999999999"


def test_html_prelude_date_out_of_the_calendar_is_bad(data_dir: Path, tmp_path: Path) -> None:
    path = write_page(data_dir, tmp_path, "DATE: 2009-02-05 16:36:00", "DATE: 2009-13-45 99:99:00")
    assert bad(path).error == "unparseable date: '2009-13-45 99:99:00'"


def test_html_table_date_out_of_the_calendar_is_bad(data_dir: Path, tmp_path: Path) -> None:
    path = write_page(data_dir, tmp_path, ">2009-02-05 16:04<", ">2009-13-45 99:99<")
    assert bad(path).error == "unparseable date: '2009-13-45 99:99'"


def test_html_table_without_cable_cells_is_bad(data_dir: Path, tmp_path: Path) -> None:
    page = (data_dir / "html/early/10STATE17263.html").read_text()
    start = page.index("<tr>", page.index("</th>"))
    path = tmp_path / "page.html"
    path.write_text(page[:start] + page[page.index("</table>") :])
    assert bad(path).error == "WikiLeaks cable table without a row of Reference ID, Date… cells"


def test_html_page_without_pre_is_bad(data_dir: Path, tmp_path: Path) -> None:
    page = (data_dir / "html/early/10STATE17263.html").read_text()
    path = tmp_path / "page.html"
    path.write_text(re.sub(r"<pre[^>]*>.*?</pre>", "", page, flags=re.S))
    assert bad(path).error == "WikiLeaks page without cable text (<pre>)"


# Hostile pages cost linear time and never raise --------------------------------------------

TABLE = (
    "<html><table class='cable'><tr><th>Reference ID</th><th>Created</th></tr>"
    "<tr><td>09KUWAIT110</td><td>2009-02-05 16:04</td></tr></table>"
)


def read_page(tmp_path: Path, page: str) -> RawRecord | BadRecord:
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    [record] = read(path)  # its cost is measured in bench/read_worst.py
    return record


@pytest.mark.parametrize(
    "page",
    [
        TABLE + "<pre>x" * 200_000,
        "<html>" + "<table class='cable'>x" * 100_000,
        "<html><table class='cable'>" + "<tr><th>x" * 100_000 + "</table><pre>x</pre>",
        "<html><table class='cable'><tr" * 100_000,
    ],
    ids=["pre", "table", "rows", "tags without >"],
)
def test_a_page_of_unclosed_tags_is_bad_in_linear_time(tmp_path: Path, page: str) -> None:
    assert isinstance(read_page(tmp_path, page), BadRecord)


@pytest.mark.parametrize(
    "text",
    ["<a" * 300_000, "<a id='par1'>" * 100_000, "<" * 300_000 + ">"],
    ids=["tag openings", "paragraph anchors", "one long tag"],
)
def test_cable_text_full_of_unclosed_tags_is_read_in_linear_time(tmp_path: Path, text: str) -> None:
    record = read_page(tmp_path, f"{TABLE}<pre>{text}</pre>")
    assert isinstance(record, RawRecord)


def test_a_character_reference_of_thousands_of_digits_does_not_raise(tmp_path: Path) -> None:
    record = read_page(tmp_path, f"{TABLE}<pre>A&#{'9' * 5000};B</pre>")
    assert isinstance(record, RawRecord) and record.body == "A\ufffdB"


def test_tags_and_entities_are_taken_out_of_the_text(tmp_path: Path) -> None:
    record = read_page(tmp_path, f"{TABLE}<pre>a <b>bold</b> &amp; <> x < y</pre>")
    assert record.body == "a bold & <> x < y"  # type: ignore[union-attr]


def test_a_page_with_a_nul_byte_is_bad(data_dir: Path, tmp_path: Path) -> None:
    path = write_page(data_dir, tmp_path, "SUBJECT: THE INTERIOR", "SUBJECT: THE\0INTERIOR")
    assert bad(path).error.endswith(": binary data, not cable text")
