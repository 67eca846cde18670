"""The worker killed (SIGKILL) while it records a payment from Stripe's webhook: it holds the event and the
checkout locked and waits on Stripe (here a Stripe that never answers). The next worker applies the stored
event on start; the payer's browser and a repeated delivery come too: one purchase, one payment."""

import socket
import threading
import time

import pytest

from accounts.tenancy import tenant
from billing import account_services, card_services, gateway
from billing.models import Checkout, CheckoutStatus, Payment, Purchase, StripeEvent
from tests.store_helpers import open_shop, pay_by_card, start

pytestmark = pytest.mark.django_db(transaction=True)


class SilentStripe:
    """A TCP server that takes connections and never answers: a call to it hangs until its timeout."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.connected = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:  # closed
                return
            self.held.append(connection)
            self.connected.set()

    def close(self) -> None:
        self.server.close()
        for connection in self.held:
            connection.close()


def _state(org, checkout) -> tuple:
    with tenant(org):
        return (
            Checkout.objects.get(pk=checkout.pk).status,
            Purchase.objects.count(),
            Payment.objects.count(),
            list(StripeEvent.objects.values_list("processed_at", flat=True)),
        )


def test_a_worker_killed_while_recording_a_payment_loses_and_doubles_nothing(
    celery_worker, org_a, org_b, alice, bob
):
    shop = open_shop(org_a, org_b, alice, bob)
    with tenant(org_a):
        checkout = start(shop)
        pay_by_card(checkout)  # Stripe took the money; Roster has not heard yet
    event = gateway.StripeEvent(
        id=f"evt_{checkout.reference.hex}",
        type="payment_intent.succeeded",
        created=1_790_000_000,
        object={"id": checkout.payment_intent, "object": "payment_intent"},
    )
    silent = SilentStripe()
    celery_worker.stop()
    celery_worker.start(STRIPE_API_BASE=silent.url)
    try:
        with tenant(org_a):
            account_services.stripe_event_receive(event=event)  # the worker takes it on commit
        assert silent.connected.wait(30), "the worker never asked Stripe"
        assert _state(org_a, checkout)[:3] == (CheckoutStatus.OPEN, 0, 0)  # mid-way: nothing committed
        celery_worker.kill()
    finally:
        silent.close()
    celery_worker.start()  # applies the events left pending when it starts
    deadline = time.monotonic() + 60
    while (state := _state(org_a, checkout))[0] == CheckoutStatus.OPEN:
        assert time.monotonic() < deadline, state
        time.sleep(0.1)
    with tenant(org_a):
        card_services.store_checkout_complete(checkout=checkout)  # the payer's browser, late
        _, first = account_services.stripe_event_receive(event=event)  # Stripe delivers again
        assert not first
    status, purchases, payments, processed = _state(org_a, checkout)
    assert (status, purchases, payments) == (CheckoutStatus.PAID, 1, 1)
    assert all(processed)
    with tenant(org_a):
        assert Payment.objects.get().stripe_payment_intent == checkout.payment_intent
