"""The main journeys in a real Chromium, driven by Playwright against the live test server."""

from collections.abc import Iterator

import pytest

from tests.browser import browser_marks, launch

pytest_plugins = ["tests.fixtures_web"]

pytestmark = browser_marks


@pytest.fixture(scope="module")
def browser() -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, transactional_db, archive) -> Iterator:
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_browse_by_embassy_to_a_cable(page):
    page.goto("/embassies/")
    page.get_by_role("link", name="Embassy Kabul").click()
    page.get_by_role("link", name="78KABUL3619").click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "FIRST CONVERSATION WITH NEW AFGHAN PRESIDENT"
    )


def test_filter_by_tag_snar(page):
    page.goto("/cables/")
    page.locator("#facet-tag + ul").get_by_role("link", name="SNAR").click()
    assert page.get_by_role("heading", name="2 cables").is_visible()
    assert page.locator(".facet li.selected").inner_text().startswith("✕")


def test_search_text_and_see_it_highlighted_on_the_cable_page(page):
    page.goto("/")
    page.get_by_label("Search the full text").fill("cocaine")
    page.get_by_label("Search the full text").press("Enter")
    assert page.locator(".snippet mark").first.inner_text().lower() == "cocaine"
    page.get_by_role("link", name="07LIMA3673").click()
    assert page.locator(".body mark").first.inner_text().lower() == "cocaine"


def test_narrow_by_date(page):
    page.goto("/cables/?origin=embassy-tehran")
    page.get_by_label("From date", exact=True).fill("1973-01-01")
    page.get_by_label("To date", exact=True).fill("1973-12-31")
    page.get_by_role("button", name="Apply").click()
    assert page.get_by_role("heading", name="3 cables").is_visible()
    assert "origin=embassy-tehran" in page.url


def test_follow_a_ref_and_come_back_through_cited_by(page):
    page.goto("/cables/07LIMA3700/")
    page.locator(".refs").get_by_role("link", name="07LIMA3673").click()
    assert page.url.endswith("/cables/07LIMA3673/")
    page.locator(".cited-by").get_by_role("link", name="07LIMA3700").click()
    assert page.url.endswith("/cables/07LIMA3700/")


def test_download_the_csv(page, tmp_path):
    page.goto("/cables/?tag=SNAR")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    saved = tmp_path / "cables.csv"
    download.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("refid,date,origin")
    assert len(lines) == 3


@pytest.mark.parametrize("width", [1280, 390])
def test_the_list_and_a_cable_page_fit_the_screen(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    for url, name in [("/cables/?q=shah", "list"), ("/cables/07LIMA3673/?q=cocaine", "cable")]:
        page.goto(url)
        page.screenshot(path=f"/tmp/ca_h6_{name}_{width}.png", full_page=False)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
