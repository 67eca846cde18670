"""axe-core in the browser tests: every page a test loads is checked, and its serious and critical
violations fail the test. axe runs from node_modules/ (package-lock.json pins it; `make test` installs it),
never from a CDN."""

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import BrowserContext, Error, Page

AXE_JS = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")

# Runs are chained in the page: a load check may still be running when the end-of-test check starts.
RUN_AXE = """async (impacts) => {
    const previous = (window.__rosterAxeRun || Promise.resolve()).catch(() => null);
    window.__rosterAxeRun = previous.then(() => axe.run(document, {resultTypes: ["violations"]}));
    const results = await window.__rosterAxeRun;
    const failing = results.violations.filter((v) => impacts.includes(v.impact));
    const violations = failing.map((v) => ({
        rule: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((node) => node.target.join(" ")),
    }));
    // Our own bar beside axe's: a page fits its window (1280 px in the tests) without scrolling sideways.
    const page = document.documentElement;
    if (page.scrollWidth > page.clientWidth + 1) {
        violations.push({rule: "horizontal-scroll", impact: "serious", help: "Page wider than the window",
            targets: [`${page.scrollWidth}px wide in ${page.clientWidth}px`]});
    }
    return {url: location.href, violations: violations};
}"""

# A page that navigates or closes mid-check is checked again on its next load ("axe is not defined": the
# document changed between injecting axe and running it).
GONE = (
    "Execution context was destroyed",
    "has been closed",
    "Target closed",
    "detached",
    "navigation",
    "axe is not defined",
)


@dataclass(frozen=True)
class Violation:
    url: str
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.impact} {self.rule} ({self.help}) at {self.url}: {', '.join(self.targets)}"


class AxeWatch:
    """Checks each page of the watched browser contexts on every full load and once more at the end."""

    def __init__(self):
        if not AXE_JS.exists():
            raise RuntimeError(f"{AXE_JS} is missing: run `make test` once, or `npm ci --no-audit --no-fund`")
        self.source = AXE_JS.read_text()
        self.violations: list[Violation] = []
        self.problems: list[str] = []
        self.pages: list[Page] = []

    def watch(self, context: BrowserContext) -> BrowserContext:
        context.on("page", self._watch_page)
        for page in context.pages:
            self._watch_page(page)
        return context

    def _watch_page(self, page: Page) -> None:
        self.pages.append(page)
        page.on("load", self._check_loaded)

    def _check_loaded(self, page: Page) -> None:
        # Playwright prints and drops what an event handler raises: keep it for the report instead.
        try:
            self.check(page)
        except Error as error:
            self.problems.append(f"axe-core could not check {page.url}: {error.message}")

    def check(self, page: Page) -> None:
        if page.url == "about:blank":  # a page not yet sent anywhere
            return
        try:
            if not page.evaluate("() => typeof window.axe === 'object'"):
                # DevTools evaluation: the page's CSP (script-src self + nonce) does not apply to it.
                page.evaluate(self.source)
            found = page.evaluate(RUN_AXE, list(FAILING_IMPACTS))
        except Error as error:
            if page.is_closed() or any(sign in error.message for sign in GONE):
                return
            raise
        for item in found["violations"]:
            violation = Violation(url=found["url"], targets=tuple(item.pop("targets")), **item)
            if violation not in self.violations:
                self.violations.append(violation)

    def check_open_pages(self) -> list[Violation]:
        for page in self.pages:
            if not page.is_closed():
                self.check(page)
        return self.violations

    def report(self) -> str:
        lines = [f"axe-core found {len(self.violations)} serious or critical violation(s):"]
        lines += [f"  - {violation}" for violation in self.violations] + self.problems
        return "\n".join(lines)
