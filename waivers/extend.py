"""How other apps say which waivers a customer needs (bookings: a party's guests, a class's pupils).

An app calls `register_requirement(fn)` from its AppConfig.ready(); `fn(customer_ids)` returns
{customer_id: [(WaiverTemplate, reason)]}, e.g. (the party waiver, "Party on Sat 12 Dec"), in a query or two
for the whole list. `waivers.selectors.missing_waivers` asks every registered function and keeps what has no
valid signature. Waivers imports none of those apps."""

from collections.abc import Callable

Requirement = Callable[[list[int]], dict[int, list[tuple[object, str]]]]
_REQUIREMENTS: list[Requirement] = []


def register_requirement(fn: Requirement) -> Requirement:
    """Add a source of required waivers (usable as a decorator); registering the same function twice is a
    no-op."""
    if fn not in _REQUIREMENTS:
        _REQUIREMENTS.append(fn)
    return fn


def unregister_requirement(fn: Requirement) -> None:
    """Take a source away again (tests register one for their own run)."""
    if fn in _REQUIREMENTS:
        _REQUIREMENTS.remove(fn)


def requirements() -> list[Requirement]:
    return list(_REQUIREMENTS)
