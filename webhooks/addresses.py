"""Where a webhook may go. An endpoint's URL is https (http too outside production), and its host must not
resolve to a private, loopback or link-local address unless settings.WEBHOOK_ALLOW_PRIVATE_URLS says so: an
organization's URL must not reach into the network Roster's worker runs in. The check runs when the URL is
saved and again on every connection, on the very address connected to, so a name that resolves elsewhere
later (DNS rebinding) is refused too."""

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class UnsafeAddress(ValueError):
    """A URL Roster will not send to, in words for the person who typed it."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def address_for(host: str, port: int) -> str:
    """The address to connect to for `host`: every address it resolves to must be public (unless allowed)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeAddress(f"“{host}” could not be found.") from None
    addresses = [info[4][0] for info in found]
    if not settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        for address in addresses:
            if not _public(address):
                raise UnsafeAddress(
                    f"“{host}” is a private, loopback or link-local address ({address}): webhooks go only to "
                    "addresses on the public internet."
                )
    return addresses[0]


def url_check(url: str) -> None:
    """Refuse a URL webhooks may not be sent to (when it is saved)."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and settings.WEBHOOK_ALLOW_HTTP):
        raise UnsafeAddress("Use an https:// address: customer data is sent to it.")
    if not parts.hostname:
        raise UnsafeAddress("Enter a full address, such as https://example.com/roster-webhooks.")
    if parts.username or parts.password:
        raise UnsafeAddress(
            "Leave the user name and password out of the address: the signature proves the sender."
        )
    if not settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        address_for(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))


class _CheckedConnection:
    """Resolves and checks the host itself and connects to that address; TLS still checks the name."""

    def _new_conn(self):
        host = self._dns_host
        self._dns_host = address_for(host, self.port)
        try:
            return super()._new_conn()
        finally:
            self._dns_host = host


class _HTTPConnection(_CheckedConnection, HTTPConnection):
    pass


class _HTTPSConnection(_CheckedConnection, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def checked_session() -> requests.Session:
    """A requests session whose every connection goes through the address check."""
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: the check must see the address connected to
    adapter = _CheckedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
