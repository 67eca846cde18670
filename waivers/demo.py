"""The demo's waiver: a "Play area and party waiver" (12 months, a guardian signs for children) signed by
parents for a few dozen children over the last year, one of them expiring within days and one expired."""

import io
import random
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from PIL import Image, ImageDraw

from customers.models import Customer
from families.models import GuardianLink
from waivers.models import Channel, WaiverSignature
from waivers.selectors import SIGNS_FOR
from waivers.services import waiver_template_create

TEXT = """I am the parent or legal guardian of the child named below, and I give my permission for my child to
use the play area, trampolines, climbing structures and party rooms.

I understand that active play carries a risk of injury, including falls, collisions and sprains. I agree that
my child will follow the staff's instructions and the posted rules: socks on the play floor, one jumper per
trampoline square, no food in the play area.

I accept these risks on my child's behalf and release the business, its staff and owners from claims for
injury or loss arising from ordinary play, except in case of negligence.

In an emergency, I authorize the staff to call emergency services and to give basic first aid.

Photos may be taken at parties; tell the staff if your child must not appear in them."""


def _signature_image(rng: random.Random) -> bytes:
    """A scribble standing in for a drawn signature."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(40 + step * 26, 100 + rng.randint(-45, 45)) for step in range(20)]
    draw.line(points, fill=(17, 17, 17, 255), width=3, joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def demo_waivers(customers: list[Customer], *, seed: int, by, count: int = 36) -> None:
    rng = random.Random(seed)
    template = waiver_template_create(
        name="Play area and party waiver",
        text=TEXT,
        validity_months=12,
        guardian_signs_for_minors=True,
        by=by,
    )
    child_ids = {customer.pk for customer in customers if not customer.is_adult}
    links = list(
        GuardianLink.objects.filter(
            dependant_id__in=child_ids, permissions__contains=[SIGNS_FOR], is_primary=True
        )
        .select_related("guardian", "dependant")
        .order_by("dependant_id")
    )
    now = timezone.now()
    signatures = []
    for number, link in enumerate(rng.sample(links, min(count, len(links)))):
        if number == 0:  # expires within days: the reminder's and the "expiring" status's example
            signed_at = now - relativedelta(months=12) + timedelta(days=9)
        elif number == 1:  # expired last month
            signed_at = now - relativedelta(months=13)
        else:
            signed_at = now - timedelta(days=rng.randint(1, 320), hours=rng.randint(0, 10))
        signatures.append(
            WaiverSignature(
                version=template.current_version,
                customer=link.dependant,
                customer_name=link.dependant.full_name,
                signer=link.guardian,
                signer_name=link.guardian.full_name,
                typed_name=link.guardian.full_name,
                signature_png=_signature_image(rng),
                signed_at=signed_at,
                valid_until=signed_at + relativedelta(months=12),
                ip=f"203.0.113.{rng.randint(1, 254)}",
                channel=rng.choice([Channel.DESK, Channel.DESK, Channel.ONLINE, Channel.EMAIL]),
            )
        )
    WaiverSignature.objects.bulk_create(signatures)
