"""The profile's tab bar and the boxes beside it. Each later area (Notes, Families, Waivers, Loyalty,
Bookings, Payments) adds its tab or box here from its AppConfig.ready(); each shows to roles with its
permission."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProfileTab:
    key: str
    label: str
    url_name: str
    permission: str = "customers.view"


PROFILE_TABS = [
    ProfileTab("info", "Info", "customers:profile"),
    ProfileTab("activity", "Activity Log", "customers:activity"),
]


@dataclass(frozen=True)
class ProfileBox:
    """A box in the profile's right-hand column: `template` drawn with `context(request, customer)`."""

    template: str
    context: Callable
    permission: str = "customers.view"


PROFILE_BOXES: list[ProfileBox] = []
