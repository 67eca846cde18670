"""The staff area's menus: the main menu on every page and the tabs of Settings. Each app registers its pages
from its AppConfig.ready() (through its extensions module), each shown to roles with its permission, in
`order`; the shell draws whatever is registered."""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    url_name: str  # reversed with org_slug
    order: int
    permission: str
    # Main menu: the URL namespaces whose pages mark this entry (a trailing "*" matches a prefix).
    namespaces: tuple[str, ...] = ()

    def marks(self, namespace: str) -> bool:
        return any(
            namespace.startswith(pattern[:-1]) if pattern.endswith("*") else namespace == pattern
            for pattern in self.namespaces
        )


SETTINGS = "settings"  # the main menu's entry that the Settings tabs' pages mark
_MAIN: dict[str, Page] = {}
_SETTINGS: dict[str, Page] = {}


def _add(pages: dict[str, Page], page: Page) -> None:
    if page.key in pages:
        raise ImproperlyConfigured(f"Two pages of one menu are named {page.key!r}.")
    pages[page.key] = page


def register_main_page(page: Page) -> None:
    _add(_MAIN, page)


def register_settings_page(page: Page) -> None:
    _add(_SETTINGS, page)


def main_pages() -> list[Page]:
    return sorted(_MAIN.values(), key=lambda page: page.order)


def settings_pages() -> list[Page]:
    return sorted(_SETTINGS.values(), key=lambda page: page.order)


def settings_namespaces() -> tuple[str, ...]:
    """Every namespace a Settings tab lives in: their pages mark Settings in the main menu."""
    return tuple(page.url_name.split(":")[0] for page in _SETTINGS.values())
