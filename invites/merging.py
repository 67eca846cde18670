"""How a merge treats invitations: the survivor keeps its own account invite (the merged customer's moves only
when it has none), an open package invitation both have is kept once, and two places in the same waitlist
block the merge until staff remove one (which of them keeps their place is theirs to decide)."""

from django.db.models import Q

from customers.merge import UndoRecord
from invites.models import PackageInvite, WaitlistEntry
from invites.models.waitlists import LIVE_STATUSES


def package_invites_move(*, merged, survivor, record) -> UndoRecord:
    undo = UndoRecord()
    open_invites = PackageInvite.objects.filter(accepted_at=None, cancelled_at=None, rejected_at=None)

    def key(invite):
        def read(pk):
            return survivor.pk if pk == merged.pk else pk

        return invite.package_id, read(invite.customer_id), read(invite.for_customer_id)

    ours = Q(customer=merged) | Q(for_customer=merged)
    taken = {key(invite) for invite in open_invites.exclude(ours)}
    repeats = []
    for invite in open_invites.filter(ours).order_by("id"):
        if key(invite) in taken:
            repeats.append(invite.pk)
        taken.add(key(invite))
    undo.delete(PackageInvite.objects.filter(pk__in=repeats))
    undo.move("invites.PackageInvite", "customer", merged=merged, survivor=survivor)
    undo.move("invites.PackageInvite", "for_customer", merged=merged, survivor=survivor)
    return undo


def waitlist_problems(*, merged, survivor) -> list[str]:
    live = WaitlistEntry.objects.filter(status__in=LIVE_STATUSES)
    both = live.filter(customer=merged, waitlist__in=live.filter(customer=survivor).values("waitlist"))
    return [
        f"Both wait for {entry.waitlist}: remove one of them from that waitlist first."
        for entry in both.select_related("waitlist")
    ]
