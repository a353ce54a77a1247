"""CPU timing in the process that parses: a whole parse, or extractor by extractor with the
parser's caches emptied, and the crash each raised."""

from __future__ import annotations

import inspect
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import cables.parser as parser
from cables.parser import ParseError, canonical, references, subject, tags
from cables.parser import body as body_mod
from cables.parser import header as header_mod

from . import ROOT
from .inputs import Input


class Failure(NamedTuple):
    type: str
    location: str  # innermost frame in cables/, else the innermost frame
    message: str
    trace: str


def describe(exc: BaseException) -> Failure:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(str(ROOT / "cables"))]
    frame = (ours or frames)[-1] if frames else None
    location = ""
    if frame is not None:
        name = Path(frame.filename)
        shown = name.relative_to(ROOT) if name.is_relative_to(ROOT) else name
        location = f"{shown}:{frame.lineno} in {frame.name}"
    trace = "".join(traceback.format_exception(exc))[-4000:]
    return Failure(type(exc).__name__, location, str(exc)[:300], trace)


def timed(call: Callable[[], object]) -> tuple[float, Failure | None]:
    start = time.thread_time()
    error = None
    try:
        call()
    except ParseError:
        pass
    except Exception as exc:  # noqa: BLE001 - a crash is what this measures
        error = describe(exc)
    return (time.thread_time() - start) * 1000, error


def time_parse(inp: Input) -> tuple[float, Failure | None]:
    return timed(lambda: parser.parse_cable(inp.header, inp.body, inp.metadata))


EXTRACTORS = (
    "parse_cable",  # again, with cold caches like every extractor below: the total they share
    "split_cable",
    "header.parse_header",
    "canonical.origin_name",  # of the FM line's post, when no metadata names the origin
    "canonical.station",  # of the FM line's post, for a reference id
    "body.classification_line",
    "references.parse_references",
    "body.parse_classified_by",
    "subject.parse_subject",
    "body.parse_summary",
    "body.signed_by",
    "body.decl_line",
    "body.nondisclosure_deadline",
    "body.caveats",
    "tags.parse_tags",
    "body.paragraphs",
    "body.clean_content",
)
NOT_IN_PARSE_CABLE = frozenset({"parse_cable", "body.clean_content"})  # never the culprit
_MODULES = {
    "parser": parser,
    "header": header_mod,
    "body": body_mod,
    "canonical": canonical,
    "references": references,
    "subject": subject,
    "tags": tags,
}


def _function(name: str) -> Callable[..., Any]:
    module, _, attr = name.rpartition(".")
    return getattr(_MODULES[module or "parser"], attr)  # looked up now: the parser changes


def _call(name: str, state: dict[str, Any]) -> Callable[[], object]:
    """The extractor called the way parse_cable calls it, updating `state` for the next ones."""
    fn = _function(name)
    text = state["body"]

    def split() -> None:
        if not state["header"]:
            state["header"], state["body"] = fn(state["body"])

    def head() -> None:
        found = fn(state["header"]) if state["header"] else None
        created = state["metadata"].created or (found.created if found else None)
        state["year"] = created.year if created else None
        state["sender"] = found.sender if found else ""

    def sender() -> object:
        return fn(state["sender"]) if state["sender"] else None

    def classified() -> None:
        found = fn(text, normalize=True)
        state["names"] = found.names if found else ()

    def classification() -> None:
        state["cls_line"] = fn(text)

    def caveats() -> object:
        takes_line = len(inspect.signature(fn).parameters) > 1  # parse_cable hands it the line
        return fn(text, state["cls_line"]) if takes_line else fn(text)

    calls: dict[str, Callable[[], object]] = {
        "parse_cable": lambda: fn(state["header"], state["body"], state["metadata"]),
        "split_cable": split,
        "header.parse_header": head,
        "references.parse_references": lambda: fn(text, state["year"], state["metadata"].refid),
        "body.parse_classified_by": classified,
        "body.classification_line": classification,
        "body.caveats": caveats,
        "canonical.origin_name": sender,
        "canonical.station": sender,
        "subject.parse_subject": lambda: fn(text, clean=True),
        "tags.parse_tags": lambda: fn(text, canonicalize=True),
        "body.signed_by": lambda: fn(text, state["names"]),
    }
    return calls.get(name, lambda: fn(text))


def _cold(call: Callable[[], Any]) -> Any:
    """Run `call` with the parser's bounded caches emptied: an extractor re-run after the parse
    would otherwise find its station guesses and title matches cached, and look cheap."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("cables.parser"):
            continue
        for value in list(vars(module).values()):
            parameters = getattr(value, "cache_parameters", None)
            if parameters is not None and parameters()["maxsize"] is not None:
                value.cache_clear()
    return call()


_PREREQUISITES = frozenset(
    {"split_cable", "header.parse_header", "body.classification_line", "body.parse_classified_by"}
)


def breakdown(
    inp: Input, start: int = 0, skip: frozenset[str] = frozenset()
) -> Iterator[tuple[int, str, Callable[[], tuple[float, Failure | None]]]]:
    """(index, extractor, timer) from `start` on; earlier extractors run untimed if needed."""
    state: dict[str, Any] = {
        "header": inp.header,
        "body": inp.body,
        "metadata": inp.metadata,
        "year": None,
        "names": (),
        "cls_line": None,
        "sender": "",
    }
    for k, name in enumerate(EXTRACTORS):
        if name in skip:
            continue
        if k < start:
            if name in _PREREQUISITES:
                timed(_call(name, state))
            continue
        yield k, name, lambda name=name: _cold(lambda: timed(_call(name, state)))
