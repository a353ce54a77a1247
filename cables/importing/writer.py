"""One parsed batch into the database, in one transaction and a fixed number of queries.

A plan counts each record as if imported one by one and keeps only the last text of each
reference id; the writer then creates or updates the cables, keeps replaced texts as versions,
replaces their recipients, tags and references, points earlier dangling citations at the new
cables, and quarantines the records that did not parse.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, cast

from django.db.models import Model, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.text import slugify

from .. import search
from ..models import (
    ArchiveState,
    Cable,
    CableTag,
    CableVersion,
    ImportJob,
    Origin,
    Recipient,
    Reference,
    RejectedRecord,
    Tag,
)
from ..parser import ParsedCable
from ..parser import tags as tag_codes
from .database import BulkSQL, Row
from .parsing import (
    MAX_RECORD_CHARS,
    ROLES,
    Batch,
    Parsed,
    Record,
    max_length,
    references_as_written,
)
from .summary import ImportSummary, Rejection


@dataclass
class _Held:
    """What a reference id holds before an incoming record: the stored row or an earlier record."""

    hash: str
    cable_id: int | None = None
    incoming: Parsed | None = None
    earlier: frozenset[str] = frozenset()  # hashes of the texts it held before
    dump_id: int | None = None
    source: str = ""
    source_format: str = ""
    source_position: str = ""
    imported_at: datetime | None = None


class _Final(NamedTuple):
    """The text a reference id ends the batch with, and the stored cable it replaces, if any."""

    incoming: Parsed
    cable_id: int | None
    dump_id: int | None
    hash: str
    earlier: frozenset[str]


@dataclass
class _Plan:
    final: dict[str, _Final]
    versions: list[tuple[str, _Held]]  # the texts being replaced, oldest first
    new: list[str]


def _plan(parsed: Sequence[Parsed], known: dict[str, _Held], summary: ImportSummary) -> _Plan:
    """Count each record as if imported one by one; only the last text of a reference id is kept."""
    state = dict(known)
    versions: list[tuple[str, _Held]] = []
    for item in parsed:
        refid, incoming_hash = item.cable.refid, item.fields["content_hash"]
        previous = state.get(refid)
        if previous is None:
            summary.add_new(refid)
        elif incoming_hash == previous.hash or incoming_hash in previous.earlier:
            # A text we already hold, current or earlier: re-running an import of several
            # releases must not flip the cable between them and pile up versions.
            summary.unchanged += 1
            continue
        else:
            summary.updated += 1
            versions.append((refid, previous))
        earlier = previous.earlier | {previous.hash} if previous else frozenset()
        # A format that does not state the dump's id must not erase one another format gave.
        dump_id = item.fields["dump_id"] or (previous.dump_id if previous else None)
        state[refid] = _Held(
            incoming_hash, previous.cable_id if previous else None, item, earlier, dump_id=dump_id
        )
    final = {
        refid: _Final(held.incoming, held.cable_id, held.dump_id, held.hash, held.earlier)
        for refid, held in state.items()
        if held.incoming is not None
    }
    new = [refid for refid, current in final.items() if current.cable_id is None]
    return _Plan(final, versions, new)


class DryRun:
    """Counts like a real import, remembering what earlier batches would have written."""

    def __init__(self) -> None:
        self.seen: dict[str, _Held] = {}

    def write(self, batch: Batch, summary: ImportSummary) -> None:
        refids = {item.cable.refid for item in batch.parsed}
        known = _stored(refids - self.seen.keys())
        known.update((r, c) for r, c in self.seen.items() if r in refids)
        plan = _plan(batch.parsed, known, summary)
        self.seen.update(
            (refid, _Held(c.hash, earlier=c.earlier)) for refid, c in plan.final.items()
        )


class Writer:
    """Writes batches; `quarantine` keeps the rejected records, filed under `job`."""

    def __init__(self, db: BulkSQL, *, quarantine: bool, job: ImportJob | None) -> None:
        self.db = db
        self.quarantine = quarantine
        self.job = job

    def write(self, batch: Batch, summary: ImportSummary) -> None:
        with self.db.batch():
            if self.quarantine and batch.rejected:
                rows = [
                    _rejected_row(record, rejection, self.job)
                    for record, rejection in batch.rejected
                ]
                RejectedRecord.objects.bulk_create(_not_yet_quarantined(rows))
            if batch.parsed:
                self._write_cables(batch.parsed, summary)

    def _write_cables(self, parsed: list[Parsed], summary: ImportSummary) -> None:
        plan = _plan(parsed, _stored({item.cable.refid for item in parsed}), summary)
        if not plan.final:
            return
        ArchiveState.changed()
        origins = _origin_ids({final.incoming.cable.origin for final in plan.final.values()})
        changed = {r: f.cable_id for r, f in plan.final.items() if f.cable_id is not None}
        drawn = self.db.new_ids(Cable, len(plan.new)) if plan.new else []
        if drawn is None:  # the insert numbers the new cables: they go in first
            ids = {**changed, **self._create_cables(plan, origins, None)}
        else:
            ids = {**changed, **dict(zip(plan.new, drawn, strict=True))}
        _save_versions(plan.versions, ids)  # before the update overwrites the stored text
        search.unindex_cables(sorted(changed.values()))  # while the index still reads the old text
        _update_cables(self.db, plan, origins)
        cables = [(ids[refid], final.incoming.cable) for refid, final in plan.final.items()]
        self._replace_children(cables, list(changed.values()))
        indexed: set[int] = set()
        if drawn:
            # Numbered ahead, the new cables go in after their TAGs (the foreign keys are checked
            # at commit), so a database that can index them as they go in does.
            self._create_cables(plan, origins, drawn)
            if self.db.indexes_on_insert:
                indexed = set(drawn)
        _resolve_references_to(plan.new)
        search.index_cables(sorted(set(ids.values()) - indexed))

    def rewrite(
        self,
        items: Sequence[tuple[int, Parsed]],
        renamed: Sequence[str],
        *,
        children: Collection[int],
        searched: Collection[int],
    ) -> None:
        """Store a new parse of cables already held, in place: the same ids, no versions.

        Only what a parse derives is written, never the raw text. `children` are the cables
        whose recipients, TAGs or references changed, `searched` those whose indexed text did;
        `renamed` the reference ids some now have, which dangling citations may name.
        """
        if not items:
            return
        origins = _origin_ids({item.cable.origin for _id, item in items})
        search.unindex_cables(sorted(searched))
        values = cast(list[dict[str, object]], [dict(item.fields) for _id, item in items])
        for (cable_id, item), row in zip(items, values, strict=True):
            row["origin"], row["id"] = origins[item.cable.origin], cable_id
        self.db.update_rows(Cable, _REDERIVED_FIELDS, _rows(values, _REDERIVED_FIELDS))
        self._replace_children(
            [(cable_id, item.cable) for cable_id, item in items if cable_id in children],
            sorted(children),
        )
        _resolve_references_to(list(renamed))
        search.index_cables(sorted(searched))
        ArchiveState.changed()

    def _create_cables(
        self, plan: _Plan, origins: dict[str, int], drawn: list[int] | None
    ) -> dict[str, int]:
        """Insert the new cables, with the ids drawn for them if the database could draw them."""
        if not plan.new:
            return {}
        skipped = {"search_vector"} if drawn is not None else {"id", "search_vector"}
        fields = [f for f in Cable._meta.concrete_fields if f.name not in skipped]
        ids = dict(zip(plan.new, drawn, strict=True)) if drawn is not None else {}
        now = timezone.now()
        rows = []
        for refid in plan.new:
            item = plan.final[refid].incoming
            values: dict[str, object] = {**item.fields, "origin": origins[item.cable.origin]}
            values["id"] = ids.get(refid)
            values["imported_at"] = values["updated_at"] = now
            rows.append(
                tuple(values[f.name] if f.name in values else f.get_default() for f in fields)
            )
        self.db.insert_cables([f.name for f in fields], rows)
        if ids:
            return ids
        return dict(Cable.objects.filter(refid__in=plan.new).values_list("refid", "id"))

    def _replace_children(self, cables: list[tuple[int, ParsedCable]], changed: list[int]) -> None:
        if changed:
            Recipient.objects.filter(cable_id__in=changed).delete()
            CableTag.objects.filter(cable_id__in=changed).delete()
            Reference.objects.filter(citing_id__in=changed).delete()
        self.db.insert_rows(Recipient, RECIPIENT_COLUMNS, recipient_rows(cables))
        tag_ids = _tag_ids({code for _id, cable in cables for code in tags_of(cable)})
        self.db.insert_rows(
            CableTag,
            ("cable", "tag", "position"),
            (
                (cable_id, tag_ids[code], position)
                for cable_id, cable in cables
                for position, code in enumerate(tags_of(cable))
            ),
        )
        targets = {refid for _id, cable in cables for refid in cable.reference_ids}
        cited = dict(Cable.objects.filter(refid__in=targets).values_list("refid", "id"))
        self.db.insert_rows(
            Reference,
            ("citing", "position", "target_refid", "cited", "text"),
            (
                (cable_id, position, refid, cited.get(refid), text)
                for cable_id, cable in cables
                for position, (refid, text) in enumerate(references_of(cable))
            ),
        )


# --- the quarantine ------------------------------------------------------------------------------


def _rejected_row(record: Record, rejection: Rejection, job: ImportJob | None) -> RejectedRecord:
    # PostgreSQL text cannot hold NUL; the operator still sees where the binary data was.
    raw = record.raw[:MAX_RECORD_CHARS].replace("\x00", "\ufffd")
    return RejectedRecord(
        source=record.source[:1000],
        source_format=record.format[:20],
        position=record.position[:200],
        line=rejection.line,
        error=str(rejection),
        raw=raw,
        job=job,
    )


def _not_yet_quarantined(rows: list[RejectedRecord]) -> list[RejectedRecord]:
    """A record already waiting in the quarantine with the same text is not kept twice."""
    waiting = set(
        RejectedRecord.objects.filter(
            status=RejectedRecord.Status.PENDING,
            source__in={row.source for row in rows},
            position__in={row.position for row in rows},
        ).values_list("source", "position", "raw")
    )
    fresh = {(row.source, row.position, row.raw): row for row in rows}
    return [row for key, row in fresh.items() if key not in waiting]


# --- stored state, origins and tags --------------------------------------------------------------

_STORED_FIELDS = (
    "id",
    "refid",
    "dump_id",
    "content_hash",
    "source",
    "source_format",
    "source_position",
)


def _stored(refids: set[str]) -> dict[str, _Held]:
    rows = Cable.objects.filter(refid__in=refids).values(*_STORED_FIELDS, "updated_at")
    earlier: dict[str, set[str]] = defaultdict(set)
    versions = CableVersion.objects.filter(cable__refid__in=refids)
    for refid, text_hash in versions.values_list("cable__refid", "content_hash"):
        earlier[refid].add(text_hash)
    return {
        row["refid"]: _Held(
            row["content_hash"],
            row["id"],
            source=row["source"],
            source_format=row["source_format"],
            source_position=row["source_position"],
            imported_at=row["updated_at"],
            earlier=frozenset(earlier[row["refid"]]),
            dump_id=row["dump_id"],
        )
        for row in rows
    }


def _origin_ids(names: set[str]) -> dict[str, int]:
    ids = dict(Origin.objects.filter(name__in=names).values_list("name", "id"))
    missing = sorted(names - ids.keys())
    if missing:
        slugs = _unique_slugs(missing)
        created = Origin.objects.bulk_create(
            Origin(name=name, slug=slugs[name]) for name in missing
        )
        ids.update(_ids_of(Origin, "name", created))
    return ids


def _unique_slugs(names: list[str]) -> dict[str, str]:
    """Slugs for new origins that collide neither with stored ones nor with each other."""
    wanted = {name: slugify(name)[:180] or "origin" for name in names}
    taken = set(
        Origin.objects.filter(
            Q(slug__in=wanted.values()) | Q(slug__regex=_slug_family(wanted.values()))
        ).values_list("slug", flat=True)
    )
    slugs = {}
    for name, slug in wanted.items():
        candidate, n = slug, 1
        while candidate in taken:
            n += 1
            candidate = f"{slug}-{n}"
        taken.add(candidate)
        slugs[name] = candidate
    return slugs


def _slug_family(slugs: Iterable[str]) -> str:
    return "^(" + "|".join(sorted(set(slugs))) + ")-[0-9]+$"


def _tag_ids(codes: set[str]) -> dict[str, int]:
    ids = dict(Tag.objects.filter(code__in=codes).values_list("code", "id"))
    missing = sorted(codes - ids.keys())
    if missing:
        created = Tag.objects.bulk_create(_new_tag(code) for code in missing)
        ids.update(_ids_of(Tag, "code", created))
    return ids


def _new_tag(code: str) -> Tag:
    entry = tag_codes.glossary().get(code.upper())
    kind = tag_codes.tag_kind(code)
    return Tag(
        code=code,
        kind=kind if kind in Tag.Kind.values else Tag.Kind.SUBJECT,
        description=entry.description if entry else "",
    )


def _ids_of(model: type[Model], key: str, objs: Sequence[Model]) -> dict[str, int]:
    """Primary keys of freshly bulk-created rows (re-read where the database cannot return them)."""
    if all(obj.pk is not None for obj in objs):
        return {getattr(obj, key): obj.pk for obj in objs}
    keys = [getattr(obj, key) for obj in objs]
    return dict(model._default_manager.filter(**{f"{key}__in": keys}).values_list(key, "id"))


# --- cables, versions and related rows -----------------------------------------------------------

_UPDATED_FIELDS = [
    "dump_id",
    "created",
    "classification",
    "precedence",
    "transmission_id",
    "subject",
    "summary",
    "signed_by",
    "classified_by",
    "classified_by_title",
    "classification_reasons",
    "decl_date",
    "decl_text",
    "caveats",
    "raw",
    "header_stored",
    "header_start",
    "header_end",
    "body_stored",
    "body_start",
    "body_end",
    "source",
    "source_format",
    "source_position",
    "content_hash",
    "warnings",
    "tags_as_written",
    "corrections",
    "origin",
    "updated_at",
]


# What a reparse may change: what is derived from the raw text, never the text or its source.
_REDERIVED_FIELDS = [
    "refid",
    *(
        name
        for name in _UPDATED_FIELDS
        if name not in ("raw", "source", "source_format", "source_position", "updated_at")
    ),
]


def _update_cables(db: BulkSQL, plan: _Plan, origins: dict[str, int]) -> None:
    """Rewrite cables whose text changed; their ids stay, so citations and versions still point."""
    now = timezone.now()
    values: list[dict[str, object]] = []
    for final in plan.final.values():
        if final.cable_id is None:
            continue
        item = final.incoming
        origin = origins[item.cable.origin]
        values.append(
            {
                **item.fields,
                "dump_id": final.dump_id,
                "origin": origin,
                "updated_at": now,
                "id": final.cable_id,
            }
        )
    db.update_rows(Cable, _UPDATED_FIELDS, _rows(values, _UPDATED_FIELDS))


def _rows(values: list[dict[str, object]], names: Sequence[str]) -> Iterator[Row]:
    """(column values…, id) for update_rows."""
    for row in values:
        yield (*(row[name] for name in names), row["id"])


def _save_versions(versions: list[tuple[str, _Held]], ids: dict[str, int]) -> None:
    if not versions:
        return
    stored_ids = [held.cable_id for _refid, held in versions if held.incoming is None]
    stored_raw = dict(Cable.objects.filter(id__in=stored_ids).values_list("refid", "raw"))
    now = timezone.now()
    rows = []
    for refid, held in versions:
        if held.incoming is None:
            raw, imported_at = stored_raw[refid], held.imported_at or now
            provenance = (held.source, held.source_format, held.source_position)
        else:
            fields = held.incoming.fields
            raw, imported_at = fields["raw"], now
            provenance = (fields["source"], fields["source_format"], fields["source_position"])
        rows.append(
            CableVersion(
                cable_id=ids[refid],
                raw=raw,
                content_hash=held.hash,
                source=provenance[0],
                source_format=provenance[1],
                source_position=provenance[2],
                imported_at=imported_at,
            )
        )
    CableVersion.objects.bulk_create(rows)


RECIPIENT_COLUMNS = (
    "cable",
    "position",
    "role",
    "route",
    "name",
    "precedence",
    "serial",
    "excluded",
)


def recipient_rows(cables: list[tuple[int, ParsedCable]]) -> Iterator[Row]:
    for cable_id, cable in cables:
        for position, r in enumerate(cable.recipients):
            yield (
                cable_id,
                position,
                ROLES.get(r.role, Recipient.Role.INFO.value),
                (r.route or "")[:20],
                r.name[:300],
                (r.precedence or "")[:40],
                (r.serial or "")[:20],
                list(r.excluded),
            )


def tags_of(cable: ParsedCable) -> list[str]:
    limit = max_length(Tag, "code")
    return [code for code in dict.fromkeys(cable.tags) if code and _fits(code, limit)]


def references_of(cable: ParsedCable) -> list[tuple[str, str]]:
    limit = max_length(Reference, "target_refid")
    text_limit = max_length(Reference, "text") or 0
    return [
        (refid, text[:text_limit])
        for refid, text in references_as_written(cable)
        if _fits(refid, limit)
    ]


def _fits(value: str, limit: int | None) -> bool:
    return limit is None or len(value) <= limit


def _resolve_references_to(new_refids: list[str]) -> None:
    """Point earlier, still dangling citations at the cables this batch added (one UPDATE)."""
    if not new_refids:
        return
    Reference.objects.filter(cited__isnull=True, target_refid__in=new_refids).update(
        cited=Subquery(Cable.objects.filter(refid=OuterRef("target_refid")).values("id")[:1])
    )
