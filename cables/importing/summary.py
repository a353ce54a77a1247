"""What an import reports: its figures, its rejections, and the observer that hears them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from ..parser import ParsedCable
from ..readers import BadRecord, RawRecord

if TYPE_CHECKING:
    from ..models import ImportJob

NEW_REFIDS_KEPT = 100
REJECTIONS_KEPT = 1000


class Rejection(NamedTuple):
    source: str
    position: str
    line: int | None
    error: str

    def __str__(self) -> str:
        where = f"{self.position}, line {self.line}" if self.line else self.position
        return f"{self.source}: {where}: {self.error}"


@dataclass
class ImportSummary:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    elapsed: float = 0.0
    new_refids: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def records(self) -> int:
        return self.new + self.updated + self.unchanged + self.rejected

    @property
    def rate(self) -> float:
        """Records per second."""
        return self.records / self.elapsed if self.elapsed > 0 else 0.0

    def add_new(self, refid: str) -> None:
        self.new += 1
        if len(self.new_refids) < NEW_REFIDS_KEPT:
            self.new_refids.append(refid)

    def add_rejection(self, rejection: Rejection) -> None:
        self.rejected += 1
        if len(self.rejections) < REJECTIONS_KEPT:
            self.rejections.append(rejection)


class ImportObserver:
    """Hears an import as it runs; each method does nothing here, so a subclass takes what it needs.

    For each batch: `parsed` for every cable that parsed, then (once the batch is written)
    `rejected` for every record that was not, then `progress`; `finished` once the run is over.
    `job` is the ImportJob that the rejected records are filed under, if any.
    """

    job: ImportJob | None = None

    def parsed(self, record: RawRecord, cable: ParsedCable) -> None:
        pass

    def rejected(self, record: RawRecord | BadRecord, rejection: Rejection) -> None:
        pass

    def progress(self, summary: ImportSummary) -> None:
        pass

    def finished(self, summary: ImportSummary) -> None:
        pass
