"""The customer portal's sections. Each app adds its page with `register_portal_section` from its
AppConfig.ready(), in `order`; its view renders through `portal.views.render_portal`."""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class PortalSection:
    key: str
    label: str
    url_name: str  # reversed with org_slug
    order: int


_SECTIONS: dict[str, PortalSection] = {}


def register_portal_section(section: PortalSection) -> None:
    if section.key in _SECTIONS:
        raise ImproperlyConfigured(f"Two portal sections are named {section.key!r}.")
    _SECTIONS[section.key] = section


def portal_sections() -> list[PortalSection]:
    return sorted(_SECTIONS.values(), key=lambda section: section.order)
