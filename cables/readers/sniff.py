"""Which format a stream holds, and its bytes as text: BOMs, UTF-16, the cp1252 fallback.

The format is read from the first 64 KiB, never from the name. Whatever the source encoding, the
readers get UTF-8 bytes without a BOM (UTF-16 is transcoded on the fly), so each of them decodes
one way; bytes that are not UTF-8 are read as cp1252, with a warning naming the line.
"""

from __future__ import annotations

import codecs
import io
import re
from typing import BinaryIO

from .records import RAW_CAP, BadRecord, Limits, bad

SNIFF_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_SAMPLE = 4096

_CSV = re.compile(r'\A"[^"\n]{1,20}","[^"\n]{0,40}","')
_HTML = re.compile(r"<(?:!doctype html|html|table class=['\"]cable['\"])", re.I)
_SCOOP = re.compile(r"^id: [0-9]+.*\n(?:.*\n){0,8}?refid: \S", re.M)
# Blanks before the keyword stay on its line, so each line start is tried once (linear).
_CABLE_TEXT = re.compile(
    r"^[^\S\n]*(?:VZCZC|FM |TO |INFO |SUBJECT:|SUBJ:|TAGS:?|E\.\s?O\.|UNCLAS"
    r"|C O N F I D E N T I A L|S E C R E T|CONFIDENTIAL|SECRET|UNCLASSIFIED|[OPRZ]{1,2} \d{6}Z)",
    re.M,
)
_CONTROLS = bytes(c for c in range(32) if c not in (9, 10, 12, 13)).decode()


def read_head(binary: BinaryIO) -> bytes:
    """Up to SNIFF_BYTES, however short the reads of the stream are."""
    parts: list[bytes] = []
    size = 0
    while size < SNIFF_BYTES:
        part = binary.read(SNIFF_BYTES - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


class Prefixed(io.RawIOBase):
    """The bytes already read for sniffing, then the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def text_encoding(head: bytes) -> tuple[str, int]:
    """(encoding, BOM length) of a text stream from its first bytes; "utf-8" unless it says not."""
    if head.startswith(_UTF8_BOM):
        return "utf-8", 3
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    sample = head[:_UTF16_SAMPLE]
    half = len(sample) // 2
    if half >= 32 and b"\0" in sample:
        # ASCII text in UTF-16 has a NUL in every other byte and almost none in between.
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > 0.9 * half and even < 0.05 * half:
            return "utf-16-le", 0
        if even > 0.9 * half and odd < 0.05 * half:
            return "utf-16-be", 0
    return "utf-8", 0


def head_text(head: bytes, encoding: str, bom: int) -> str:
    return head[bom:].decode(encoding, errors="replace")


def utf8_stream(stream: BinaryIO, encoding: str, bom: int) -> BinaryIO:
    """The stream as UTF-8 bytes after its BOM, which is what every reader takes."""
    if encoding == "utf-8":
        stream.read(bom)
        return stream
    return io.BufferedReader(_Transcoded(stream, encoding, bom), _CHUNK)


class _Transcoded(io.RawIOBase):
    """UTF-16 in, UTF-8 out, a chunk at a time; malformed code units become U+FFFD."""

    def __init__(self, inner: BinaryIO, encoding: str, bom: int) -> None:
        inner.read(bom)
        self._inner = inner
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._out = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._out:
            data = self._inner.read(_CHUNK)
            self._out = memoryview(self._decoder.decode(data, final=not data).encode("utf-8"))
            if not data:
                break
        size = min(len(buffer), len(self._out))
        buffer[:size] = self._out[:size]
        self._out = self._out[size:]
        return size


def sniff_format(text: str) -> str | None:
    """One of FORMATS from the first decoded characters of a stream, None when none fits."""
    if _CSV.match(text):
        return "csv"
    if _HTML.search(text):
        return "html"
    if _SCOOP.search(text):
        return "scoop"
    if _CABLE_TEXT.search(text):
        return "raw"
    return None


def looks_binary(text: str) -> bool:
    """NUL or many control characters: not text, unless a format's signature says it is."""
    if "\0" in text:
        return True
    controls = sum(text.count(c) for c in _CONTROLS)
    return controls > len(text) // 10


def lossy(data: bytes) -> str:
    return data[:RAW_CAP].decode("utf-8", errors="replace")


NOT_UTF8 = "not UTF-8: decoded as cp1252"


def not_utf8(line: int) -> str:
    return f"{NOT_UTF8} (first non-UTF-8 byte on line {line})"


def decode(data: bytes, first_line: int = 1) -> tuple[str, tuple[str, ...]]:
    """The text and its warnings: UTF-8, else cp1252 with a warning naming the first bad line."""
    try:
        return data.decode("utf-8"), ()
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        return data.decode("cp1252", errors="replace"), (not_utf8(line),)


def decode_line(data: bytes) -> tuple[str, bool]:
    """One line as text, and whether it needed the cp1252 fallback."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), True


def newlines(text: str) -> str:
    return text.replace("\r\n", "\n") if "\r" in text else text


def read_whole(
    source: str, stream: BinaryIO, format: str, limits: Limits
) -> tuple[str, tuple[str, ...]] | BadRecord:
    """A single-record file as text, refused when it is larger than a record may be."""
    data = stream.read(limits.max_record_bytes + 1)
    if len(data) > limits.max_record_bytes:
        error = f"oversize record: more than {limits.max_record_bytes} bytes"
        return bad(source, "file", 1, format, error, lossy(data))
    return decode(data)
