"""Writes of punch cards: the card a class-pass purchase gives, punching a visit, undoing a punch, extending
the expiry. Each writes the holder's activity event and the organization's audit event in its transaction;
the card's row is locked while what is left is checked, so two punches of the last visit cannot both count."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from billing.models import PackageKind, Punch, PunchAudit, PunchCard, PunchEvent, Purchase
from billing.selectors import organization_today
from customers.services import activity_record


class PunchError(Exception):
    """A punch card change that cannot be made; the message says why, for staff."""


@transaction.atomic
def punch_card_issue(*, purchase: Purchase) -> PunchCard | None:
    """The card of a class-pass purchase, made inside the purchase's transaction (charging.purchase_record);
    None for any other package."""
    package = purchase.package
    if package.kind != PackageKind.CLASS_PASS:
        return None
    valid_until = organization_today() + timedelta(days=package.valid_days) if package.valid_days else None
    return PunchCard.objects.create(
        purchase=purchase, holder=purchase.customer, visits=package.visits, valid_until=valid_until
    )


def _locked(card: PunchCard) -> PunchCard:
    return (
        PunchCard.objects.select_for_update(of=("self",))
        .select_related("purchase__package", "holder")
        .get(pk=card.pk)
    )


def _record(card: PunchCard, *, kind: str, action: str, detail: str, by: User) -> None:
    name = card.purchase.package.name
    if card.holder is not None:
        activity_record(
            customer=card.holder, by=by, kind=kind, detail=f"“{name}” · {detail}", subject_id=card.pk
        )
    audit_record(action=action, by=by, target=name, detail=f"{card.purchase.customer_label} · {detail}")


def _left(card: PunchCard) -> str:
    return f"{card.remaining} of {card.visits} visits left"


@transaction.atomic
def punch_use(*, card: PunchCard, by: User) -> Punch:
    """Take one visit from the card, refused when none is left or the card has expired."""
    card = _locked(card)
    today = organization_today()
    if card.expired_on(today):
        raise PunchError(f"This card expired on {card.valid_until:%b %-d, %Y}: extend it first.")
    if not card.remaining:
        raise PunchError(f"All {card.visits} visits of this card are used.")
    punch = Punch.objects.create(card=card, by=by)
    card.used += 1
    card.save(update_fields=["used"])
    _record(card, kind=PunchEvent.PUNCH, action=PunchAudit.PUNCHED, detail=_left(card), by=by)
    return punch


@transaction.atomic
def punch_undo(*, punch: Punch, reason: str, by: User) -> Punch:
    """Give a punched visit back, with why; the punch stays in the card's history, marked undone."""
    reason = " ".join(reason.split())
    if not reason:
        raise PunchError("Say why the punch is undone.")
    card = _locked(punch.card)
    punch = Punch.objects.select_for_update().get(pk=punch.pk)
    if punch.undone_at is not None:
        raise PunchError("This punch was undone already.")
    punch.undone_at, punch.undone_by, punch.undo_reason = timezone.now(), by, reason
    punch.save(update_fields=["undone_at", "undone_by", "undo_reason"])
    card.used -= 1
    card.save(update_fields=["used"])
    detail = f"punch of {timezone.localtime(punch.at):%b %-d, %Y} undone · {reason} · {_left(card)}"
    _record(card, kind=PunchEvent.PUNCH_UNDONE, action=PunchAudit.UNDONE, detail=detail, by=by)
    return punch


@transaction.atomic
def punch_card_extend(*, card: PunchCard, valid_until: date | None, reason: str, by: User) -> PunchCard:
    """Move the card's last day (None: no expiry), with why; a reminder of the new expiry may go again."""
    reason = " ".join(reason.split())
    if not reason:
        raise PunchError("Say why the card is extended.")
    card = _locked(card)
    if valid_until is not None and valid_until < organization_today():
        raise PunchError("Choose a day from today on.")
    before = f"{card.valid_until:%b %-d, %Y}" if card.valid_until else "no expiry"
    after = f"{valid_until:%b %-d, %Y}" if valid_until else "no expiry"
    card.valid_until, card.reminded_expiry_at = valid_until, None
    card.save(update_fields=["valid_until", "reminded_expiry_at"])
    detail = f"valid until {after} (was {before}) · {reason}"
    _record(card, kind=PunchEvent.PUNCH_CARD_EXTENDED, action=PunchAudit.EXTENDED, detail=detail, by=by)
    return card
