"""Account invites and claims: emails through a real worker and SMTP server, token security, no account
enumeration, claiming with a new or an existing login, reminders, and the customer's own portal pages."""

import hashlib
import re
import statistics
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.tenancy import tenant
from customers.models import Activity, Customer
from families import services as family_services
from families.models import GuardianLink, Relationship
from invites import claim_services as services
from invites.demo import demo_claim_invites
from invites.models import AccountEvent, ClaimInvite, ClaimStatus
from invites.selectors import invite_settings, invites_to_remind
from invites.tasks import claim_invites_remind
from tests.conftest import PASSWORD, logged_in, make_user
from tests.factories import customer
from tests.inbox import comparable, email_text

LINK = re.compile(r"https?://\S+?(/\S+/claim/[\w-]+/)")


def claim_link(message) -> str:
    return LINK.search(email_text(message)).group(1)


def invite_by_staff(client, org, person) -> None:
    response = client.post(f"/app/{org.slug}/customers/{person.pk}/invite/")
    assert response.status_code == 302


@pytest.mark.django_db(transaction=True)
def test_staff_invite_is_emailed_and_claimed_with_a_new_password(
    celery_worker, smtp_server, alice_client, org_a, org_b
):
    with tenant(org_a):
        jane = customer(email="jane.claim@example.com")
    invite_by_staff(alice_client, org_a, jane)
    message = smtp_server.wait_for("jane.claim@example.com")
    assert message["Subject"] == f"Your account with {org_a.name}"
    assert {part.get_content_type() for part in message.walk()} >= {"text/plain", "text/html"}
    path = claim_link(message)
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes, base64url
    with tenant(org_a):
        invite = ClaimInvite.objects.get(customer=jane)
        assert invite.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert invite.status == ClaimStatus.INVITED
    profile = alice_client.get(f"/app/{org_a.slug}/customers/{jane.pk}/").text
    assert "Invited" in profile and "Resend invitation" in profile

    # The same token on another organization's address is just an invalid link.
    visitor = Client()
    assert "This link has expired" in visitor.get(path.replace(f"/{org_a.slug}/", f"/{org_b.slug}/")).text
    page = visitor.get(path).text
    assert "Choose a password" in page and "jane.claim@example.com" in page
    refused = visitor.post(path, {"password1": "short", "password2": "short"})
    assert "This password is too short" in refused.text and "This field is required" in refused.text  # terms
    response = visitor.post(path, {"password1": PASSWORD, "password2": PASSWORD, "terms": "on"})
    assert response.status_code == 302 and response.url == f"/{org_a.slug}/account/"
    assert "Your details" in visitor.get(response.url).text
    with tenant(org_a):
        jane.refresh_from_db()
        assert jane.user.email == "jane.claim@example.com"
        assert Activity.objects.filter(customer=jane, kind=AccountEvent.CLAIMED).exists()
    assert "This link has expired" in Client().get(path).text  # single use
    # The claim link proved the address: the new login works on the next visit too.
    later = Client().post("/accounts/login/", {"username": "jane.claim@example.com", "password": PASSWORD})
    assert later.status_code == 302
    assert "Claimed" in alice_client.get(f"/app/{org_a.slug}/customers/{jane.pk}/").text


@pytest.mark.django_db(transaction=True)
def test_an_existing_login_signs_in_to_claim_and_keeps_its_password(
    celery_worker, smtp_server, alice_client, org_a, org_b
):
    bob_login = make_user("multi@example.com")
    with tenant(org_b):
        customer(first_name="Multi", email="multi@example.com", by=None)
        Customer.objects.filter(email="multi@example.com").update(user=bob_login)
    with tenant(org_a):
        multi = customer(first_name="Multi", email="multi@example.com")
    invite_by_staff(alice_client, org_a, multi)
    path = claim_link(smtp_server.wait_for("multi@example.com"))
    visitor = Client()
    page = visitor.get(path).text
    assert "Log in to claim" in page and "password1" not in page
    assert visitor.post(path, {"password1": "x", "password2": "x", "terms": "on"}).status_code == 200
    visitor.force_login(bob_login)
    assert visitor.post(path).status_code == 302
    bob_login.refresh_from_db()
    assert bob_login.check_password(PASSWORD)
    with tenant(org_a):
        assert Customer.objects.get(pk=multi.pk).user == bob_login
    # In the portal they see this organization's data and can switch to the other.
    portal = visitor.get(f"/{org_a.slug}/account/").text
    assert "Your other accounts" in portal
    assert f'href="/{org_b.slug}/account/">{org_b.name}</a>' in portal


def test_unknown_used_and_expired_links_look_and_take_the_same(client, org_a):
    with tenant(org_a):
        used = customer(email="used@example.com")
        expired = customer(email="expired@example.com")
        tokens = {}
        for person, state in ((used, {"claimed_at": timezone.now()}), (expired, {})):
            invite = ClaimInvite.objects.create(
                customer=person, email=person.email, expires_at=timezone.now()
            )
            tokens[person.email] = services.invite_issue_token(invite=invite, reminder=False)
            ClaimInvite.objects.filter(pk=invite.pk).update(**state)
    paths = {
        "unknown": f"/{org_a.slug}/claim/{'x' * 43}/",
        "used": f"/{org_a.slug}/claim/{tokens['used@example.com']}/",
        "expired": f"/{org_a.slug}/claim/{tokens['expired@example.com']}/",
    }
    pages = {}
    for kind, path in paths.items():
        response = client.get(path)
        pages[kind] = (response.status_code, comparable(response.text))
    assert pages["unknown"] == pages["used"] == pages["expired"]
    timings = {kind: [] for kind in paths}
    for _ in range(200):
        for kind, path in paths.items():
            started = time.perf_counter()
            client.get(path)
            timings[kind].append((time.perf_counter() - started) * 1000)
    medians = [statistics.median(values) for values in timings.values()]
    assert max(medians) - min(medians) < 5, medians


@pytest.mark.django_db(transaction=True)
def test_two_claims_at_once_exactly_one_wins(org_a):
    with tenant(org_a):
        jane = customer(email="race@example.com")
        invite = ClaimInvite.objects.create(
            customer=jane, email=jane.email, expires_at=timezone.now() + timedelta(days=1)
        )
    results, barrier = [], threading.Barrier(2)

    def claim():
        barrier.wait()
        try:
            with tenant(org_a):
                services.invite_claim_with_new_login(invite_id=invite.pk, password=PASSWORD)
            results.append("won")
        except Exception as error:
            results.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["InviteError", "won"]
    assert User.objects.filter(email="race@example.com").count() == 1


@pytest.mark.django_db(transaction=True)
def test_new_link_requests_reveal_nothing(celery_worker, smtp_server, client, org_a):
    with tenant(org_a):
        customer(email="known@example.com")
    known = client.post(f"/{org_a.slug}/claim-link/", {"email": "known@example.com"})
    unknown = client.post(f"/{org_a.slug}/claim-link/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert comparable(known.text) == comparable(unknown.text) and "If " in known.text
    assert claim_link(smtp_server.wait_for("known@example.com"))
    assert not [message for message in smtp_server.messages if "nobody@example.com" in message["To"]]


def test_resend_is_rate_limited_revoke_kills_the_link_and_bad_cases_are_refused(alice_client, org_a, org_b):
    with tenant(org_a):
        jane = customer(email="jane@example.com")
        nomail = customer(first_name="Nomail")
    invite_by_staff(alice_client, org_a, jane)
    with tenant(org_a):
        invite = ClaimInvite.objects.get(customer=jane)
        token = services.invite_issue_token(invite=invite, reminder=False)
    again = alice_client.post(f"/app/{org_a.slug}/customers/{jane.pk}/invite/", follow=True)
    assert "you can resend in" in again.text
    alice_client.post(f"/app/{org_a.slug}/customers/{jane.pk}/invite/revoke/")
    assert "This link has expired" in Client().get(f"/{org_a.slug}/claim/{token}/").text
    assert (
        "has no email address"
        in alice_client.post(f"/app/{org_a.slug}/customers/{nomail.pk}/invite/", follow=True).text
    )
    with tenant(org_b):
        theirs = customer(email="theirs@example.com")
    assert alice_client.post(f"/app/{org_a.slug}/customers/{theirs.pk}/invite/").status_code == 404
    with tenant(org_a):
        kinds = list(
            Activity.objects.filter(customer=jane, kind=AccountEvent.INVITE)
            .order_by("id")
            .values_list("detail", flat=True)
        )
    assert kinds == ["Invited to claim their account (jane@example.com)", "Invitation revoked"]


@pytest.mark.django_db(transaction=True)
def test_reminders_bring_a_fresh_link_after_n_days_at_most_twice(
    celery_worker, smtp_server, alice_client, org_a
):
    """With the default settings (a 72-hour link, a reminder after 3 days) the reminder falls due as the link
    runs out: it goes all the same, and its link works for 72 hours more."""
    with tenant(org_a):
        jane = customer(email="remind.me@example.com")
        long_gone = customer(email="long.gone@example.com")
    for person in (jane, long_gone):
        invite_by_staff(alice_client, org_a, person)
        smtp_server.wait_for(person.email)
    with tenant(org_a):
        sent_long_ago = timezone.now() - timedelta(days=7)  # beat was away: it stays expired
        ClaimInvite.objects.filter(customer=long_gone).update(sent_at=sent_long_ago, expires_at=sent_long_ago)
    for round_ in (1, 2, 3):
        with tenant(org_a):
            last = timezone.now() - timedelta(days=3, hours=1)
            ClaimInvite.objects.filter(customer=jane).update(
                sent_at=last, reminded_at=None if round_ == 1 else last, expires_at=last + timedelta(hours=72)
            )
            assert ClaimInvite.objects.get(customer=jane).status == ClaimStatus.EXPIRED
        smtp_server.messages.clear()
        claim_invites_remind()
        if round_ < 3:
            message = smtp_server.wait_for("remind.me@example.com")
            assert message["Subject"].startswith("Reminder: ")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with tenant(org_a):
                    invite = ClaimInvite.objects.get(customer=jane)
                if invite.reminders_sent == round_:
                    break
                time.sleep(0.1)
            assert invite.status == ClaimStatus.REMINDED
            assert timedelta(hours=71) < invite.expires_at - timezone.now() <= timedelta(hours=72)
            assert "Choose a password" in Client().get(claim_link(message)).text
        else:
            time.sleep(1)
            assert smtp_server.messages == []
    with tenant(org_a):
        assert ClaimInvite.objects.get(customer=long_gone).status == ClaimStatus.EXPIRED
    profile = alice_client.get(f"/app/{org_a.slug}/customers/{jane.pk}/").text
    assert "Expired" in profile  # the last reminder's link ran out too: no third one


def test_invite_settings_template_preview_and_limits(alice_client, org_a):
    url = f"/app/{org_a.slug}/settings/invites/"
    page = alice_client.get(url).text
    assert f"Your account with {org_a.name}" in page  # the preview
    data = {
        "subject": "Hi {{ first_name }}",
        "body": "No link here",
        "expiry_hours": 400,
        "remind_after_days": 0,
        "max_reminders": 3,
    }
    response = alice_client.post(url, data)
    assert "must contain {{ link }}" in response.text
    assert "Between 1 hour and 14 days" in response.text and "At most 2 reminders" in response.text
    assert "At least 1 day." in response.text
    data |= {"body": "Claim: {{ link }}", "expiry_hours": 24, "remind_after_days": 3, "max_reminders": 1}
    assert alice_client.post(url, data).status_code == 302
    assert "Hi Jamie" in alice_client.get(url).text


@pytest.fixture
def family_login(org_a):
    """Pat (claimed, with a login) looks after Kim (view only) and Lee (view and edit)."""
    user = make_user("pat@example.com")
    with tenant(org_a):
        pat = customer(first_name="Pat", last_name="Lee", email="pat@example.com", phone="312-555-0100")
        Customer.objects.filter(pk=pat.pk).update(user=user)
        kim = customer(first_name="Kim", last_name="Lee")
        lee = customer(first_name="Lee", last_name="Lee")
        view_only = family_services.link_add(
            guardian=pat, dependant=kim, relationship=Relationship.SIBLING, by=None
        )
        family_services.link_add(guardian=pat, dependant=lee, relationship=Relationship.PARENT, by=None)
        assert "edit_profile" not in view_only.permissions
    return logged_in(user), pat, kim, lee


def test_customers_edit_their_details_under_the_online_rules(family_login, alice_client, org_a):
    client, pat, _, _ = family_login
    page = client.get(f"/{org_a.slug}/account/").text
    assert 'value="Pat"' in page and "Customer number" not in page
    response = client.post(
        f"/{org_a.slug}/account/", {"first_name": "Pat", "last_name": "Lee", "email": "pat@example.com"}
    )
    assert "This field is required." in response.text  # phone, required online by default
    data = {
        "first_name": "Patricia",
        "last_name": "Lee",
        "email": "pat@example.com",
        "phone": "312-555-0100",
        "number": "VIP-1",
    }
    assert client.post(f"/{org_a.slug}/account/", data).status_code == 302
    with tenant(org_a):
        pat.refresh_from_db()
        assert (pat.first_name, pat.number) == ("Patricia", "")  # the hidden field is never read
        event = Activity.objects.filter(customer=pat).order_by("-id").first()
        assert event.detail == "Changed by the customer" and event.changes["first_name"] == [
            "Pat",
            "Patricia",
        ]


def test_guardians_act_only_as_their_permissions_allow(family_login, org_a, org_b):
    client, pat, kim, lee = family_login
    family = client.get(f"/{org_a.slug}/account/family/").text
    assert "Kim Lee" in family and "Lee Lee" in family
    kim_page = f"/{org_a.slug}/account/family/{kim.pk}/"
    assert "ask " in client.get(kim_page).text  # view only
    assert client.post(kim_page, {"first_name": "Hacked", "last_name": "Lee"}).status_code == 403
    lee_page = f"/{org_a.slug}/account/family/{lee.pk}/"
    assert client.post(
        lee_page, {"first_name": "Leo", "last_name": "Lee", "email": "", "phone": ""}
    ).status_code in (200, 302)
    with tenant(org_a):
        assert Customer.objects.get(pk=kim.pk).first_name == "Kim"
        stranger = customer(first_name="Stranger")
    assert client.get(f"/{org_a.slug}/account/family/{stranger.pk}/").status_code == 404
    # No account there: offered to join, nothing of that organization shown.
    assert client.get(f"/{org_b.slug}/account/")["Location"] == f"/{org_b.slug}/signup/booking/"
    assert client.get(f"/{org_b.slug}/account/family/").status_code == 404
    response = client.post(
        f"/{org_a.slug}/account/family/", {"first_name": "Max", "last_name": "Lee", "birthday": "2021-05-06"}
    )
    assert response.status_code == 302
    with tenant(org_a):
        max_ = Customer.objects.get(first_name="Max")
        assert GuardianLink.objects.get(guardian=pat, dependant=max_).is_primary and max_.email == ""


def test_staff_view_the_portal_as_the_customer_and_it_is_logged(alice_client, family_login, org_a):
    _, pat, _, _ = family_login
    page = alice_client.get(f"/app/{org_a.slug}/customers/{pat.pk}/portal/").text
    assert "Read-only" in page and "<fieldset disabled>" in page
    with tenant(org_a):
        assert Activity.objects.filter(customer=pat, kind=AccountEvent.PORTAL_VIEWED).exists()


def test_bulk_invite_skips_and_reports_and_never_reaches_another_organization(alice_client, org_a, org_b):
    with tenant(org_a):
        ours = [customer(first_name=f"Kid{n}", email=f"kid{n}@example.com") for n in range(3)]
        nomail = customer(first_name="Nomail")
        claimed = customer(first_name="Claimed", email="claimed@example.com")
        Customer.objects.filter(pk=claimed.pk).update(user=make_user("claimed@example.com"))
    with tenant(org_b):
        theirs = customer(first_name="Theirs", email="theirs@example.com")
    ids = [person.pk for person in [*ours, nomail, claimed, theirs]]
    response = alice_client.post(
        f"/app/{org_a.slug}/customers/bulk/", {"action": "invite", "ids": ids}, follow=True
    )
    assert "3 invitations on the way." in response.text
    assert "1 has no email address" in response.text and "1 already has their own login" in response.text
    with tenant(org_a):
        assert ClaimInvite.objects.count() == 3
    with tenant(org_b):
        assert not ClaimInvite.objects.exists()
    roster = f"/app/{org_a.slug}/customers/?claim="
    fragment = {"HX-Request": "true", "HX-Target": "results"}
    invited = alice_client.get(roster + "invited", headers=fragment).text
    assert "Kid0" in invited and "Nomail" not in invited and "Claimed" not in invited
    assert invited.count('claim-badge text-bg-info">Sending<') == 3  # the roster's Online account column
    assert "Claimed" in alice_client.get(roster + "claimed", headers=fragment).text
    assert "Nomail" in alice_client.get(roster + "not_invited", headers=fragment).text


@pytest.mark.django_db(transaction=True)
def test_forgot_password_reveals_nothing_and_resets(celery_worker, smtp_server, client):
    make_user("forgetful@example.com")
    known = client.post("/accounts/password/reset/", {"email": "forgetful@example.com"})
    unknown = client.post("/accounts/password/reset/", {"email": "stranger@example.com"})
    assert comparable(known.text) == comparable(unknown.text) and "Check your email" in known.text
    message = smtp_server.wait_for("forgetful@example.com")
    text = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    link = re.search(
        r"https?://[^/\s]+(/accounts/password/reset/\S+/)", text.get_payload(decode=True).decode()
    )
    page = client.get(link.group(1), follow=True)
    new = "a-brand-new-passphrase-42"
    response = client.post(page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert User.objects.get(email="forgetful@example.com").check_password(new)
    assert not [message for message in smtp_server.messages if "stranger@example.com" in message["To"]]


def test_the_demo_invites_customers_to_claim_in_every_state(alice_client, org_a, org_b, alice):
    with tenant(org_a):
        people = [customer(first_name=f"Demo{n}", email=f"demo{n}@example.com", by=alice) for n in range(8)]
        people.append(customer(first_name="NoMail", email="", by=alice))
        demo_claim_invites(people, [alice], seed=1, count=6)
        invites = ClaimInvite.objects.all()
        assert sorted(invite.status for invite in invites) == sorted(
            ["invited", "invited", "reminded", "expired", "failed", "revoked"]
        )
        assert all(invite.email == invite.customer.email != "" for invite in invites)
        assert not invites_to_remind(invite_settings()).exists()  # make run's beat reminds none at start
    page = alice_client.get(f"/app/{org_a.slug}/customers/?claim=invited").text
    assert page.count('class="badge claim-badge') == 3  # invited twice and reminded: still open
    assert "Bounced / failed" in alice_client.get(f"/app/{org_a.slug}/customers/?claim=failed").text
