"""Owners and admins invite staff by email (sent by a real Celery worker through a real SMTP server),
the invitee joins, and roles are managed within the rules."""

import re
import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts import services
from accounts.models import Membership, Role, StaffInvitation
from accounts.tenancy import tenant
from tests.conftest import PASSWORD, logged_in, make_member, make_user


def invite_link(message) -> str:
    text = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    return re.search(r"https?://\S+?(/\S+/join/\S+/)", text.get_payload(decode=True).decode()).group(1)


@pytest.mark.django_db(transaction=True)
def test_owner_invites_staff_who_gets_an_email_and_joins(celery_worker, smtp_server, alice, org_a, org_b):
    owner = logged_in(alice)
    response = owner.post(
        f"/app/{org_a.slug}/settings/staff/", {"email": "Tom@Alpha.example", "role": "admin"}
    )
    assert response.status_code == 302

    message = smtp_server.wait_for("tom@alpha.example")
    assert message["Subject"] == f"Join {org_a.name} on Roster"
    assert {part.get_content_type() for part in message.walk()} >= {"text/plain", "text/html"}
    link = invite_link(message)
    assert link.startswith(f"/{org_a.slug}/join/")

    tom = make_user("tom@alpha.example")
    invitee = logged_in(tom)
    assert "Join Canary Alpha Fun Center" in invitee.get(link).text
    assert invitee.post(link)["Location"] == f"/app/{org_a.slug}/"
    with tenant(org_a):
        assert Membership.objects.get(user=tom).role == Role.ADMIN
    assert invitee.get(f"/app/{org_a.slug}/settings/staff/").status_code == 200
    # The link works once.
    assert invitee.get(link).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_resending_replaces_the_earlier_link(celery_worker, smtp_server, alice, org_a, org_b):
    owner = logged_in(alice)
    owner.post(f"/app/{org_a.slug}/settings/staff/", {"email": "rhea@alpha.example", "role": "staff"})
    first = invite_link(smtp_server.wait_for("rhea@alpha.example"))
    with tenant(org_a):
        invitation = StaffInvitation.objects.get(email="rhea@alpha.example")
    smtp_server.messages.clear()
    owner.post(f"/app/{org_a.slug}/settings/staff/invitations/{invitation.pk}/resend/")
    second = invite_link(smtp_server.wait_for("rhea@alpha.example"))
    assert first != second
    rhea = logged_in(make_user("rhea@alpha.example"))
    assert rhea.get(first).status_code == 404
    assert rhea.get(second).status_code == 200


def pending_invitation(organization, owner_user, email="nora@alpha.example", role=Role.STAFF):
    with tenant(organization):
        invitation = services.staff_invite(email=email, role=role, by=owner_user)
        return invitation, services.staff_invitation_issue_token(invitation=invitation)


def test_anonymous_invitee_is_offered_sign_up_with_the_invited_email(client, alice, org_a, org_b):
    _, token = pending_invitation(org_a, alice)
    page = client.get(f"/{org_a.slug}/join/{token}/").text
    assert "/accounts/signup/?email=nora%40alpha.example" in page


def test_invitation_cannot_be_accepted_by_another_account(alice, org_a, org_b):
    _, token = pending_invitation(org_a, alice)
    intruder = logged_in(make_user("mallory@alpha.example"))
    assert "sent to <strong>nora@alpha.example</strong>" in intruder.get(f"/{org_a.slug}/join/{token}/").text
    intruder.post(f"/{org_a.slug}/join/{token}/")
    with tenant(org_a):
        assert not Membership.objects.filter(user__email="mallory@alpha.example").exists()


def test_expired_revoked_and_made_up_links_show_one_friendly_page(alice_client, alice, org_a, org_b):
    invitation, token = pending_invitation(org_a, alice)
    with tenant(org_a):
        StaffInvitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
    expired = alice_client.get(f"/{org_a.slug}/join/{token}/")
    made_up = alice_client.get(f"/{org_a.slug}/join/not-a-real-token/")
    other_org = alice_client.get(f"/{org_b.slug}/join/{token}/")
    for response in (expired, made_up, other_org):
        assert response.status_code == 404
        assert "This invitation link is not valid" in response.text

    second, second_token = pending_invitation(org_a, alice, email="zed@alpha.example")
    alice_client.post(f"/app/{org_a.slug}/settings/staff/invitations/{second.pk}/revoke/")
    assert alice_client.get(f"/{org_a.slug}/join/{second_token}/").status_code == 404


def test_invite_form_refuses_bad_email_and_existing_staff(alice_client, org_a, org_b):
    bad = alice_client.post(f"/app/{org_a.slug}/settings/staff/", {"email": "nope", "role": "staff"})
    assert bad.context["form"].errors["email"] == ["Enter a valid email address."]
    existing = alice_client.post(
        f"/app/{org_a.slug}/settings/staff/", {"email": "ALICE@alpha.example", "role": "staff"}
    )
    assert existing.context["form"].errors["email"] == ["This person is already on your staff."]
    with tenant(org_a):
        assert StaffInvitation.objects.count() == 0


def test_admin_may_invite_staff_but_not_owners(org_a, org_b):
    admin = logged_in(make_member(org_a, Role.ADMIN, "adam@alpha.example"))
    refused = admin.post(
        f"/app/{org_a.slug}/settings/staff/", {"email": "boss@alpha.example", "role": "owner"}
    )
    assert "Select a valid choice" in refused.context["form"].errors["role"][0]
    admin.post(f"/app/{org_a.slug}/settings/staff/", {"email": "helper@alpha.example", "role": "staff"})
    with tenant(org_a):
        assert list(StaffInvitation.objects.values_list("email", flat=True)) == ["helper@alpha.example"]


def test_staff_role_cannot_see_or_change_the_team(org_a, org_b, carol_client):
    with tenant(org_a):
        target = Membership.objects.get(user__email="alice@alpha.example")
    assert carol_client.get(f"/app/{org_a.slug}/settings/staff/").status_code == 403
    assert carol_client.post(f"/app/{org_a.slug}/settings/staff/{target.pk}/remove/").status_code == 403
    assert (
        carol_client.post(
            f"/app/{org_a.slug}/settings/staff/{target.pk}/role/", {"role": "staff"}
        ).status_code
        == 403
    )
    with tenant(org_a):
        target.refresh_from_db()
        assert target.role == Role.OWNER


def test_the_last_owner_cannot_be_demoted_or_removed(org_a, org_b, alice):
    second_owner = make_member(org_a, Role.OWNER, "olga@alpha.example")
    client = logged_in(second_owner)
    with tenant(org_a):
        alice_membership = Membership.objects.get(user=alice)
    client.post(f"/app/{org_a.slug}/settings/staff/{alice_membership.pk}/role/", {"role": "admin"})
    # Now olga is the only owner: alice (admin) cannot demote or remove her.
    demoted = logged_in(alice)
    with tenant(org_a):
        olga = Membership.objects.get(user=second_owner)
        assert Membership.objects.get(user=alice).role == Role.ADMIN
    response = demoted.post(f"/app/{org_a.slug}/settings/staff/{olga.pk}/remove/", follow=True)
    assert "Only an owner can remove an owner." in response.text
    with tenant(org_a), pytest.raises(Exception, match="at least one owner"):
        services.membership_remove(membership=olga, by=olga.user)


def test_owner_changes_a_role_and_removes_a_member(alice_client, org_a, org_b, carol):
    with tenant(org_a):
        membership = Membership.objects.get(user=carol)
    alice_client.post(f"/app/{org_a.slug}/settings/staff/{membership.pk}/role/", {"role": "admin"})
    with tenant(org_a):
        assert Membership.objects.get(pk=membership.pk).role == Role.ADMIN
    alice_client.post(f"/app/{org_a.slug}/settings/staff/{membership.pk}/remove/")
    with tenant(org_a):
        assert not Membership.objects.filter(pk=membership.pk).exists()
    assert logged_in(carol).get(f"/app/{org_a.slug}/customers/").status_code == 404


def test_login_is_throttled_after_repeated_failures(client, alice, org_a, org_b):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "alice@alpha.example", "password": "wrong-password"})
    locked = client.post("/accounts/login/", {"username": "alice@alpha.example", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed log-in attempts" in locked.text


@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(org_a, alice):
    olga = make_member(org_a, Role.OWNER, "olga@alpha.example")
    first_demoted, results = threading.Event(), {}

    def owners_as_loaded() -> dict:
        with tenant(org_a):
            return {owner.user_id: owner for owner in Membership.objects.filter(role=Role.OWNER)}

    def demote(owners, by_user, other_user):
        try:
            with tenant(org_a):
                services.membership_change_role(membership=owners[other_user.pk], role=Role.ADMIN, by=by_user)
                if by_user == alice:  # Alice's change waits uncommitted while Olga's comes in
                    first_demoted.set()
                    time.sleep(1.5)
            results[by_user.email] = "demoted"
        except ValidationError as error:
            results[by_user.email] = " ".join(error.messages)
        finally:
            connection.close()

    alices_page, olgas_page = owners_as_loaded(), owners_as_loaded()  # each sees two owners
    alice_demotes = threading.Thread(target=demote, args=(alices_page, alice, olga))
    alice_demotes.start()
    first_demoted.wait(10)
    demote(olgas_page, olga, alice)
    alice_demotes.join()
    assert results == {
        "alice@alpha.example": "demoted",
        "olga@alpha.example": "Only an owner can grant or take away the owner role.",
    }
    with tenant(org_a):
        owners = Membership.objects.filter(role=Role.OWNER).values_list("user__email", flat=True)
        assert list(owners) == ["alice@alpha.example"]
