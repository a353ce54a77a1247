"""Import cables from files, folders, archives or stdin through `cables.importing`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from cables import importing
from cables.parser import ParsedCable
from cables.readers import FORMATS, BadRecord, RawRecord

USAGE_ERROR = 2


class Command(BaseCommand):
    help = (
        "Import cables from PATHs: raw cable text, Scoop pages, cables.csv dumps or WikiLeaks "
        "HTML pages, in folders, .zip/.tar.gz/.gz archives, or - for stdin. Records that cannot "
        "be imported are kept as rejected records; exit status 1 when there are any."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", metavar="PATH", help="files, folders, or -")
        # Checked in handle(), not by argparse, so that call_command() sees exit status 2 too.
        parser.add_argument("--format", metavar="{" + ",".join(FORMATS) + "}")
        parser.add_argument("--dry-run", action="store_true", help="parse and count; write nothing")
        parser.add_argument(
            "--json", action="store_true", help="with --dry-run: one JSON object per cable"
        )
        parser.add_argument("--batch-size", type=int, default=500, metavar="N")
        parser.add_argument(
            "--workers",
            type=int,
            metavar="N",
            help="parse in N processes (default: one per CPU for large inputs; 1: no workers)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths = options["paths"]
        self._check_usage(paths, options)
        as_json = options["json"]
        report = self.stderr if as_json else self.stdout
        bar = ProgressBar(self.stderr, self._total(paths, options)) if _is_tty() else None
        summary = importing.import_paths(
            paths,
            format=options["format"],
            stdin=self._stdin(paths, options),
            dry_run=options["dry_run"],
            batch_size=options["batch_size"],
            workers=options["workers"],
            observer=CommandObserver(self, as_json=as_json, bar=bar),
        )
        self._report(report, summary, dry_run=options["dry_run"])
        if summary.rejected:
            raise CommandError(
                f"{summary.rejected} record(s) rejected; the others were "
                + ("checked" if options["dry_run"] else "imported"),
                returncode=1,
            )

    def _check_usage(self, paths: list[str], options: dict[str, Any]) -> None:
        problems = []
        if not paths:
            problems.append("give at least one PATH (a file, a folder, or - for stdin)")
        problems += [
            f"no such file or folder: {p}" for p in paths if p != "-" and not Path(p).exists()
        ]
        if options["format"] is not None and options["format"] not in FORMATS:
            problems.append(
                f"--format must be one of {', '.join(FORMATS)}, not {options['format']!r}"
            )
        if options["json"] and not options["dry_run"]:
            problems.append("--json needs --dry-run")
        if options["batch_size"] < 1:
            problems.append("--batch-size must be at least 1")
        if options["workers"] is not None and options["workers"] < 0:
            problems.append("--workers must be 0 or more")
        if problems:
            raise CommandError("; ".join(problems), returncode=USAGE_ERROR)

    def _stdin(self, paths: list[str], options: dict[str, Any]) -> BinaryIO | None:
        if "-" not in paths:
            return None
        return options.get("stdin") or sys.stdin.buffer

    def _total(self, paths: list[str], options: dict[str, Any]) -> int | None:
        if "-" in paths:
            return None
        return importing.count_records(paths, format=options["format"])

    def _report(
        self, out: OutputWrapper, summary: importing.ImportSummary, *, dry_run: bool
    ) -> None:
        style = self.style.WARNING if summary.rejected else self.style.SUCCESS
        prefix = "Dry run (nothing written): " if dry_run else ""
        out.write(
            style(
                f"{prefix}{summary.new} new, {summary.updated} updated, "
                f"{summary.unchanged} unchanged, {summary.rejected} rejected "
                f"in {summary.elapsed:.1f}s ({summary.rate:,.0f} cables/s)"
            )
        )


class CommandObserver(importing.ImportObserver):
    """What the command shows while it runs: JSON lines, rejections as warnings, a progress bar."""

    def __init__(self, command: BaseCommand, *, as_json: bool, bar: ProgressBar | None) -> None:
        self.command = command
        self.as_json = as_json
        self.bar = bar

    def parsed(self, record: RawRecord, cable: ParsedCable) -> None:
        if self.as_json:
            line = json.dumps(importing.cable_json(record, cable), ensure_ascii=False)
            self.command.stdout.write(line)

    def rejected(self, record: RawRecord | BadRecord, rejection: importing.Rejection) -> None:
        if self.bar:
            self.bar.clear()
        self.command.stderr.write(str(rejection), style_func=self.command.style.WARNING)

    def progress(self, summary: importing.ImportSummary) -> None:
        if self.bar:
            self.bar.show(summary)

    def finished(self, summary: importing.ImportSummary) -> None:
        if self.bar:
            self.bar.finish()


class ProgressBar:
    """One rewritten line on a terminal: records done of the total, and the rate."""

    WIDTH = 30

    def __init__(self, out: OutputWrapper, total: int | None) -> None:
        self.out = out
        self.total = total

    def show(self, summary: importing.ImportSummary) -> None:
        done = summary.records
        if self.total:
            filled = int(self.WIDTH * min(done / self.total, 1))
            bar = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:,}/{self.total:,}"
        else:
            bar = f"{done:,} records"
        self.out.write(f"\r{bar}  {summary.rate:,.0f} cables/s", style_func=_plain, ending="")
        self.out.flush()

    def clear(self) -> None:
        self.out.write("\r\x1b[K", style_func=_plain, ending="")

    def finish(self) -> None:
        self.out.write("", style_func=_plain)


def _plain(text: str) -> str:
    return text


def _is_tty() -> bool:
    return sys.stderr.isatty()
