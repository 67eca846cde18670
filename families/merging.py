"""How a merge treats family links: a link between the two disappears (no self-links), a link both have to the
same person is kept once, the merged customer's primary guardian stays primary only when the survivor has
none, and a merge that would close a cycle (A looks after B looks after A) is refused on the preview."""

from django.db import connection
from django.db.models import Q

from customers.merge import UndoRecord
from families.models import GuardianLink

# Would the links, with the merged customer read as the survivor, lead from the survivor back to itself?
CYCLE = """
WITH RECURSIVE link AS (
  SELECT CASE WHEN guardian_id = %(merged)s THEN %(survivor)s ELSE guardian_id END AS guardian,
         CASE WHEN dependant_id = %(merged)s THEN %(survivor)s ELSE dependant_id END AS dependant
  FROM families_guardianlink WHERE organization_id = %(org)s
), below (id) AS (
  SELECT dependant FROM link WHERE guardian = %(survivor)s AND dependant <> guardian
  UNION
  SELECT link.dependant FROM link JOIN below ON link.guardian = below.id WHERE link.dependant <> link.guardian
)
SELECT EXISTS (SELECT 1 FROM below WHERE id = %(survivor)s)
"""


def family_problems(*, merged, survivor) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(CYCLE, {"merged": merged.pk, "survivor": survivor.pk, "org": survivor.organization_id})
        if cursor.fetchone()[0]:
            return [
                "Their family links would make a circle (someone looking after a person who looks after "
                "them): change a link in the People box first."
            ]
    return []


def family_move(*, merged, survivor, record) -> UndoRecord:
    undo = UndoRecord()
    links = GuardianLink.objects
    undo.delete(links.filter(Q(guardian=merged, dependant=survivor) | Q(guardian=survivor, dependant=merged)))
    if links.filter(dependant=survivor, is_primary=True).exists():
        undo.keep(links.filter(dependant=merged, is_primary=True))
        links.filter(dependant=merged, is_primary=True).update(is_primary=False)
    undo.move_unless_taken(
        "families.GuardianLink", "guardian", ("dependant",), merged=merged, survivor=survivor
    )
    undo.move_unless_taken(
        "families.GuardianLink", "dependant", ("guardian",), merged=merged, survivor=survivor
    )
    undo.move_unless_taken(
        "families.Affiliation", "customer", ("affiliated",), merged=merged, survivor=survivor
    )
    return undo


def family_count(customer) -> int:
    return GuardianLink.objects.filter(Q(guardian=customer) | Q(dependant=customer)).count()
