"""The customer portal's sections. Bookings, purchases and payments add theirs here when they arrive."""

from dataclasses import dataclass


@dataclass(frozen=True)
class PortalSection:
    key: str
    label: str
    url_name: str


PORTAL_SECTIONS = [
    PortalSection("profile", "My details", "portal:account"),
    PortalSection("family", "My family", "portal:family"),
]
