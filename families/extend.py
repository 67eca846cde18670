"""Sections of the family view that other apps add (billing's consolidated payments, later bookings), so
families need not know them. An app registers a `FamilySection` with `register_family_section` from its
AppConfig.ready(); the family view draws each in `order` for staff holding its `permission`."""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class FamilySection:
    """`template` drawn with `section` = `context(request, household)` (a families.selectors.Household) under
    the heading `title`."""

    key: str
    title: str
    template: str
    context: Callable
    order: int
    permission: str = "families.view"


_SECTIONS: dict[str, FamilySection] = {}


def register_family_section(section: FamilySection) -> None:
    if section.key in _SECTIONS:
        raise ImproperlyConfigured(f"Two family sections are named {section.key!r}.")
    _SECTIONS[section.key] = section


def family_sections() -> list[FamilySection]:
    return sorted(_SECTIONS.values(), key=lambda section: (section.order, section.key))
