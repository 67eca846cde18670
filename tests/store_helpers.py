"""The online store's test world, shared by the store's and the saved cards' tests: Alpha's connected store
with its packages and a family (`open_shop`), and what the payer's browser and Stripe's webhook do."""

from datetime import date, timedelta

from django.utils import timezone

from accounts.tenancy import tenant
from billing import account_services, card_services, gateway, services
from billing.account import stripe_client_for_org
from billing.emulator import card_set_up
from billing.models import Checkout, ForWhom, Package, Visibility
from customers.models import Customer
from families.models import GuardianLink
from families.services import link_add
from tests.conftest import make_user
from tests.factories import customer

ALPHA_KEYS = {
    "secret_key": "rk_test_51HxStoreAlpha00000000abcd",
    "publishable_key": "pk_test_51HxStoreAlpha000000000000",
    "webhook_secret": "whsec_storeAlpha000000000000000",
}
BETA_KEYS = {
    "secret_key": "rk_test_51HxStoreBeta000000000abcd",
    "publishable_key": "pk_test_51HxStoreBeta0000000000000",
    "webhook_secret": "whsec_storeBeta0000000000000000",
}


def with_login(person: Customer) -> Customer:
    user = make_user(person.email)
    Customer.objects.filter(pk=person.pk).update(user=user)
    person.refresh_from_db()
    return person


def open_shop(org_a, org_b, alice, bob) -> dict:
    """Alpha's store, connected to Stripe: a party with tax and two spots, a camp for children 5–12, and
    packages it does not sell online. Pat looks after Kim (may buy for her); Gran looks after Kim without
    *purchase*."""
    with tenant(org_b):
        account_services.payment_account_connect(**BETA_KEYS, by=bob)
    with tenant(org_a):
        account_services.payment_account_connect(**ALPHA_KEYS, by=alice)

        def package(**fields):
            fields = {"price": 10000, "currency": "USD"} | fields
            return services.package_save(package=Package(**fields), by=alice)

        shop = {
            "party": package(
                name="Party", description="Two hours of fun", price=29900, tax_rate="8.25", capacity=2
            ),
            "camp": package(
                name="Camp",
                price=32500,
                kind="class_pass",
                visits=10,
                for_whom=ForWhom.CHILD,
                min_age=5,
                max_age=12,
            ),
            "invite": package(name="Secret invite", visibility=Visibility.INVITE),
            "staff": package(name="Desk only", visibility=Visibility.STAFF),
            "old": package(name="Old thing"),
            "soon": package(name="Summer", sale_starts_at=timezone.now() + timedelta(days=30)),
            "over": package(
                name="Spring",
                sale_starts_at=timezone.now() - timedelta(days=60),
                sale_ends_at=timezone.now() - timedelta(days=1),
            ),
        }
        services.package_archive(package=shop["old"], by=alice)
        pat = with_login(customer(first_name="Pat", last_name="Parent", email="pat@alpha.example", by=alice))
        kim = customer(first_name="Kim", last_name="Parent", birthday=date(2018, 5, 1), by=alice)
        gran = with_login(
            customer(first_name="Gran", last_name="Parent", email="gran@alpha.example", by=alice)
        )
        link_add(guardian=pat, dependant=kim, relationship="parent", by=alice)
        link_add(guardian=gran, dependant=kim, relationship="other", by=alice)
        GuardianLink.objects.filter(guardian=gran).update(permissions=[])
    return shop | {"pat": pat, "kim": kim, "gran": gran}


def pay_by_card(checkout: Checkout, payment_method: str = "pm_card_visa") -> gateway.StripePaymentIntent:
    """What Stripe.js does in the payer's browser: attach the card to the PaymentIntent and confirm it."""
    client = stripe_client_for_org()
    client.v1.payment_intents.update(checkout.payment_intent, params={"payment_method": payment_method})
    return gateway.payment_intent_confirm(
        client, payment_intent=checkout.payment_intent, idempotency_key=f"test-confirm-{checkout.reference}"
    )


def browser_sets_up_card(
    client_secret: str, number: str = "4242424242424242", publishable_key: str = ALPHA_KEYS["publishable_key"]
) -> str:
    """What the payer's browser does with a card typed into Stripe.js's fields (billing.emulator)."""
    return card_set_up(client_secret, number, publishable_key)


def webhook_arrives(event: gateway.StripeEvent) -> None:
    """What the webhook endpoint, then the worker, do with a delivery."""
    stored, _ = account_services.stripe_event_receive(event=event)
    account_services.stripe_event_apply(event=stored)


def start(shop, package="party", customer="pat", payer="pat") -> Checkout:
    return card_services.store_checkout_start(
        package=shop[package], customer=shop[customer], payer=shop[payer]
    )
