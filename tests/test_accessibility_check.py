"""The axe-core check every browser test runs (tests/accessibility.py) reports what it must, under our CSP."""

import pytest

from tests.accessibility import AxeWatch

pytestmark = pytest.mark.browser

STRICT_CSP = "default-src 'self'; script-src 'self' 'nonce-abc123'; style-src 'self'"
PAGE = """<!doctype html><html lang="en"><head><title>Sign up</title></head>
<body><main><h1>Sign up</h1><form>{field}<button type="submit">Send</button></form>
<a href="/next/">Next</a></main></body></html>"""


@pytest.fixture
def site(browser):
    """A fresh context serving two tiny pages under the app's CSP: /form/ with `field`, /next/ labelled."""
    pages = {}
    context = browser.new_context()
    context.route(
        "http://site.test/**",
        lambda route: route.fulfill(
            body=pages[route.request.url.removeprefix("http://site.test")],
            content_type="text/html",
            headers={"Content-Security-Policy": STRICT_CSP},
        ),
    )

    def serve(field: str):
        pages["/form/"] = PAGE.format(field=field)
        pages["/next/"] = PAGE.format(field='<label>Name <input name="name"></label>')
        return context

    yield serve
    context.close()


def test_an_unlabelled_input_is_reported_with_its_rule_selector_and_url(site):
    watch = AxeWatch()
    page = watch.watch(site('<input name="email">')).new_page()
    page.goto("http://site.test/form/")

    violations = watch.check_open_pages()

    assert [(v.rule, v.impact, v.targets, v.url) for v in violations] == [
        ("label", "critical", ("input",), "http://site.test/form/")
    ]
    assert "critical label (Form elements must have labels) at http://site.test/form/: input" in (
        watch.report()
    )


def test_each_load_is_checked_and_a_clean_page_passes(site):
    watch = AxeWatch()
    page = watch.watch(site('<input name="email">')).new_page()
    page.goto("http://site.test/form/")
    for _ in range(
        100
    ):  # let the load handler finish (it runs as Playwright dispatches events) before leaving
        if watch.violations:
            break
        page.wait_for_timeout(50)
    page.get_by_role("link", name="Next").click()
    page.wait_for_url("http://site.test/next/")

    assert [v.url for v in watch.check_open_pages()] == ["http://site.test/form/"]


def test_a_page_wider_than_the_window_is_reported(site):
    watch = AxeWatch()
    page = watch.watch(site('<label>Name <input name="name" size="400"></label>')).new_page()
    page.goto("http://site.test/form/")

    violations = watch.check_open_pages()

    assert [(v.rule, v.impact, v.url) for v in violations] == [
        ("horizontal-scroll", "serious", "http://site.test/form/")
    ]
    assert "px wide in 1280px" in violations[0].targets[0]
