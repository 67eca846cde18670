"""Settings → Payments: an owner connects the organization's own Stripe account (checked with the Stripe
emulator, through the real SDK), the secret key kept encrypted and never shown again; replacing and
disconnecting are audited; only owners reach it, and no other organization sees it."""

import re

import pytest
from django.db import connection
from playwright.sync_api import expect

from accounts.models import AuditEvent, Role
from accounts.tenancy import tenant
from billing import account, account_services, gateway
from billing.models import PaymentAccount, PaymentAccountAudit
from billing.secrets import decrypt
from tests.conftest import logged_in, make_member
from tests.test_browser_journey import log_in, watch_console

PAYMENTS = "/app/{slug}/settings/payments/"
SECRET_KEY = "rk_test_51HxAlphaRestricted000000abcd"
PUBLISHABLE_KEY = "pk_test_51HxAlphaPublishable00000000"
WEBHOOK_SECRET = "whsec_alphaEndpointSecret0000000000"


def keys(**fields) -> dict:
    return {
        "secret_key": SECRET_KEY,
        "publishable_key": PUBLISHABLE_KEY,
        "webhook_secret": WEBHOOK_SECRET,
    } | fields


@pytest.fixture
def connected(org_a, alice):
    with tenant(org_a):
        return account_services.payment_account_connect(**keys(), by=alice)


def test_an_owner_connects_stripe_and_the_secret_is_kept_encrypted_and_never_shown(
    alice_client, org_a, alice
):
    url = PAYMENTS.format(slug=org_a.slug)
    before = alice_client.get(url).text
    assert "Connect your Stripe account" in before
    assert f"/stripe/webhooks/{org_a.slug}/" in before  # to paste in Stripe before its signing secret

    response = alice_client.post(url, keys(), follow=True)
    page = response.text
    assert "Stripe account connected" in page
    assert "Test mode" in page and "…abcd" in page and PUBLISHABLE_KEY in page
    assert SECRET_KEY not in page and WEBHOOK_SECRET not in page
    with tenant(org_a):
        stored = PaymentAccount.objects.get()
        assert (stored.key_hint, stored.livemode, stored.connected_by) == ("abcd", False, alice)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT secret_key_encrypted, webhook_secret_encrypted FROM billing_paymentaccount"
            )
            secret_column, webhook_column = cursor.fetchone()
        assert SECRET_KEY not in secret_column and WEBHOOK_SECRET not in webhook_column
        assert (decrypt(secret_column), decrypt(webhook_column)) == (SECRET_KEY, WEBHOOK_SECRET)
        event = AuditEvent.objects.get()
        assert (event.action, event.target, event.detail) == (
            PaymentAccountAudit.CONNECTED,
            "Stripe",
            "Test mode · key …abcd",
        )
        # The client every later call goes through uses the organization's own key.
        client = account.stripe_client_for_org()
        gateway.account_check(client)
    for page_url in (url, url + "replace/", url + "disconnect/"):
        shown = alice_client.get(page_url).text
        assert SECRET_KEY not in shown and WEBHOOK_SECRET not in shown


def test_the_webhook_url_is_absolute_from_the_site_url(alice_client, org_a, settings):
    settings.SITE_URL = "https://roster.example"
    page = alice_client.get(PAYMENTS.format(slug=org_a.slug)).text
    assert 'value="https://roster.example/stripe/webhooks/alpha/"' in page


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"secret_key": "sk_prod_0000000000000000"}, "secret_key", "Paste a restricted key (rk_test_"),
        ({"secret_key": PUBLISHABLE_KEY}, "secret_key", "This is the publishable key"),
        ({"publishable_key": SECRET_KEY}, "publishable_key", "This is a secret key"),
        ({"publishable_key": "pub_test_0000000000"}, "publishable_key", "starts with pk_test_ or pk_live_"),
        ({"webhook_secret": "secret_0000000000"}, "webhook_secret", "starts with whsec_"),
        ({"secret_key": ""}, "secret_key", "This field is required."),
        (
            {"publishable_key": "pk_live_51HxAlphaPublishable00000000"},
            "publishable_key",
            "This is a live key and the secret key is a test key",
        ),
        (
            {"secret_key": "rk_live_51HxAlphaRestricted000000abcd"},
            "publishable_key",
            "This is a test key and the secret key is a live key",
        ),
    ],
)
def test_wrong_keys_are_refused_beside_their_field_and_nothing_is_kept(
    alice_client, org_a, fields, field, message
):
    response = alice_client.post(PAYMENTS.format(slug=org_a.slug), keys(**fields))
    assert response.status_code == 200
    assert message in response.text
    assert f'id="id_{field}"' in response.text and "is-invalid" in response.text
    assert SECRET_KEY not in response.text and WEBHOOK_SECRET not in response.text  # not rendered back
    with tenant(org_a):
        assert not PaymentAccount.objects.exists()
        assert not AuditEvent.objects.exists()


def test_the_key_check_is_one_harmless_call_that_stripe_answers_or_refuses():
    gateway.account_check(gateway.stripe_client(SECRET_KEY))
    # The emulator refuses a key too short to be one, as Stripe refuses a revoked or mistyped key.
    with pytest.raises(gateway.PaymentError) as refused:
        gateway.account_check(gateway.stripe_client("sk_x"))
    assert not isinstance(refused.value, gateway.StripeUnavailable)


def test_a_key_stripe_refuses_shows_a_clean_error(alice_client, org_a, monkeypatch):
    # The emulator accepts every well-formed key: the check sends it one it refuses (real SDK, real
    # emulator), as Stripe refuses a revoked key.
    check = gateway.account_check
    monkeypatch.setattr(gateway, "account_check", lambda client: check(gateway.stripe_client("sk_x")))
    response = alice_client.post(PAYMENTS.format(slug=org_a.slug), keys())
    assert "Stripe refused this key" in response.text
    assert 'id="id_secret_key"' in response.text and "is-invalid" in response.text
    with tenant(org_a):
        assert not PaymentAccount.objects.exists()


def test_stripe_out_of_reach_says_to_try_again_and_keeps_nothing(alice_client, org_a, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard: nothing answers
    response = alice_client.post(PAYMENTS.format(slug=org_a.slug), keys())
    assert response.status_code == 200
    assert "Stripe could not be reached, try again." in response.text
    with tenant(org_a):
        assert not PaymentAccount.objects.exists()


def test_replacing_keys_and_disconnecting_are_audited(alice_client, org_a, connected):
    url = PAYMENTS.format(slug=org_a.slug)
    live = keys(
        secret_key="rk_live_51HxAlphaRestricted000000wxyz",
        publishable_key="pk_live_51HxAlphaPublishable00000000",
    )
    page = alice_client.post(url + "replace/", live, follow=True).text
    assert "Stripe keys replaced." in page and "Live mode" in page and "…wxyz" in page
    with tenant(org_a):
        assert PaymentAccount.objects.get().livemode is True

    assert "Disconnect your Stripe account?" in alice_client.get(url + "disconnect/").text
    with tenant(org_a):
        assert PaymentAccount.objects.exists()  # asking is not doing
    page = alice_client.post(url + "disconnect/", follow=True).text
    assert "Stripe account disconnected" in page and "Connect your Stripe account" in page
    with tenant(org_a):
        assert not PaymentAccount.objects.exists()
        with pytest.raises(account.PaymentsNotConnected):
            account.stripe_client_for_org()
        events = list(AuditEvent.objects.order_by("id").values_list("action", "detail", "changes"))
    assert events == [
        (PaymentAccountAudit.CONNECTED, "Test mode · key …abcd", {}),
        (
            PaymentAccountAudit.KEYS_REPLACED,
            "Live mode · key …wxyz",
            {"Keys": ["Test mode · key …abcd", "Live mode · key …wxyz"]},
        ),
        (PaymentAccountAudit.DISCONNECTED, "Live mode · key …wxyz", {}),
    ]
    assert "Stripe account disconnected" in alice_client.get(f"/app/{org_a.slug}/settings/audit/").text


def test_a_refused_replacement_keeps_the_keys_in_use(alice_client, org_a, connected):
    url = PAYMENTS.format(slug=org_a.slug)
    response = alice_client.post(url + "replace/", keys(publishable_key="pk_live_51HxAlpha000000000000"))
    assert "This is a live key and the secret key is a test key" in response.text
    with tenant(org_a):
        assert decrypt(PaymentAccount.objects.get().secret_key_encrypted) == SECRET_KEY
        assert AuditEvent.objects.count() == 1


def test_only_owners_connect_stripe(org_a, carol_client, connected):
    admin_client = logged_in(make_member(org_a, Role.ADMIN, "dana@alpha.example"))
    url = PAYMENTS.format(slug=org_a.slug)
    for client in (admin_client, carol_client):
        for path in ("", "replace/", "disconnect/"):
            assert client.get(url + path).status_code == 403
            assert client.post(url + path, keys()).status_code == 403
        assert "settings/payments/" not in client.get(f"/app/{org_a.slug}/settings/").text
    with tenant(org_a):
        assert PaymentAccount.objects.exists()
        assert AuditEvent.objects.count() == 1


def test_it_checks_ownership(bob_client, org_a, org_b, connected):
    assert bob_client.get(PAYMENTS.format(slug=org_a.slug)).status_code == 404
    assert bob_client.post(PAYMENTS.format(slug=org_a.slug) + "disconnect/").status_code == 404
    beta = bob_client.get(PAYMENTS.format(slug=org_b.slug)).text
    assert "Connect your Stripe account" in beta and "…abcd" not in beta
    assert bob_client.post(PAYMENTS.format(slug=org_b.slug) + "disconnect/").status_code == 302
    with tenant(org_a):
        assert PaymentAccount.objects.exists()
    with tenant(org_b):
        assert not PaymentAccount.objects.exists()
        with pytest.raises(account.PaymentsNotConnected):
            account.stripe_client_for_org()


def test_the_owner_finds_payments_among_the_settings_tabs(alice_client, org_a):
    assert f"/app/{org_a.slug}/settings/payments/" in alice_client.get(f"/app/{org_a.slug}/settings/").text


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_owner_connects_stripe_in_the_browser(browser_page, live_server, org_a, org_b, alice, screenshot):
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/settings/")
    page.get_by_role("link", name="Payments").click()
    expect(page.get_by_role("heading", name="Connect your Stripe account")).to_be_visible()
    expect(page.get_by_label("Webhook URL")).to_have_value(re.compile(rf"/stripe/webhooks/{org_a.slug}/$"))

    page.get_by_label("Secret key").fill(SECRET_KEY)
    page.get_by_label("Publishable key").fill("pk_live_51HxAlphaPublishable00000000")
    page.get_by_label("Webhook signing secret").fill(WEBHOOK_SECRET)
    page.get_by_role("button", name="Connect Stripe").click()
    expect(page.locator(".invalid-feedback")).to_contain_text(
        "This is a live key and the secret key is a test key"
    )
    expect(page.get_by_label("Secret key")).to_have_value("")  # never rendered back
    screenshot(page, "97-payments-connect-error")

    page.get_by_label("Secret key").fill(SECRET_KEY)
    page.get_by_label("Publishable key").fill(PUBLISHABLE_KEY)
    page.get_by_label("Webhook signing secret").fill(WEBHOOK_SECRET)
    page.get_by_role("button", name="Connect Stripe").click()
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_contain_text(
        "Stripe account connected"
    )
    card = page.locator(".payment-account")
    expect(card).to_contain_text("Test mode")
    expect(card).to_contain_text("…abcd")
    expect(page.get_by_role("link", name="Replace keys")).to_be_visible()
    assert SECRET_KEY not in page.content()
    screenshot(page, "98-payments-connected")

    page.get_by_role("link", name="Disconnect").click()
    page.get_by_role("button", name="Disconnect Stripe").click()
    expect(page.get_by_role("heading", name="Connect your Stripe account")).to_be_visible()
    with tenant(org_a):
        assert not PaymentAccount.objects.exists()
        assert AuditEvent.objects.count() == 2
    assert errors == []
