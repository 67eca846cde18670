"""localstripe with every patch of this package applied, serving on --host and --port."""

import argparse
from pathlib import Path

from aiohttp import web
from localstripe import resources, server

from .invoices import describe_invoices
from .payments import (
    accept_refund_reasons,
    attach_set_up_cards,
    confirm_with_payment_method,
    know_more_test_cards,
)
from .portal import serve_billing_portal
from .prices import serve_prices
from .requests import accept_restricted_keys, idempotency_middleware
from .store import keep_objects_in, list_events_newest_first
from .subscriptions import bill_subscriptions


def main() -> None:
    """Applies every patch, then serves on --host only (localstripe binds every IPv6 and IPv4 address)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--data", type=Path, required=True, help="file that keeps the emulator's objects")
    options = parser.parse_args()

    keep_objects_in(options.data)
    accept_refund_reasons()
    accept_restricted_keys()
    attach_set_up_cards()
    know_more_test_cards()
    serve_prices()
    bill_subscriptions()
    describe_invoices()
    list_events_newest_first()
    serve_billing_portal()
    resources.store.try_load_from_disk()
    # Outermost, so it remembers the answer localstripe's own error middleware made of a decline.
    server.app.middlewares.insert(0, idempotency_middleware())
    server.app.middlewares.append(confirm_with_payment_method())  # innermost: after localstripe's auth
    web.run_app(server.app, host=options.host, port=options.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
