import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY="x" * 64 + "-production-like-secret-key-for-the-check",
        DJANGO_ALLOWED_HOSTS="cables.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_postgresql_sessions_run_without_jit():
    if connection.vendor != "postgresql":
        pytest.skip("JIT is a PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_cache_url_picks_a_shared_redis_cache_or_local_memory():
    from cablearchive.settings import cache_settings

    assert cache_settings("")["default"]["BACKEND"].endswith("LocMemCache")
    redis = cache_settings("redis://127.0.0.1:6379/1")["default"]
    assert redis["BACKEND"].endswith("RedisCache") and redis["LOCATION"].endswith("/1")
    with pytest.raises(Exception, match="CACHE_URL must start with") as caught:
        cache_settings("memcached://user:secret@cache:11211")
    assert "secret" not in str(caught.value)
