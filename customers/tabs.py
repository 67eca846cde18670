"""The profile's tab bar. Each later area (Notes, Families, Waivers, Loyalty, Bookings, Payments) adds its tab
here; a tab shows to roles with its permission."""

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
