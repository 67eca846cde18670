"""For billing's package pages: how many wait in each package's line, counted for the whole list at once."""

from django import template

from invites.waitlist_selectors import waiting_counts

register = template.Library()


@register.simple_tag
def waitlist_counts(packages) -> dict[int, int]:
    """{package id: people waiting or holding an offer} for `packages`, in one query."""
    return waiting_counts([package.pk for package in packages])


@register.filter
def waiting_for(counts: dict[int, int], package) -> int:
    return counts.get(package.pk, 0)
