"""Package invitations: staff invite customers (one, a selection, a segment) to buy a package, even one sold
by invitation only; the email's link (a single token whose hash alone is kept) opens a page where the
customer accepts and pays in the store, or declines saying why; reminders, cancellation and tidying; the
counts staff see, the roster's filters, and the other organization kept out."""

import hashlib
import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.tenancy import tenant
from billing import card_services, services
from billing.models import Checkout, CheckoutStatus, Purchase
from customers.models import Activity
from invites import package_services
from invites.models import PackageInvite, PackageInviteEvent, PackageInviteSettings, PackageInviteStatus
from invites.tasks import package_invites_remind
from invites.waitlist_services import waitlist_offer_accept, waitlist_promote
from tests.factories import customer
from tests.inbox import comparable, email_text, emailed_path
from tests.store_helpers import open_shop, pay_by_card


@pytest.fixture
def shop(org_a, org_b, alice, bob):
    return open_shop(org_a, org_b, alice, bob)


def _invite(shop, alice, people=("pat",), package="invite", **options) -> list[PackageInvite]:
    ids, _ = package_services.package_invites_send(
        package=shop[package], customer_ids=[shop[person].pk for person in people], by=alice, **options
    )
    return list(PackageInvite.objects.filter(pk__in=ids).order_by("pk"))


def _link(smtp_server, email: str, subject: str = "") -> str:
    return emailed_path(smtp_server.wait_for(email, subject=subject), r"/[\w-]+/invite/[\w-]+/")


@pytest.mark.django_db(transaction=True)
def test_a_customer_invited_from_their_profile_for_a_child_accepts_and_pays(
    celery_worker, smtp_server, alice_client, org_a, shop
):
    with tenant(org_a):
        PackageInviteSettings.objects.create(
            subject="Come along: {{ package }}", body="Hi {{ first_name }}! {{ note }} {{ link }}"
        )
    response = alice_client.post(
        f"/app/{org_a.slug}/customers/{shop['pat'].pk}/package-invite/",
        {
            "invite-package": shop["invite"].pk,
            "invite-for_whom": shop["kim"].pk,
            "invite-note": "Kim will love it",
        },
    )
    assert response.status_code == 302
    message = smtp_server.wait_for("pat@alpha.example", subject="Come along: Secret invite")
    with tenant(org_a):
        invite = PackageInvite.objects.get()
        assert (invite.customer, invite.for_customer) == (shop["pat"], shop["kim"])
    profile = alice_client.get(f"/app/{org_a.slug}/customers/{shop['pat'].pk}/").text
    assert "Secret invite</a> for Kim" in profile
    assert "Hi Pat! Kim will love it" in email_text(message)
    path = emailed_path(message, r"/[\w-]+/invite/[\w-]+/")
    token = path.rstrip("/").rsplit("/", 1)[1]
    with tenant(org_a):
        assert PackageInvite.objects.get().token_hash == hashlib.sha256(token.encode()).hexdigest()

    visitor = Client()
    page = visitor.get(path).text
    assert (
        "Secret invite" in page and "$100.00" in page and "Kim Parent" in page and "Log in to accept" in page
    )
    assert "Kim will love it" in page
    assert visitor.post(f"{path}accept/").status_code == 302  # to the login page: paying needs the login
    visitor.force_login(shop["pat"].user)
    accepted = visitor.post(f"{path}accept/")
    assert accepted.status_code == 302 and "/store/checkout/" in accepted.url
    with tenant(org_a):
        invite = PackageInvite.objects.get()
        assert (
            invite.status == PackageInviteStatus.OPENED and invite.accepted_at is None
        )  # not before it is paid
        checkout = invite.checkout
        assert (checkout.customer, checkout.payer, checkout.invited) == (shop["kim"], shop["pat"], True)
        pay_by_card(checkout)
        card_services.store_checkout_complete(checkout=checkout)
        invite.refresh_from_db()
        assert invite.status == PackageInviteStatus.ACCEPTED
        assert invite.purchase == Purchase.objects.get(package=shop["invite"], customer=shop["kim"])
        assert Activity.objects.filter(customer=shop["pat"], kind=PackageInviteEvent.ANSWERED).exists()
    assert "You accepted this invitation" in visitor.get(path).text
    assert visitor.post(f"{path}accept/").status_code == 409  # single use

    counts = alice_client.get(f"/app/{org_a.slug}/invites/{shop['invite'].pk}/").text
    assert "Accepted and paid" in counts and "100 %" in counts
    assert "Secret invite" in alice_client.get(f"/app/{org_a.slug}/customers/{shop['pat'].pk}/").text


@pytest.mark.django_db(transaction=True)
def test_a_customer_declines_with_a_reason_without_logging_in(
    celery_worker, smtp_server, alice_client, org_a, shop, alice
):
    with tenant(org_a):
        [invite] = _invite(shop, alice, ("gran",))
    path = _link(smtp_server, "gran@alpha.example", subject="invites you: Secret invite")
    visitor = Client()
    declined = visitor.post(f"{path}decline/", {"reason": "Too far <b>away</b>"})
    assert declined.status_code == 200 and "You declined this invitation" in declined.text
    assert "Too far &lt;b&gt;away&lt;/b&gt;" in declined.text
    with tenant(org_a):
        invite.refresh_from_db()
        assert invite.status == PackageInviteStatus.REJECTED and invite.reject_reason == "Too far <b>away</b>"
    assert visitor.post(f"{path}decline/", {"reason": "again"}).status_code == 409
    page = alice_client.get(f"/app/{org_a.slug}/invites/{invite.package_id}/?status=rejected").text
    assert "Gran Parent" in page and "Too far &lt;b&gt;away&lt;/b&gt;" in page


def test_who_cannot_be_invited_is_counted_and_inviting_again_renews_only_an_expired_one(org_a, shop, alice):
    with tenant(org_a):
        nomail = customer(first_name="No", last_name="Mail", email="", by=alice)
        gone = customer(first_name="Gone", last_name="Away", email="gone@alpha.example", by=alice)
        gone.archived_at = timezone.now()
        gone.save()
        ids, skipped = package_services.package_invites_send(
            package=shop["invite"], customer_ids=[shop["pat"].pk, nomail.pk, gone.pk], by=alice
        )
        assert len(ids) == 1 and skipped == {"have no email address": 1, "are archived": 1}
        again, skipped = package_services.package_invites_send(
            package=shop["invite"], customer_ids=[shop["pat"].pk], by=alice
        )
        assert again == [] and skipped == {"were already invited": 1}
        PackageInvite.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
        renewed, _ = package_services.package_invites_send(
            package=shop["invite"], customer_ids=[shop["pat"].pk], by=alice
        )
        assert renewed == ids and PackageInvite.objects.get().status == PackageInviteStatus.SENDING
        for package, message in (
            ("staff", "sold by staff only"),
            ("old", "archived"),
            ("over", "no longer on sale"),
        ):
            with pytest.raises(package_services.PackageInviteError, match=message):
                _invite(shop, alice, package=package)
        with pytest.raises(package_services.PackageInviteError, match="may buy for Kim"):
            _invite(shop, alice, ("gran",), for_customer=shop["kim"])  # Gran may not buy for Kim


@pytest.mark.django_db(transaction=True)
def test_reminders_go_after_n_days_at_most_m_times_with_a_fresh_link(
    celery_worker, smtp_server, org_a, shop, alice
):
    with tenant(org_a):
        PackageInviteSettings.objects.create(
            subject="Remind me: {{ package }}", remind_after_days=2, max_reminders=1
        )
        [invite] = _invite(shop, alice)
    first = _link(smtp_server, "pat@alpha.example", subject="Remind me: Secret invite")
    package_invites_remind()  # not due yet
    with tenant(org_a):
        PackageInvite.objects.update(sent_at=timezone.now() - timedelta(days=3))
    package_invites_remind()
    reminded = _link(smtp_server, "pat@alpha.example", subject="Reminder: Remind me")
    assert reminded != first
    assert Client().get(first).status_code == 404  # the reminder's link replaced it
    assert Client().get(reminded).status_code == 200
    with tenant(org_a):
        invite.refresh_from_db()
        assert invite.reminders_sent == 1
        PackageInvite.objects.update(reminded_at=timezone.now() - timedelta(days=3))
    package_invites_remind()  # at most once
    time.sleep(2)
    reminders = [m for m in smtp_server.messages if str(m["Subject"]).startswith("Reminder: Remind me")]
    assert len(reminders) == 1


def test_the_settings_refuse_reminders_that_would_come_after_the_invitation_closes(alice_client, org_a):
    url = f"/app/{org_a.slug}/settings/package-invites/"
    data = {
        "subject": "Come along: {{ package }}",
        "body": "Answer here: {{ link }}",
        "expiry_days": 3,
        "remind_after_days": 3,
        "max_reminders": 1,
    }
    response = alice_client.post(url, data)
    assert response.status_code == 422
    refused = "Reminders would come after the invitation closes: remind sooner than the 3 days it is open"
    assert refused in response.text
    with tenant(org_a):
        assert not PackageInviteSettings.objects.exists()
    assert alice_client.post(url, data | {"max_reminders": 0}).status_code == 302  # no reminders: fine
    assert alice_client.post(url, data | {"remind_after_days": 2}).status_code == 302
    with tenant(org_a):
        assert PackageInviteSettings.objects.get().remind_after_days == 2


def test_staff_cancel_one_or_all_and_the_beat_cancels_for_archived_customers_and_closed_packages(
    alice_client, org_a, shop, alice
):
    with tenant(org_a):
        pat, gran = _invite(shop, alice, ("pat", "gran"))
        [public] = _invite(shop, alice, ("pat",), package="party")
    url = f"/app/{org_a.slug}/invites/{shop['invite'].pk}/"
    assert "Say why" in alice_client.post(f"{url}{pat.pk}/cancel/", {"reason": " "}, follow=True).text
    alice_client.post(f"{url}{pat.pk}/cancel/", {"reason": "Wrong person"})
    alice_client.post(f"{url}cancel/", {"reason": "Class moved"})
    with tenant(org_a):
        pat.refresh_from_db()
        gran.refresh_from_db()
        assert (pat.status, pat.cancel_reason) == (PackageInviteStatus.CANCELLED, "Wrong person")
        assert (gran.status, gran.cancel_reason) == (PackageInviteStatus.CANCELLED, "Class moved")
        services.package_archive(package=shop["party"], by=alice)
        package_invites_remind()
        public.refresh_from_db()
        assert (public.status, public.cancel_reason) == ("cancelled", "The package is no longer sold")


def test_the_roster_filters_by_invitation_and_its_answer(alice_client, org_a, shop, alice):
    with tenant(org_a):
        _, gran = _invite(shop, alice, ("pat", "gran"))
        package_services.package_invite_reject(invite=gran, reason="")
    roster = f"/app/{org_a.slug}/customers/?invited_to={shop['invite'].pk}"

    def names(query):
        return set(re.findall(r">Parent, (Pat|Gran|Kim)<", alice_client.get(roster + query).text))

    assert names("") == {"Pat", "Gran"}
    assert names("&invitation=pending") == {"Pat"}
    assert names("&invitation=rejected") == {"Gran"}
    assert names("&invitation=accepted") == set()


def test_a_selection_is_invited_from_the_roster(alice_client, org_a, shop):
    response = alice_client.post(
        f"/app/{org_a.slug}/customers/bulk/",
        {
            "action": "package_invite",
            "invite_package": shop["invite"].pk,
            "ids": [shop["pat"].pk, shop["kim"].pk],
        },
        follow=True,
    )
    assert "1 invitation to “Secret invite” on the way" in response.text
    assert "Not invited: 1 have no email address" in response.text
    refused = alice_client.post(
        f"/app/{org_a.slug}/customers/bulk/",
        {"action": "package_invite", "ids": [shop["pat"].pk]},
        follow=True,
    )
    assert "Choose the package" in refused.text


@pytest.mark.django_db(transaction=True)
def test_the_other_organization_sees_nothing_and_a_token_works_only_at_home(
    celery_worker, smtp_server, bob_client, org_a, org_b, shop, alice
):
    with tenant(org_a):
        PackageInviteSettings.objects.create(subject="At home only: {{ package }}")
        [invite] = _invite(shop, alice)
    path = _link(smtp_server, "pat@alpha.example", subject="At home only")
    assert Client().get(path.replace(f"/{org_a.slug}/", f"/{org_b.slug}/")).status_code == 404
    assert bob_client.get(f"/app/{org_b.slug}/invites/{shop['invite'].pk}/").status_code == 404
    assert bob_client.get(f"/app/{org_a.slug}/invites/{shop['invite'].pk}/").status_code in (403, 404)
    assert (
        bob_client.post(
            f"/app/{org_b.slug}/invites/{shop['invite'].pk}/{invite.pk}/cancel/", {"reason": "x"}
        ).status_code
        == 404
    )
    response = bob_client.post(
        f"/app/{org_b.slug}/customers/{shop['pat'].pk}/package-invite/", {"invite-package": shop["invite"].pk}
    )
    assert response.status_code == 404
    with tenant(org_a):
        assert PackageInvite.objects.get().status == PackageInviteStatus.SENT


def test_the_profile_builds_its_invite_form_when_the_box_is_opened(alice_client, bob_client, org_a, shop):
    profile_url = f"/app/{org_a.slug}/customers/{shop['pat'].pk}/"
    profile = alice_client.get(profile_url).text
    assert f'hx-get="{profile_url}package-invite/"' in profile and 'name="invite-package"' not in profile

    form = alice_client.get(f"{profile_url}package-invite/", headers={"HX-Request": "true"})
    assert form.status_code == 200
    text = form.text
    assert 'name="invite-package"' in text and "csrfmiddlewaretoken" in text
    assert "Secret invite" in text and "Desk only" not in text  # sold by staff only: not invited to
    # Pat may buy for Kim only.
    assert "Pat (self)" in text and "Kim Parent" in text and "Gran" not in comparable(text)
    assert bob_client.get(f"/app/{org_a.slug}/customers/{shop['pat'].pk}/package-invite/").status_code == 404
    sent_empty = alice_client.post(f"{profile_url}package-invite/", {}, follow=True)
    assert "This field is required." in sent_empty.text
    with tenant(org_a):
        assert not PackageInvite.objects.exists()


def test_an_invite_only_checkout_started_before_the_package_sold_out_is_refunded(org_a, shop, alice):
    with tenant(org_a):
        shop["invite"].capacity = 1
        services.package_save(package=shop["invite"], by=alice)
        [invite] = _invite(shop, alice)
        checkout = package_services.package_invite_accept(invite=invite, payer=shop["pat"])
        assert package_services.package_invite_accept(invite=invite, payer=shop["pat"]) == checkout  # resumed
        services.sale_record(
            package=shop["invite"], customer=shop["gran"], payer=shop["gran"], method="cash", by=alice
        )
        pay_by_card(checkout)
        done = card_services.store_checkout_complete(checkout=checkout)
        assert done.status == CheckoutStatus.REFUNDED
        invite.refresh_from_db()
        assert invite.accepted_at is None and invite.is_pending  # nothing was bought
        assert Checkout.objects.count() == 1


def test_invited_to_a_full_package_the_customer_waits_and_the_invitation_is_accepted_when_a_spot_is_paid(
    org_a, shop, alice
):
    with tenant(org_a):
        camp = shop["invite"]
        camp.capacity = 1
        services.package_save(package=camp, by=alice)
        taken = services.sale_record(
            package=camp, customer=shop["gran"], payer=shop["gran"], method="cash", by=alice
        )
        [invite] = _invite(shop, alice, for_customer=shop["kim"])
        token = package_services.package_invite_tokens_issue(invite_ids=[invite.pk], reminder=False)[
            invite.pk
        ]
    visitor = Client()
    visitor.force_login(shop["pat"].user)
    page = visitor.get(f"/{org_a.slug}/invite/{token}/").text
    assert "Every spot is taken" in page and "Join the waitlist" in page and "Accept and pay" not in page
    joined = visitor.post(f"/{org_a.slug}/invite/{token}/waitlist/", follow=True)
    assert "Kim is on the waitlist of “Secret invite”" in joined.text
    with tenant(org_a):
        payment = taken.payments.get()
        services.payment_refund(payment=payment, amount=payment.amount, reason="Moved away", by=alice)
        [offer] = waitlist_promote(package=camp)
        assert offer.entry.customer == shop["kim"]
        checkout = waitlist_offer_accept(offer=offer, payer=shop["pat"])
        pay_by_card(checkout)
        card_services.store_checkout_complete(checkout=checkout)
        invite.refresh_from_db()
        assert invite.status == PackageInviteStatus.ACCEPTED and invite.purchase.customer == shop["kim"]
