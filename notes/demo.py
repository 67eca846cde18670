"""Demo notes: what front-desk staff write down, a few pinned, a few for admins only."""

import random

from customers.models import Customer
from notes.models import Visibility
from notes.services import note_add

NOTES = [
    ("Allergic to peanuts — check the party menu with the parents.", True, Visibility.STAFF),
    ("Prefers the Saturday morning slot; call before 6 pm.", False, Visibility.STAFF),
    (
        "Asked about the summer camp early-bird price. Send details: https://example.com/camp",
        False,
        Visibility.STAFF,
    ),
    ("Disputed last invoice; refund of $40 agreed with the manager.", False, Visibility.ADMINS),
    ("Twins — book two party hosts.", True, Visibility.STAFF),
    ("Great feedback after the last party.\nWants photos emailed.", False, Visibility.STAFF),
    ("Uses a wheelchair: reserve the ground-floor room.", True, Visibility.STAFF),
]


def demo_notes(customers: list[Customer], staff, *, seed: int) -> None:
    rng = random.Random(seed)
    for customer in rng.sample(customers, k=min(len(customers), 150)):
        for text, pinned, visibility in rng.sample(NOTES, k=rng.choice((1, 1, 2))):
            note_add(customer=customer, text=text, visibility=visibility, pinned=pinned, by=rng.choice(staff))
