"""The whole-archive figures are cached where every process and machine can read them."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from cablearchive.settings import cache_settings
from cables import facets

pytest_plugins = ["tests.fixtures_web"]

REDIS_URL = os.environ.get("CABLEARCHIVE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parent.parent


def redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not redis_is_up() and "CABLEARCHIVE_TEST_REDIS_URL" not in os.environ,
        reason="no Redis at 127.0.0.1:6379 (.ci/run starts one), nor CABLEARCHIVE_TEST_REDIS_URL",
    ),
]


def test_a_summary_computed_by_one_process_is_read_by_another(archive):
    with override_settings(CACHES=cache_settings(REDIS_URL)):
        from django.core.cache import cache

        cache.clear()
        summary = facets.summarize(facets_all())
        key = facets.cache_key("summary")
        read_elsewhere = subprocess.run(
            [sys.executable, "-c", READ_ELSEWHERE, key],
            cwd=ROOT,
            env={**os.environ, "CACHE_URL": REDIS_URL, "DJANGO_DEBUG": "1"},
            capture_output=True,
            text=True,
            check=True,
        )
        assert read_elsewhere.stdout.strip() == str(summary.count)
        cache.clear()


def facets_all():
    from cables.models import Cable

    return Cable.objects.all()


READ_ELSEWHERE = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cablearchive.settings")
import django
django.setup()
from django.core.cache import cache
summary = cache.get(sys.argv[1])
print(summary.count if summary is not None else "missing")
"""
