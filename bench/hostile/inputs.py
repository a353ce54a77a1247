"""Cables and the hostile inputs made from them, and the reproducer files an input is saved to
and replayed from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from cables.parser import Metadata
from cables.readers import RawRecord, read_records

HEADER_MARK = "\n#=====parse_worst:header=====\n"
BODY_MARK = "\n#=====parse_worst:body=====\n"


class Cable(NamedTuple):
    name: str
    header: str
    body: str
    metadata: Metadata


@dataclass(frozen=True, slots=True)
class Input:
    header: str
    body: str
    metadata: Metadata
    recipe: str

    @property
    def size(self) -> int:
        return len((self.header + self.body).encode("utf-8", "surrogatepass"))


def load_cables(data: Path) -> list[Cable]:
    found: list[Cable] = []
    for record in read_records([data]):
        if isinstance(record, RawRecord):
            name = record.metadata.refid or f"{Path(record.source).name}:{record.position}"
            found.append(Cable(name, record.header, record.body, record.metadata))
    return found


def _metadata_json(meta: Metadata) -> str:
    return json.dumps(
        {
            "dump_id": meta.dump_id,
            "refid": meta.refid,
            "created": meta.created.isoformat() if meta.created else None,
            "origin": meta.origin,
            "classification": meta.classification,
            "references": list(meta.references),
        },
        ensure_ascii=False,
    )


def save_input(path: Path, inp: Input, notes: list[str]) -> None:
    comments = "".join(f"# {line}\n" for note in notes for line in note.splitlines())
    text = f"{comments}# recipe: {inp.recipe}\n{_metadata_json(inp.metadata)}"
    text += HEADER_MARK + inp.header + BODY_MARK + inp.body
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", errors="surrogatepass", newline="") as f:
        f.write(text)


def load_saved(path: Path) -> Input:
    with path.open(encoding="utf-8", errors="surrogatepass", newline="") as f:
        text = f.read()
    top, _, rest = text.partition(HEADER_MARK)
    header, _, body = rest.partition(BODY_MARK)
    lines = top.split("\n")
    recipe = next((ln[len("# recipe: ") :] for ln in lines if ln.startswith("# recipe: ")), "")
    raw = json.loads(lines[-1])
    created = datetime.fromisoformat(raw["created"]) if raw.get("created") else None
    meta = Metadata(
        dump_id=raw.get("dump_id"),
        refid=raw.get("refid"),
        created=created,
        origin=raw.get("origin"),
        classification=raw.get("classification"),
        references=tuple(raw.get("references") or ()),
    )
    return Input(header, body, meta, recipe or path.name)
