"""The calendar's cards, made in one pass: a busy week holds thousands, too many for a template loop to draw
in the page's time budget. format_html escapes every text a tenant or customer wrote."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def calendar_cards(entries: list[tuple], booking_path: str):
    """<li> cards of bookings.selectors.calendar_entries rows, each linking to its booking's page."""
    if not entries:
        return format_html('<li class="small text-body-secondary">{}</li>', "Nothing booked.")
    return format_html_join(
        "",
        '<li class="calendar-booking card mb-2{}"><a class="card-body p-2 d-block text-decoration-none" '
        'href="{}{}/"><span class="d-block small text-body-secondary">{}</span><strong class="d-block">{}'
        '</strong><span class="d-block small">{}</span>{}</a></li>',
        (
            (
                " calendar-cancelled" if badge == "Cancelled" else "",
                booking_path,
                pk,
                time,
                name,
                detail,
                format_html('<span class="badge text-bg-secondary">{}</span>', badge) if badge else "",
            )
            for pk, _date, _room, time, name, detail, badge in entries
        ),
    )
