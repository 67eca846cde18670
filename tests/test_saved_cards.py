"""Cards through Stripe, against the emulator with the real SDK: a card typed in the store is set up with a
SetupIntent (as the emulator's Stripe.js does) and kept only when ticked; saved cards pay in the store and at
the desk (a guardian's for a child only with *pay*); the portal manages them; card refunds go back through
Stripe; refunds made and cards removed in Stripe's dashboard arrive by webhook, once."""

import re
import uuid

import pytest
from django.db import transaction

from accounts.tenancy import tenant
from billing import card_services, gateway, services
from billing.account import stripe_client_for_org
from billing.models import Checkout, CheckoutStatus, Payment, PaymentEvent, Purchase, Refund, SavedCard
from customers.models import Activity
from families.models import GuardianLink, GuardianPermission
from tests.conftest import logged_in
from tests.inbox import comparable
from tests.store_helpers import browser_sets_up_card, open_shop, start, webhook_arrives

DECLINED_ON_CHARGE = "4000000000000341"  # saves fine, declined when charged


@pytest.fixture
def shop(org_a, org_b, alice, bob):
    return open_shop(org_a, org_b, alice, bob)


def new_card(person, number: str = "4242424242424242") -> str:
    """A SetupIntent for `person` confirmed with a typed card, as their browser would: its id."""
    return browser_sets_up_card(card_services.card_setup_start(customer=person).client_secret, number)


def pay_page(org, checkout: Checkout) -> str:
    return f"/{org.slug}/store/checkout/{checkout.pk}/pay/"


def test_a_typed_card_ticked_to_keep_pays_and_is_saved_as_the_default(org_a, shop):
    pat = logged_in(shop["pat"].user)
    with tenant(org_a):
        checkout = start(shop)
        setup_intent = new_card(shop["pat"])
    attempt = str(uuid.uuid4())
    done = pat.post(
        pay_page(org_a, checkout),
        {"card": "new", "setup_intent": setup_intent, "keep_card": "on", "attempt": attempt},
    )
    assert done.status_code == 302 and done["Location"].endswith(f"/store/checkout/{checkout.pk}/")
    with tenant(org_a):
        card = SavedCard.objects.get(customer=shop["pat"])
        assert (card.brand, card.last4, card.is_default) == ("visa", "4242", True)
        assert Payment.objects.get().method_display == "Visa •••• 4242"
        assert Activity.objects.filter(customer=shop["pat"], kind=PaymentEvent.CARD_SAVED).count() == 1
    cards_page = pat.get(f"/{org_a.slug}/account/cards/").text
    assert "Visa •••• 4242, expires 12/2030" in cards_page and "default" in cards_page

    # The next checkout offers it first, and charges it without typing anything.
    with tenant(org_a):
        second = start(shop, "camp", customer="kim")
    form = pat.get(pay_page(org_a, second)).text
    assert f'value="{card.pk}"' in form and "Visa •••• 4242" in form and "A new card" in form
    again = {"card": str(card.pk), "attempt": str(uuid.uuid4())}
    assert pat.post(pay_page(org_a, second), again).status_code == 302
    assert pat.post(pay_page(org_a, second), again).status_code == 302  # the same form posted twice
    with tenant(org_a):
        assert Purchase.objects.filter(customer=shop["kim"]).count() == 1
        assert Checkout.objects.get(pk=second.pk).status == CheckoutStatus.PAID


def test_a_typed_card_not_kept_pays_once_and_is_forgotten_in_stripe_too(org_a, shop):
    pat = logged_in(shop["pat"].user)
    with tenant(org_a):
        checkout = start(shop)
        setup_intent = new_card(shop["pat"])
    done = pat.post(
        pay_page(org_a, checkout), {"card": "new", "setup_intent": setup_intent, "attempt": str(uuid.uuid4())}
    )
    assert done.status_code == 302
    with tenant(org_a):
        assert not SavedCard.objects.exists()
        payment = Payment.objects.get()
        client = stripe_client_for_org()
        intent = gateway.payment_intent_retrieve(client, payment_intent=payment.stripe_payment_intent)
        method = client.v1.payment_methods.retrieve(intent.payment_method)
        assert method.customer is None  # detached: Stripe can no longer charge it for this customer
    assert "No saved cards yet" in pat.get(f"/{org_a.slug}/account/cards/").text


def test_a_declined_card_says_why_and_a_new_try_with_another_card_pays(org_a, shop):
    pat = logged_in(shop["pat"].user)
    with tenant(org_a):
        checkout = start(shop)
        declined = new_card(shop["pat"], DECLINED_ON_CHARGE)
    refused = pat.post(
        pay_page(org_a, checkout), {"card": "new", "setup_intent": declined, "attempt": str(uuid.uuid4())}
    )
    assert refused.status_code == 422 and "Your card was declined." in refused.text
    with tenant(org_a):
        assert not Purchase.objects.exists() and Checkout.objects.get().status == CheckoutStatus.OPEN
        good = new_card(shop["pat"])
    paid = pat.post(
        pay_page(org_a, checkout), {"card": "new", "setup_intent": good, "attempt": str(uuid.uuid4())}
    )
    assert paid.status_code == 302
    with tenant(org_a):
        assert Purchase.objects.count() == 1


def test_nobody_pays_with_a_card_or_set_up_intent_that_is_not_theirs(org_a, shop):
    with tenant(org_a):
        checkout = start(shop)
        GuardianLink.objects.filter(guardian=shop["pat"]).update(permissions=[GuardianPermission.PURCHASE])
        grans_card = card_services.card_save(
            customer=shop["gran"], setup_intent=new_card(shop["gran"]), by=None
        )
        pats_card = card_services.card_save(customer=shop["pat"], setup_intent=new_card(shop["pat"]), by=None)
        grans_setup = new_card(shop["gran"])
        for_kim = start(shop, "camp", customer="kim")
    pat = logged_in(shop["pat"].user)
    stolen = pat.post(pay_page(org_a, checkout), {"card": str(grans_card.pk), "attempt": str(uuid.uuid4())})
    assert stolen.status_code == 422
    borrowed = pat.post(
        pay_page(org_a, checkout), {"card": "new", "setup_intent": grans_setup, "attempt": str(uuid.uuid4())}
    )
    assert borrowed.status_code == 422 and "not set up here" in borrowed.text
    # Without *pay*, Pat's saved cards are not offered for Kim, and posting one anyway is refused.
    form = pat.get(pay_page(org_a, for_kim)).text
    assert "Visa •••• 4242" not in form
    assert (
        pat.post(
            pay_page(org_a, for_kim), {"card": str(pats_card.pk), "attempt": str(uuid.uuid4())}
        ).status_code
        == 422
    )
    with tenant(org_a):
        with pytest.raises(services.SaleError, match="cannot pay for Kim"):
            card_services.store_checkout_pay(checkout=for_kim, attempt=uuid.uuid4(), card=pats_card)
        assert not Purchase.objects.exists()


def test_the_portal_makes_a_card_the_default_and_removes_it_from_stripe(org_a, org_b, shop, bob_client):
    with tenant(org_a):
        first = card_services.card_save(customer=shop["pat"], setup_intent=new_card(shop["pat"]), by=None)
        second = card_services.card_save(
            customer=shop["pat"], setup_intent=new_card(shop["pat"], "5555555555554444"), by=None
        )
        grans = card_services.card_save(customer=shop["gran"], setup_intent=new_card(shop["gran"]), by=None)
    assert (first.is_default, second.is_default) == (True, False)
    pat = logged_in(shop["pat"].user)
    base = f"/{org_a.slug}/account/cards/"
    assert pat.post(f"{base}{second.pk}/default/").status_code == 302
    for foreign in (f"{base}{grans.pk}/remove/", f"{base}{grans.pk}/default/"):
        assert pat.post(foreign).status_code == 404
        assert bob_client.post(f"/{org_b.slug}/account/cards/{first.pk}/remove/").status_code == 404
    assert pat.post(f"{base}{second.pk}/remove/").status_code == 302
    with tenant(org_a):
        [left] = SavedCard.objects.filter(customer=shop["pat"])
        assert left.pk == first.pk and left.is_default  # the other card became the default
        method = stripe_client_for_org().v1.payment_methods.retrieve(second.stripe_payment_method)
        assert method.customer is None
        assert SavedCard.objects.filter(pk=grans.pk).exists()
        removed = Activity.objects.get(customer=shop["pat"], kind=PaymentEvent.CARD_REMOVED)
        assert removed.detail.startswith("Visa •••• 4444")


def test_staff_charge_a_saved_card_once_and_refund_it_through_stripe(org_a, shop, alice, alice_client):
    with tenant(org_a):
        card = card_services.card_save(customer=shop["pat"], setup_intent=new_card(shop["pat"]), by=None)
    tab = f"/app/{org_a.slug}/customers/{shop['pat'].pk}/payments/"
    page = alice_client.get(tab).text
    assert "Saved card (card)" in page and "Visa •••• 4242, expires 12/2030" in page
    assert re.search(rf'name="card"\s+value="{card.pk}"[^>]* checked', page)  # the default card, ticked
    sale = {
        "package": shop["camp"].pk,
        "for_whom": shop["kim"].pk,
        "method": "card",
        "card": card.pk,
        "attempt": str(uuid.uuid4()),
    }
    assert alice_client.post(tab + "sell/", sale).status_code == 302
    assert alice_client.post(tab + "sell/", sale).status_code == 302  # a double click
    with tenant(org_a):
        payment = Payment.objects.select_related("purchase").get()
        assert (payment.purchase.customer, payment.purchase.payer) == (shop["kim"], shop["pat"])
        assert (payment.method_display, payment.amount) == ("Visa •••• 4242", 32500)
        assert payment.stripe_payment_intent.startswith("pi_") and payment.taken_by == alice
    assert payment.stripe_payment_intent in alice_client.get(tab).text
    refund = alice_client.post(
        tab + f"{payment.pk}/refund/", {"amount": "162.50", "reason": "Missed half the camp"}
    )
    assert refund.status_code == 302
    with tenant(org_a):
        refunded = Refund.objects.get()
        assert refunded.stripe_refund.startswith("re_") and refunded.amount == 16250
        [in_stripe] = gateway.refunds_of(
            stripe_client_for_org(), payment_intent=payment.stripe_payment_intent
        )
        assert (in_stripe.id, in_stripe.amount) == (refunded.stripe_refund, 16250)
        # Stripe's webhook about that refund changes nothing: Roster made it.
        webhook_arrives(
            gateway.StripeEvent(
                id="evt_refund_by_roster",
                type="charge.refunded",
                created=1_790_000_000,
                object={"id": "ch_x", "object": "charge", "payment_intent": payment.stripe_payment_intent},
            )
        )
        assert Refund.objects.count() == 1 and Payment.objects.get().refunded == 16250


def test_a_card_of_someone_else_or_without_pay_is_refused_at_the_desk(org_a, shop, alice):
    with tenant(org_a):
        grans_card = card_services.card_save(
            customer=shop["gran"], setup_intent=new_card(shop["gran"]), by=None
        )
        pats_card = card_services.card_save(customer=shop["pat"], setup_intent=new_card(shop["pat"]), by=None)
        GuardianLink.objects.filter(guardian=shop["pat"]).update(permissions=[GuardianPermission.PURCHASE])
        sale = {"package": shop["camp"], "customer": shop["kim"], "payer": shop["pat"], "method": "card"}
        with pytest.raises(services.SaleError, match="not Pat's"):
            services.sale_record(**sale, card=grans_card, attempt=uuid.uuid4(), by=alice)
        with pytest.raises(services.SaleError, match="may not pay for Kim with saved cards"):
            services.sale_record(**sale, card=pats_card, attempt=uuid.uuid4(), by=alice)
        assert not Purchase.objects.exists()


def test_a_refund_made_in_the_stripe_dashboard_arrives_once_by_webhook(org_a, shop, alice):
    with tenant(org_a):
        card = card_services.card_save(customer=shop["pat"], setup_intent=new_card(shop["pat"]), by=None)
        purchase = services.sale_record(
            package=shop["party"],
            customer=shop["pat"],
            payer=shop["pat"],
            method="card",
            card=card,
            attempt=uuid.uuid4(),
            by=alice,
        )
        payment = purchase.payments.get()
        in_dashboard = gateway.refund_create(
            stripe_client_for_org(),
            payment_intent=payment.stripe_payment_intent,
            amount=5000,
            reason="requested_by_customer",
            idempotency_key=f"dashboard-{uuid.uuid4()}",
        )
        event = gateway.StripeEvent(
            id="evt_dashboard_refund",
            type="charge.refunded",
            created=1_790_000_000,
            object={"id": "ch_x", "object": "charge", "payment_intent": payment.stripe_payment_intent},
        )
        webhook_arrives(event)
        webhook_arrives(event)  # delivered again
        refund = Refund.objects.get()
        assert (refund.stripe_refund, refund.amount, refund.by) == (in_dashboard.id, 5000, None)
        assert refund.reason == "Refunded in Stripe"
        assert Payment.objects.get().refunded == 5000


def test_a_card_removed_in_stripe_is_no_longer_offered(org_a, shop):
    with tenant(org_a):
        card = card_services.card_save(customer=shop["pat"], setup_intent=new_card(shop["pat"]), by=None)
        webhook_arrives(
            gateway.StripeEvent(
                id="evt_detached",
                type="payment_method.detached",
                created=1_790_000_000,
                object={"id": card.stripe_payment_method, "object": "payment_method"},
            )
        )
        assert not SavedCard.objects.exists()


def test_the_roster_finds_who_has_a_saved_card(org_a, shop, alice_client):
    with tenant(org_a):
        card_services.card_save(customer=shop["pat"], setup_intent=new_card(shop["pat"]), by=None)
    roster = f"/app/{org_a.slug}/customers/"
    with_card = alice_client.get(roster, {"has_card": "true"}).text
    without = alice_client.get(roster, {"has_card": "false"}).text
    assert "Pat" in with_card and "Gran" not in comparable(with_card)
    assert "Gran" in without and ">Pat<" not in without


class Died(Exception):
    """The process dies after Stripe took the money, before Roster's transaction commits."""


def test_a_desk_card_sale_lost_after_stripe_charged_is_recorded_once_from_its_webhook(org_a, shop, alice):
    with tenant(org_a):
        card = card_services.card_save(customer=shop["pat"], setup_intent=new_card(shop["pat"]), by=None)
        with pytest.raises(Died), transaction.atomic():
            purchase = services.sale_record(
                package=shop["camp"],
                customer=shop["kim"],
                payer=shop["pat"],
                method="card",
                card=card,
                attempt=uuid.uuid4(),
                by=alice,
            )
            intent = purchase.payments.get().stripe_payment_intent
            raise Died
        assert not Purchase.objects.exists()
        event = gateway.StripeEvent(
            id="evt_desk_sale",
            type="payment_intent.succeeded",
            created=1_790_000_000,
            object={"id": intent, "object": "payment_intent", "metadata": {"roster_sale": "x"}},
        )
        webhook_arrives(event)
        webhook_arrives(event)  # delivered again
        payment = Payment.objects.select_related("purchase").get()
        assert (payment.purchase.customer, payment.purchase.payer) == (shop["kim"], shop["pat"])
        assert (payment.amount, payment.stripe_payment_intent, payment.taken_by) == (32500, intent, alice)
        assert payment.reference == "Recorded from Stripe" and payment.method_display == "Visa •••• 4242"
