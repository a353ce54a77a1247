"""Two web servers and an import worker that share only PostgreSQL and Redis, as on three machines.

An upload through one server is kept in the database, imported by the worker, and shown by the
other server, whose whole-archive figures (cached in Redis) follow the import.
"""

import json
import re
import urllib.parse

import psycopg
import pytest
from django.db import connection

from tests.cluster import Browser, cluster, wait_until
from tests.conftest import DATA
from tests.test_shared_cache import REDIS_URL, redis_is_up

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="shared-nothing runs share PostgreSQL; SQLite is one machine's file",
    ),
    pytest.mark.skipif(not redis_is_up(), reason="no Redis at 127.0.0.1:6379 (.ci/run starts one)"),
]

LEAD = re.compile(r'<p class="lead">([\d,]+) cables')


def server_url() -> str:
    db = connection.settings_dict
    auth = urllib.parse.quote(db["USER"] or "postgres")
    if db["PASSWORD"]:
        auth += ":" + urllib.parse.quote(db["PASSWORD"])
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"


def cables_on_home(reader: Browser, server: str) -> int:
    status, page = reader.get(server + "/")
    assert status == 200
    return int(LEAD.search(page).group(1).replace(",", ""))


def test_an_upload_through_one_server_is_imported_by_a_worker_and_shown_by_the_other(tmp_path):
    with cluster(server_url(), REDIS_URL.replace("/15", "/14"), tmp_path) as machines:
        (web_a, web_b, worker), a, b = machines.two_webs_and_a_worker()
        reader = Browser()
        assert cables_on_home(reader, b) == 0

        staff = Browser()
        staff.log_in(a)
        landed = staff.post(
            f"{a}/admin/cables/cable/import/",
            {"format": ""},
            files=[
                ("lima.txt", (DATA / "import_07LIMA3673.txt").read_bytes()),
                ("tiny.csv", (DATA / "cables_tiny.csv").read_bytes()),
            ],
        )
        job = re.search(r"/importjob/(\d+)/", landed).group(1)

        def finished() -> dict | None:
            status, body = staff.get(f"{b}/admin/cables/importjob/{job}/progress.json")
            progress = json.loads(body) if status == 200 else {}
            return progress if progress.get("status") in ("done", "failed") else None

        progress = wait_until(finished, 120, f"job {job} to finish")
        assert (progress["status"], progress["new"], progress["error"]) == ("done", 13, "")
        status, page = reader.get(f"{b}/cables/07LIMA3673/")
        assert status == 200 and "07LIMA3673" in page
        assert cables_on_home(reader, b) == 13
        assert cables_on_home(reader, a) == 13
        # Nothing was left on any machine's disk, and the finished job's upload is gone.
        assert [m.files_left() for m in (web_a, web_b, worker)] == [[], [], []]
        with psycopg.connect(machines.database_url) as conn:
            assert conn.execute("SELECT count(*) FROM cables_storedupload").fetchone() == (0,)
