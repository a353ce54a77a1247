import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cables.management.commands import import_cables
from cables.models import Cable, RejectedRecord
from tests.lima_records import without_refid

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SEED = DATA / "seed.txt"
LIMA = DATA / "import_07LIMA3673.txt"
MALFORMED_CSV = DATA / "import_malformed.csv"  # one good cables.csv row, then one cut short

JSON_KEYS = {
    "refid",
    "date",
    "origin",
    "classification",
    "precedence",
    "subject",
    "tags",
    "tags_as_written",
    "references",
    "references_as_written",
    "recipients",
    "signed_by",
    "classified_by",
    "decl_date",
    "summary",
    "corrections",
    "warnings",
    "source",
}


def run(*args, stdin=None) -> tuple[int, str, str]:
    """call_command as the shell would see it: (exit status, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    options = {"stdin": stdin} if stdin else {}
    try:
        call_command("import_cables", *map(str, args), stdout=out, stderr=err, **options)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def with_serial(text: str, serial: int) -> str:
    """The Lima cable as if sent under another serial, so its reference id is 07LIMA<serial>."""
    return text.replace("LIMA 003673", f"LIMA {serial:06d}").replace("#3673/01", f"#{serial}/01")


def bad_inputs(folder: Path) -> Path:
    """A folder with one of every kind of input the importer must quarantine."""
    lima = LIMA.read_text(encoding="utf-8")
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.dat").write_bytes(bytes(range(256)) * 8)
    (folder / "truncated.txt").write_text("".join(lima.splitlines(True)[:17]), encoding="utf-8")
    (folder / "malformed.csv").write_bytes(MALFORMED_CSV.read_bytes())
    (folder / "no-refid.txt").write_text(without_refid(lima), encoding="utf-8")
    (folder / "oversize.txt").write_text(lima * (6 * 1024 * 1024 // len(lima)), encoding="utf-8")
    (folder / "good.txt").write_text(lima, encoding="utf-8")
    return folder


# --- exit status and output ----------------------------------------------------------------------


@pytest.mark.django_db
def test_clean_import_exits_zero_with_a_summary():
    status, out, _err = run(SEED)
    assert status == 0
    assert "1 new, 0 updated, 0 unchanged, 0 rejected" in out
    assert "cables/s" in out


@pytest.mark.django_db
def test_every_bad_input_is_quarantined_and_counted(tmp_path):
    status, out, _err = run(bad_inputs(tmp_path / "in"))
    assert status == 1
    assert "2 new, 0 updated, 0 unchanged, 6 rejected" in out
    assert RejectedRecord.objects.count() == 6
    assert Cable.objects.count() == 2


@pytest.mark.django_db
def test_each_rejection_is_printed_with_source_position_and_line(tmp_path):
    _status, _out, err = run(bad_inputs(tmp_path / "in"))
    assert f"{tmp_path / 'in' / 'malformed.csv'}: row 2, line 116: " in err
    assert f"{tmp_path / 'in' / 'empty.txt'}: file, line 1: empty file" in err


@pytest.mark.django_db
def test_rejections_exit_one_after_importing_the_rest(tmp_path):
    status, _out, _err = run(MALFORMED_CSV)
    assert status == 1
    assert Cable.objects.filter(refid="66BUENOSAIRES2481").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        [],
        ["no/such/file.txt"],
        ["--format", "pdf", SEED],
        ["--json", SEED],
        ["--batch-size", "0", SEED],
        ["--workers", "-1", SEED],
    ],
    ids=[
        "no-path",
        "missing-path",
        "bad-format",
        "json-without-dry-run",
        "zero-batch",
        "negative-workers",
    ],
)
def test_usage_errors_exit_two_and_import_nothing(args):
    status, _out, _err = run(*args)
    assert status == 2
    assert not Cable.objects.exists()


@pytest.mark.django_db
def test_dry_run_writes_nothing_but_reports_the_figures(tmp_path):
    status, out, _err = run("--dry-run", bad_inputs(tmp_path / "in"))
    assert status == 1
    assert "2 new, 0 updated, 0 unchanged, 6 rejected" in out
    assert not Cable.objects.exists()
    assert not RejectedRecord.objects.exists()


@pytest.mark.django_db
def test_json_dry_run_prints_one_object_per_cable_and_nothing_else():
    _status, out, err = run("--dry-run", "--json", SEED, LIMA)
    lines = out.splitlines()
    cable = json.loads(lines[0])
    assert len(lines) == 2
    assert set(cable) == JSON_KEYS
    assert "1 new, 0 updated, 1 unchanged" in err  # the same cable text in two wrappers


@pytest.mark.django_db
def test_json_cable_carries_the_seed_fields():
    _status, out, _err = run("--dry-run", "--json", SEED)
    cable = json.loads(out)
    assert (cable["refid"], cable["date"]) == ("07LIMA3673", "2007-11-20T13:37:00+00:00")
    assert cable["tags"] == ["PGOV", "PREL", "PTER", "SNAR", "PE"]
    assert cable["references"] == ["07LIMA3638"]
    assert cable["recipients"][0] == {
        "role": "action",
        "route": "RUEHC",
        "name": "SECSTATE WASHDC",
        "precedence": "PRIORITY",
        "serial": "7349",
    }


@pytest.mark.django_db
def test_json_dry_run_sends_rejections_to_stderr(tmp_path):
    status, out, err = run("--dry-run", "--json", MALFORMED_CSV)
    assert status == 1
    assert [json.loads(line)["refid"] for line in out.splitlines()] == ["66BUENOSAIRES2481"]
    assert "row 2, line 116" in err


@pytest.mark.django_db
def test_dash_reads_the_cable_from_stdin():
    status, _out, _err = run("-", stdin=BytesIO(LIMA.read_bytes()))
    assert status == 0
    assert Cable.objects.get().source == "-"


@pytest.mark.django_db
def test_workers_option_is_accepted_and_imports_the_cables():
    status, out, _err = run("--workers", "2", str(DATA / "cables_tiny.csv"))
    assert status == 0, out
    assert Cable.objects.count() == 12


@pytest.mark.django_db
def test_on_a_terminal_a_progress_bar_counts_the_records_then_ends_its_line(monkeypatch):
    monkeypatch.setattr(import_cables, "_is_tty", lambda: True)
    _status, out, err = run(DATA / "cables_tiny.csv")
    assert "] 12/12  " in err
    assert err.endswith("cables/s\n")
    assert "12 new" in out


@pytest.mark.django_db
def test_on_a_terminal_a_rejection_is_printed_on_a_cleared_line(monkeypatch):
    monkeypatch.setattr(import_cables, "_is_tty", lambda: True)
    _status, _out, err = run(MALFORMED_CSV)
    assert "\r\x1b[K" + str(MALFORMED_CSV) + ": row 2, line 116: " in err


@pytest.mark.django_db
def test_format_option_forces_the_reader():
    status, _out, _err = run("--format", "raw", LIMA)
    assert status == 0
    assert Cable.objects.get().source_format == "raw"


# --- a killed import, re-run ---------------------------------------------------------------------

KILL_CORPUS = 1500
KILL_BATCH = 25


def corpus(folder: Path) -> Path:
    lima = LIMA.read_text(encoding="utf-8")
    folder.mkdir()
    for serial in range(1, KILL_CORPUS + 1):
        (folder / f"{serial:05d}.txt").write_text(with_serial(lima, serial), encoding="utf-8")
    return folder


class Database:
    """Where a child `manage.py` writes: a SQLite file, or the PostgreSQL test database."""

    def __init__(self, tmp_path: Path) -> None:
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            self.path = tmp_path / "kill.sqlite3"
            self.url = f"sqlite:///{self.path}"
            manage(self.url, "migrate", "--noinput", "-v0")
        else:
            s = connection.settings_dict
            self.url = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"

    def value(self, sql: str) -> int:
        if self.vendor == "sqlite":
            with sqlite3.connect(self.path) as db:
                return db.execute(sql).fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]


def child_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": "test-only-not-secret",
        "DJANGO_DEBUG": "0",
    }


def manage(database_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=child_env(database_url),
        capture_output=True,
        text=True,
        check=False,
    )


def start_and_kill(db: Database, folder: Path) -> int:
    """Start an import, SIGKILL it once a batch is committed; the cables it left behind."""
    args = ["manage.py", "import_cables", "--batch-size", str(KILL_BATCH), str(folder)]
    child = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=child_env(db.url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while _cables(db) == 0 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    return _cables(db)


def _cables(db: Database) -> int:
    try:
        return db.value("SELECT count(*) FROM cables_cable")
    except sqlite3.OperationalError:  # locked by the child's write
        return 0


@pytest.mark.django_db(transaction=True)
def test_killed_import_rerun_completes_without_duplicates(tmp_path):
    db = Database(tmp_path)
    folder = corpus(tmp_path / "corpus")
    left = start_and_kill(db, folder)
    rerun = manage(db.url, "import_cables", "--batch-size", str(KILL_BATCH), str(folder))
    assert 0 < left < KILL_CORPUS
    assert left % KILL_BATCH == 0, "a batch was committed in part"
    assert rerun.returncode == 0, rerun.stderr
    assert f"{KILL_CORPUS - left} new, 0 updated, {left} unchanged, 0 rejected" in rerun.stdout
    assert db.value("SELECT count(DISTINCT refid) FROM cables_cable") == KILL_CORPUS
    assert db.value("SELECT count(*) FROM cables_cable") == KILL_CORPUS
    assert db.value("SELECT count(*) FROM cables_recipient") == 11 * KILL_CORPUS
    assert db.value("SELECT count(*) FROM cables_cabletag") == 5 * KILL_CORPUS
    assert db.value("SELECT count(*) FROM cables_reference") == KILL_CORPUS
    assert db.value("SELECT count(*) FROM cables_cableversion") == 0


@pytest.mark.django_db
def test_json_keeps_what_the_cable_wrote_beside_what_it_was_read_as(tmp_path):
    text = LIMA.read_text(encoding="utf-8").replace("TAGS: PGOV PREL", "TAGE: PGOV RU PHUMBA PREL")
    (tmp_path / "lima.txt").write_text(text, encoding="utf-8")
    _status, out, _err = run("--dry-run", "--json", str(tmp_path / "lima.txt"))
    cable = json.loads(out)
    assert cable["tags"][:4] == ["PGOV", "RS", "PHUM", "BA"]
    assert cable["tags_as_written"][:3] == ["PGOV", "RU", "PHUMBA"]
    assert {"field": "tag", "written": "RU", "value": "RS"} in cable["corrections"]
    assert {"field": "tags label", "written": "TAGE:", "value": "TAGS:"} in cable["corrections"]
    assert cable["references_as_written"] == [{"refid": "07LIMA3638", "as_written": "LIMA 3638"}]
