"""The profile's tab bar and the boxes beside it. Each later area (Notes, Families, Waivers, Loyalty,
Bookings, Payments) adds its tab or box here from its AppConfig.ready(), tabs before the Activity Log
(`PROFILE_TABS.insert(-1, …)`); each shows to roles with its permission."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProfileTab:
    key: str
    label: str
    url_name: str
    permission: str = "customers.view"
    count: Callable | None = None  # (request, customer) -> int, shown beside the label


PROFILE_TABS = [
    ProfileTab("info", "Info", "customers:profile"),
    ProfileTab("activity", "Activity Log", "customers:activity"),
]


@dataclass(frozen=True)
class ProfileBox:
    """A box on the profile: `template` drawn with `context(request, customer)`, in the right-hand column
    ("side") or above the tabs ("top"; drawn only when its context is not empty)."""

    template: str
    context: Callable
    permission: str = "customers.view"
    place: str = "side"


PROFILE_BOXES: list[ProfileBox] = []
