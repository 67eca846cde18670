"""Throttles and the log-in lockout count the visitor's own address: the peer's, or, behind a declared proxy
(TRUSTED_PROXY_COUNT), the one that proxy forwarded; a log-in is also throttled per account."""

import pytest
from django.test import Client, RequestFactory

from accounts.ratelimit import client_ip
from tests.conftest import PASSWORD, make_user

LOGIN = "/accounts/login/"


@pytest.fixture
def behind_one_proxy(settings):
    """What TRUSTED_PROXY_COUNT=1 sets (config/settings/base.py): nginx appends the peer it saw."""
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    settings.AXES_IPWARE_PROXY_COUNT = 0


def fail_login(client: Client, email: str, **headers) -> int:
    return client.post(LOGIN, {"username": email, "password": "wrong-password"}, **headers).status_code


def test_behind_a_declared_proxy_the_forwarded_address_decides(behind_one_proxy, alice, org_a, org_b):
    proxy = Client(REMOTE_ADDR="10.0.0.2")  # every visitor arrives from the proxy's address
    for _ in range(5):
        fail_login(proxy, alice.email, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    locked = proxy.post(
        LOGIN, {"username": alice.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert locked.status_code == 429
    # Another visitor behind the same proxy is not locked out with the first one.
    other = proxy.post(
        LOGIN, {"username": alice.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.8"
    )
    assert other.status_code == 302


def test_without_a_declared_proxy_a_forged_forwarded_for_is_ignored(client, alice, org_a, org_b):
    for attempt in range(5):
        fail_login(client, alice.email, HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")
    locked = client.post(
        LOGIN, {"username": alice.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.99"
    )
    assert locked.status_code == 429


def test_throttles_count_the_address_the_lockout_counts(rf: RequestFactory, settings):
    forged = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client_ip(rf.post("/", **forged)) == "10.0.0.2"
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    settings.AXES_IPWARE_PROXY_COUNT = 0  # one proxy: the right-most forwarded address is the visitor
    assert client_ip(rf.post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")) == (
        "203.0.113.9"
    )
    # A request that skipped the proxy (no forwarded address) counts its peer.
    assert client_ip(rf.post("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"
    settings.AXES_IPWARE_PROXY_COUNT = 1  # two proxies: the second appended the first one's address
    chain = "1.2.3.4, 203.0.113.9, 10.0.0.3"
    assert client_ip(rf.post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=chain)) == "203.0.113.9"


def test_a_sprayer_from_many_addresses_locks_the_account(db):
    victim = make_user("sprayed@alpha.example")
    for attempt in range(20):
        assert fail_login(Client(REMOTE_ADDR=f"198.51.100.{attempt}"), victim.email) == 200
    refused = Client(REMOTE_ADDR="198.51.100.200").post(
        LOGIN, {"username": "Sprayed@Alpha.example", "password": PASSWORD}
    )
    assert refused.status_code == 200
    assert "Too many failed log-in attempts for this account" in refused.text
    assert "_auth_user_id" not in refused.client.session
