"""Demo tags: a dozen labels a party center uses, on customers in realistic (long-tailed) proportions."""

import random

from customers.models import Customer
from tags.models import Color, CustomerTag, Tag

TAGS = [
    ("Birthday club", Color.PINK, "Sends a birthday offer every year."),
    ("VIP", Color.PURPLE, "Regulars who book three or more parties a year."),
    ("Member", Color.BLUE, "Has an active membership."),
    ("Newsletter", Color.TEAL, ""),
    ("Allergy alert", Color.RED, "Read the notes before serving food."),
    ("Needs follow-up", Color.ORANGE, "Call back about an open question."),
    ("School group", Color.GREEN, ""),
    ("Summer camp 2026", Color.YELLOW, ""),
    ("Referral", Color.GRAY, "Came through a friend."),
    ("Corporate", Color.GRAY, "Books team events."),
    ("Staff family", Color.TEAL, ""),
    ("Photo consent", Color.GREEN, ""),
]


def demo_tags(customers: list[Customer], *, seed: int) -> None:
    rng = random.Random(seed)
    tags = Tag.objects.bulk_create(
        Tag(name=name, color=color, description=about) for name, color, about in TAGS
    )
    weights = [1 / (rank + 1) for rank in range(len(tags))]  # Zipf: the first tags are the common ones
    rows = []
    for customer in customers:
        for tag in set(rng.choices(tags, weights=weights, k=rng.choice((0, 0, 1, 1, 2, 3)))):
            rows.append(CustomerTag(customer=customer, tag=tag))
    CustomerTag.objects.bulk_create(rows, batch_size=2000)
