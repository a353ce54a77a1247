import pytest
from django.test import RequestFactory
from django.urls import reverse

from cables.ratelimit import retry_after

pytest_plugins = ["tests.fixtures_web"]

CSV = reverse("cables:cable_list") + "?format=csv"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("cables.ratelimit.clock", lambda: 1_000_030.0)  # 50 s before a window


def request_from(address: str):
    return RequestFactory().get("/", REMOTE_ADDR=address)


def test_a_client_is_counted_apart_from_another_and_told_when_to_come_back():
    assert retry_after(request_from("10.0.0.1"), "test", limit=2) is None
    assert retry_after(request_from("10.0.0.1"), "test", limit=2) is None
    wait = retry_after(request_from("10.0.0.1"), "test", limit=2)
    assert wait == 50
    assert retry_after(request_from("10.0.0.2"), "test", limit=2) is None
    assert retry_after(request_from("10.0.0.1"), "other", limit=2) is None


@pytest.mark.django_db
def test_csv_exports_past_the_limit_get_a_429_with_retry_after(client, archive, settings):
    settings.CABLEARCHIVE_EXPORTS_PER_MINUTE = 2
    assert [client.get(CSV).status_code for _ in range(2)] == [200, 200]
    refused = client.get(CSV)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "50"
    assert "try again" in refused.content.decode()
    assert client.get(reverse("cables:cable_list")).status_code == 200  # pages are not counted
    assert client.get(CSV, REMOTE_ADDR="192.0.2.9").status_code == 200
