"""Derive every stored cable again from its raw text with the current parser (cables.importing)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cables.importing.reparse import ReparseBusy, ReparseObserver, ReparseSummary, reparse

from .import_cables import USAGE_ERROR, ProgressBar, _is_tty


class Command(BaseCommand):
    help = (
        "Re-derive every stored cable from its raw text with the current parser, in batches. "
        "A killed run resumes where it stopped when started again (--restart starts over). "
        "Prints what changed; exit status 1 when some cables no longer parse or conflict."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, metavar="N")
        parser.add_argument(
            "--workers", type=int, metavar="N", help="parse in N processes (default: one per CPU)"
        )
        parser.add_argument(
            "--restart", action="store_true", help="start over instead of resuming a killed run"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change; write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1", returncode=USAGE_ERROR)
        if options["workers"] is not None and options["workers"] < 0:
            raise CommandError("--workers must be 0 or more", returncode=USAGE_ERROR)
        observer = CommandObserver(self, bar=_is_tty())
        try:
            summary, _run = reparse(
                batch_size=options["batch_size"],
                workers=options["workers"],
                restart=options["restart"],
                dry_run=options["dry_run"],
                observer=observer,
            )
        except ReparseBusy as exc:
            raise CommandError(str(exc), returncode=USAGE_ERROR) from exc
        observer.finish()
        for line in report(summary, dry_run=options["dry_run"]):
            self.stdout.write(line)
        if summary.failed or summary.conflicts:
            raise CommandError(
                f"{summary.failed} cable(s) no longer parse and {summary.conflicts} conflict; "
                "they were left as they were",
                returncode=1,
            )


def report(summary: ReparseSummary, *, dry_run: bool) -> list[str]:
    verb = "would change" if dry_run else "changed"
    lines = [
        f"{'Dry run (nothing written): ' if dry_run else ''}{summary.records:,} cables reparsed "
        f"in {summary.elapsed:.1f}s ({summary.rate:,.0f} cables/s): {summary.changed:,} {verb}, "
        f"{summary.unchanged:,} unchanged, {summary.failed:,} no longer parse, "
        f"{summary.conflicts:,} conflicts"
        + (f", {summary.skipped:,} left to a newer import" if summary.skipped else "")
    ]
    if summary.fields:
        counts = ", ".join(f"{name} {n:,}" for name, n in summary.fields.most_common())
        lines.append(f"Fields that differ: {counts}")
    if summary.renamed_cables:
        lines.append(
            f"{summary.renamed_cables:,} cables now have another reference id; "
            "the old ids redirect to them"
        )
    for old, new in sorted(summary.renamed_origins.items()):
        lines.append(f"Post renamed: {old} → {new} (its old links redirect)")
    return lines


class CommandObserver(ReparseObserver):
    def __init__(self, command: BaseCommand, *, bar: bool) -> None:
        self.command = command
        self.bar: ProgressBar | None = None
        self.show_bar = bar

    def progress(self, summary: ReparseSummary, total: int) -> None:
        if self.show_bar:
            self.bar = self.bar or ProgressBar(self.command.stderr, total)
            self.bar.show(summary)  # type: ignore[arg-type]

    def failed(self, message: str) -> None:
        if self.bar:
            self.bar.clear()
        self.command.stderr.write(message, style_func=self.command.style.WARNING)

    def finish(self) -> None:
        if self.bar:
            self.bar.finish()
