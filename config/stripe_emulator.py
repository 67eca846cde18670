"""localstripe, the stateful Stripe emulator, as `make run` and the tests start it (and compose's
`localstripe` service): `python config/stripe_emulator.py --port N --data FILE`.

localstripe 1.15 runs unchanged on Python 3.13; what it lacks of the real API that billing relies on is
added here, around it:
- idempotency keys: a POST repeated with the same `Idempotency-Key` replays the first answer, and the
  same key with other parameters is refused (`idempotency_error`), as Stripe does (remembered while it
  runs, not across restarts);
- refund reasons: `reason` (duplicate, fraudulent, requested_by_customer) is accepted and kept;
- restricted keys (`rk_…`, what organizations paste) are accepted like secret keys (it knows only `sk_…`;
  what a restricted key may do is not emulated);
- saved cards: a confirmed SetupIntent attaches its card to the SetupIntent's customer, and a PaymentIntent
  is confirmed with `payment_method` (a saved card, or one just set up), as Stripe does;
- its objects live in `--data` (it would share /tmp/localstripe.pickle with every other run) and it
  listens on `--host` only (it binds every IPv6 and IPv4 address).
Self-contained on purpose: it runs as a script, without the app's packages, in its own container.
"""

import argparse
import hashlib
import os
import pickle
import time
from pathlib import Path

from aiohttp import web
from localstripe import resources, server
from localstripe.errors import UserError, json_response

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
IDEMPOTENCY_WINDOW = 24 * 60 * 60  # Stripe keeps a key's answer for at least 24 hours
# Answers of calls that ran (succeeded, or a card declined); a refused request is not remembered.
REPLAYED_STATUSES = (200, 402)


def keep_objects_in(data_file: Path) -> None:
    def load(store):
        try:
            with data_file.open("rb") as file:
                saved = pickle.load(file)  # noqa: S301 - our own file, written below
        except FileNotFoundError:
            return
        store.clear()
        store.update(saved)

    def save(store):
        partial = data_file.with_name(data_file.name + ".partial")
        with partial.open("wb") as file:
            pickle.dump(dict(store), file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, data_file)

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = save


def accept_refund_reasons() -> None:
    refund_init = resources.Refund.__init__

    def init(self, *args, reason=None, **kwargs):
        if reason is not None and reason not in REFUND_REASONS:
            raise UserError(400, f"Invalid reason: must be one of {', '.join(REFUND_REASONS)}")
        refund_init(self, *args, **kwargs)
        self.reason = reason

    resources.Refund.__init__ = init


def accept_restricted_keys() -> None:
    secret_key_of = server.get_api_key

    def api_key(request):
        kind, _, token = request.headers.get("Authorization", "").partition(" ")
        if kind == "Bearer" and token.startswith("rk_") and len(token) > 5:
            return token
        return secret_key_of(request)

    server.get_api_key = api_key


def attach_set_up_cards() -> None:
    attach = resources.SetupIntent._attach_pm

    def attach_to_customer(self, pm):
        attach(self, pm)  # raises for a declined card
        if self.customer and self.status == "succeeded":
            pm.customer = self.customer

    resources.SetupIntent._attach_pm = attach_to_customer


def _confirm_with_payment_method(id, payment_method=None, **kwargs):
    if payment_method is not None:
        intent = resources.PaymentIntent._api_retrieve(id)
        method = resources.PaymentMethod._api_retrieve(payment_method)  # 404 for an unknown card
        if intent.status not in ("requires_payment_method", "requires_confirmation"):
            raise UserError(400, f"This PaymentIntent's status is {intent.status}.")
        if method.customer and method.customer != intent.customer:
            raise UserError(400, f"The payment method {payment_method} does not belong to the customer.")
        intent.payment_method = payment_method
        intent.latest_charge = None  # a declined attempt's charge; the new one replaces it
    return resources.PaymentIntent._api_confirm(id, **kwargs)


def confirm_with_payment_method():
    """localstripe routed /confirm to its own function when it loaded; this answers that address first."""
    address = "/v1/payment_intents/{id}/confirm"
    confirm = server.api_extra(_confirm_with_payment_method, address)

    @web.middleware
    async def confirm_payment_intent(request, handler):
        resource = request.match_info.route.resource
        if request.method == "POST" and resource is not None and resource.canonical == address:
            return await confirm(request)
        return await handler(request)

    return confirm_payment_intent


def idempotency_middleware():
    answers: dict[tuple[str, str], tuple[float, str, int, bytes]] = {}

    @web.middleware
    async def replay_by_idempotency_key(request, handler):
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        body = await request.read()  # aiohttp keeps it for the handler
        account = hashlib.sha256(request.headers.get("Authorization", "").encode()).hexdigest()
        fingerprint = hashlib.sha256(request.path.encode() + b"\0" + body).hexdigest()
        now = time.time()
        answered = answers.get((account, key))
        if answered and now - answered[0] < IDEMPOTENCY_WINDOW:
            _, first_fingerprint, status, content = answered
            if first_fingerprint != fingerprint:
                return json_response(
                    {
                        "error": {
                            "type": "idempotency_error",
                            "message": "Keys for idempotent requests can only be used with the same "
                            f"parameters they were first used with. Try using a key other than '{key}' "
                            "if you meant to execute a different request.",
                        }
                    },
                    status=400,
                )
            return web.Response(
                body=content,
                status=status,
                content_type="application/json",
                headers={"Idempotency-Key": key, "Idempotent-Replayed": "true"},
            )
        response = await handler(request)
        if response.status in REPLAYED_STATUSES:
            answers[(account, key)] = (now, fingerprint, response.status, response.body)
        response.headers["Idempotency-Key"] = key
        return response

    return replay_by_idempotency_key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--data", type=Path, required=True, help="file that keeps the emulator's objects")
    options = parser.parse_args()

    keep_objects_in(options.data)
    accept_refund_reasons()
    accept_restricted_keys()
    attach_set_up_cards()
    resources.store.try_load_from_disk()
    # Outermost, so it remembers the answer localstripe's own error middleware made of a decline.
    server.app.middlewares.insert(0, idempotency_middleware())
    server.app.middlewares.append(confirm_with_payment_method())  # innermost: after localstripe's auth
    web.run_app(server.app, host=options.host, port=options.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
