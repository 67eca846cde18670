"""The online store: customers see what the business sells online and buy it by card, for themselves or
for someone they may buy for. Against the Stripe emulator with the real SDK: a PaymentIntent confirmed as
Stripe.js would (here from the server, with Stripe's test cards) is recorded as exactly one purchase,
whether the payer's browser or Stripe's webhook reports it first."""

import uuid

import pytest
from django.conf import settings

from accounts.models import AuditEvent
from accounts.tenancy import tenant
from billing import account_services, card_services, gateway, services
from billing.account import stripe_client_for_org
from billing.models import (
    Checkout,
    CheckoutStatus,
    Payment,
    PaymentAudit,
    PaymentEvent,
    Purchase,
    StripeCustomer,
)
from customers.models import Activity
from tests.conftest import logged_in
from tests.store_helpers import (
    browser_sets_up_card,
    open_shop,
    pay_by_card,
    start,
    webhook_arrives,
)


@pytest.fixture
def shop(org_a, org_b, alice, bob):
    return open_shop(org_a, org_b, alice, bob)


def test_a_guardian_buys_a_class_pass_for_their_child_and_it_is_recorded_once(org_a, shop):
    with tenant(org_a):
        checkout = start(shop, "camp", customer="kim")
        assert (checkout.amount, checkout.currency, checkout.status) == (32500, "USD", CheckoutStatus.OPEN)
        assert checkout.payment_intent.startswith("pi_")
        assert StripeCustomer.objects.get(customer=shop["pat"]).stripe_customer.startswith("cus_")
        # Not paid yet: completing changes nothing.
        assert card_services.store_checkout_complete(checkout=checkout).status == CheckoutStatus.OPEN
        assert not Purchase.objects.exists()

        paid = pay_by_card(checkout)
        assert paid.status == "succeeded"
        done = card_services.store_checkout_complete(checkout=checkout)
        assert done.status == CheckoutStatus.PAID
        card_services.store_checkout_complete(checkout=checkout)  # the browser posts twice
        webhook_arrives(  # and Stripe's webhook comes after
            gateway.StripeEvent(
                id=f"evt_{checkout.reference.hex}",
                type="payment_intent.succeeded",
                created=1_790_000_000,
                object={"id": checkout.payment_intent, "object": "payment_intent", "status": "succeeded"},
            )
        )
        purchase = Purchase.objects.get()
        payment = Payment.objects.get()
        assert (purchase.customer, purchase.payer, purchase.channel) == (shop["kim"], shop["pat"], "store")
        assert (payment.amount, payment.method, payment.stripe_payment_intent) == (
            32500,
            "card",
            checkout.payment_intent,
        )
        assert payment.method_display == "Visa •••• 4242"
        assert done.completed_purchase == purchase
        for person in (shop["pat"], shop["kim"]):
            event = Activity.objects.get(customer=person, kind=PaymentEvent.PURCHASE)
            assert "“Camp” for Kim Parent · $325.00 visa •••• 4242, paid by Pat Parent" in event.detail
        assert AuditEvent.objects.filter(action=PaymentAudit.SALE_RECORDED).count() == 1


def test_the_webhook_first_then_the_browser_records_one_purchase(org_a, shop):
    with tenant(org_a):
        checkout = start(shop)
        pay_by_card(checkout)
        event = gateway.StripeEvent(
            id=f"evt_{checkout.reference.hex}",
            type="payment_intent.succeeded",
            created=1_790_000_000,
            object={"id": checkout.payment_intent, "object": "payment_intent"},
        )
        webhook_arrives(event)
        assert Checkout.objects.get().status == CheckoutStatus.PAID
        card_services.store_checkout_complete(checkout=checkout)
        assert Purchase.objects.count() == 1 and Payment.objects.get().amount == 29900 + 2467


def test_a_declined_card_records_nothing(org_a, shop):
    with tenant(org_a):
        checkout = start(shop)
        with pytest.raises(gateway.CardDeclined):
            pay_by_card(checkout, "pm_card_chargeCustomerFail")
        assert card_services.store_checkout_complete(checkout=checkout).status == CheckoutStatus.OPEN
        assert not Purchase.objects.exists() and not Payment.objects.exists()


def test_without_stripe_connected_the_store_says_it_takes_no_cards(org_a, shop, alice):
    with tenant(org_a):
        account_services.payment_account_disconnect(by=alice)
        with pytest.raises(services.SaleError, match="does not take card payments"):
            start(shop)
        assert not Checkout.objects.exists()


@pytest.mark.parametrize(
    ("package", "for_whom", "payer", "message"),
    [
        ("camp", "kim", "gran", "Gran Parent may not buy for Kim Parent."),
        ("old", "pat", "pat", "“Old thing” is no longer sold."),
        ("soon", "pat", "pat", "“Summer”: not on sale yet."),
        ("over", "pat", "pat", "“Spring”: sale ended."),
        ("invite", "pat", "pat", "“Secret invite”: not sold online."),
        ("camp", "pat", "pat", None),  # Pat has no birthday on file: not refused for age
    ],
)
def test_what_the_store_cannot_sell_is_refused_with_the_reason(
    org_a, shop, package, for_whom, payer, message
):
    with tenant(org_a):
        if message is None:
            assert start(shop, package, for_whom, payer).status == CheckoutStatus.OPEN
            return
        with pytest.raises(services.SaleError) as refusal:
            start(shop, package, for_whom, payer)
        assert str(refusal.value) == message
        assert not Checkout.objects.exists()


def test_a_sold_out_package_is_refused_and_one_sold_out_while_paying_is_refunded(org_a, shop, alice):
    with tenant(org_a):
        late = start(shop)  # the second spot, while someone else buys it at the desk
        pay_by_card(late)
        for person in ("kim", "gran"):
            services.sale_record(
                package=shop["party"], customer=shop[person], payer=shop[person], method="cash", by=alice
            )
        with pytest.raises(services.SaleError, match="sold out"):
            start(shop)
        done = card_services.store_checkout_complete(checkout=late)
        assert done.status == CheckoutStatus.REFUNDED and done.completed_purchase is None
        refunded = gateway.payment_intent_retrieve(
            stripe_client_for_org(), payment_intent=late.payment_intent
        )
        assert refunded.amount_refunded == late.amount
        assert Purchase.objects.count() == 2


def test_the_store_lists_public_packages_on_sale_and_marks_the_rest(client, org_a, shop, alice):
    with tenant(org_a):
        for person in ("kim", "gran"):
            services.sale_record(
                package=shop["party"], customer=shop[person], payer=shop[person], method="cash", by=alice
            )
    page = client.get(f"/{org_a.slug}/store/").text
    assert "Party" in page and "Two hours of fun" in page and "$299.00" in page and "+ $24.67 tax" in page
    assert "Sold out" in page and "Not on sale yet" in page and "Sale ended" in page
    assert "Children 5–12" in page.replace("children", "Children") and "10 visits" in page
    for hidden in ("Secret invite", "Desk only", "Old thing"):
        assert hidden not in page
    assert page.count(">Buy</a>") == 1  # only the camp
    for hidden in ("invite", "staff", "old"):
        assert client.get(f"/{org_a.slug}/store/{shop[hidden].pk}/").status_code == 404


def test_an_empty_store_says_so(client, org_b):
    assert "nothing for sale online right now" in client.get(f"/{org_b.slug}/store/").text


def test_the_store_lists_in_a_constant_number_of_queries(client, org_a, shop, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        client.get(f"/{org_a.slug}/store/")


def test_a_visitor_is_offered_to_log_in_or_sign_up_and_comes_back(client, org_a, shop):
    buy = f"/{org_a.slug}/store/{shop['camp'].pk}/buy/"
    page = client.get(buy).text
    assert "Log in" in page and "Create an account" in page
    assert f"/{org_a.slug}/signup/store/?next=%2F{org_a.slug}%2Fstore%2F{shop['camp'].pk}%2Fbuy%2F" in page
    signup = client.get(f"/{org_a.slug}/signup/store/?next={buy}").text
    assert f'name="next" value="{buy}"' in signup
    evil = client.get(f"/{org_a.slug}/signup/store/?next=https://evil.example/").text
    assert "evil.example" not in evil


def test_a_guardian_chooses_whom_for_then_pays_and_reads_the_receipt(org_a, shop):
    pat = logged_in(shop["pat"].user)
    buy = f"/{org_a.slug}/store/{shop['camp'].pk}/buy/"
    form = pat.get(buy).text
    assert "Me (Pat Parent)" in form and "Kim Parent" in form
    response = pat.post(buy, {"for_whom": shop["kim"].pk})
    with tenant(org_a):
        checkout = Checkout.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        f"/store/checkout/{checkout.pk}/pay/"
    )
    card_form = pat.get(response["Location"])
    assert f'data-setup-url="/{org_a.slug}/store/cards/setup/"' in card_form.text
    assert "Save this card for next time" in card_form.text
    policy = card_form["Content-Security-Policy"]
    stripe_origin = settings.STRIPE_API_BASE.rstrip("/")
    assert f'<script src="{stripe_origin}/js.stripe.com/v3/">' in card_form.text
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    for directive in ("script-src", "connect-src", "frame-src"):
        assert stripe_origin in directives[directive]
    assert "'nonce-" in directives["script-src"] and "unsafe-inline" not in policy
    assert stripe_origin not in pat.get(f"/{org_a.slug}/store/")["Content-Security-Policy"]
    setup_intent = browser_sets_up_card(pat.post(f"/{org_a.slug}/store/cards/setup/").json()["client_secret"])
    done = pat.post(
        response["Location"],
        {"card": "new", "setup_intent": setup_intent, "keep_card": "on", "attempt": str(uuid.uuid4())},
    )
    assert done["Location"].endswith(f"/store/checkout/{checkout.pk}/")
    receipt = pat.get(done["Location"]).text
    assert (
        "Camp" in receipt and "Kim Parent" in receipt and "$325.00" in receipt and "Visa •••• 4242" in receipt
    )


def test_a_receipt_is_for_its_payer_only(org_a, org_b, shop, bob_client):
    with tenant(org_a):
        checkout = start(shop)
    url = f"/{org_a.slug}/store/checkout/{checkout.pk}/"
    assert logged_in(shop["gran"].user).get(url).status_code == 404
    assert logged_in(shop["gran"].user).post(url + "complete/").status_code == 404
    assert bob_client.get(url).status_code == 404
    assert bob_client.get(f"/{org_b.slug}/store/checkout/{checkout.pk}/").status_code == 404
    assert bob_client.get(f"/{org_b.slug}/store/{shop['party'].pk}/").status_code == 404
    assert logged_in(shop["pat"].user).get(url).status_code == 302  # open: on to the card form


@pytest.mark.django_db(transaction=True)
def test_the_payer_gets_a_receipt_by_email(celery_worker, smtp_server, org_a, shop):
    with tenant(org_a):
        checkout = start(shop)
        pay_by_card(checkout)
        card_services.store_checkout_complete(checkout=checkout)
    message = smtp_server.wait_for("pat@alpha.example", subject="Your receipt from")
    text = message.get_payload(decode=True).decode()
    assert "Party" in text and "$323.67" in text and "Visa •••• 4242" in text
    assert f"/{org_a.slug}/store/checkout/{checkout.pk}/" in text
