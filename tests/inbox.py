"""Helpers for tests that read what a visitor gets: emails from the SMTP fixture, pages compared, CSV
downloads, and anonymous browsers from addresses of their own."""

import csv
import io
import itertools
import re

from django.test import Client


def comparable(text: str) -> str:
    """A page without what differs on every response (CSRF tokens, CSP nonces)."""
    return re.sub(r'(value|nonce)="[^"]+"|"X-CSRFToken": "\w+"', "", text)


def csv_rows(response) -> list[list[str]]:
    """The rows of a streamed CSV download, read past the byte-order mark it opens with for Excel."""
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


_visitors = itertools.count(1)


def visitor() -> Client:
    """An anonymous browser from an address of its own, so throttles counted in other tests never apply."""
    number = next(_visitors)
    return Client(REMOTE_ADDR=f"203.0.{113 + number // 250}.{number % 250 + 1}")


def email_text(message) -> str:
    part = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


def emailed_path(message, pattern: str) -> str:
    """The path of the first link in the email's text matching `pattern` (a regular expression)."""
    return re.search(rf"https?://[^/\s]+({pattern})", email_text(message)).group(1)


def signup_and_confirm(client, smtp_server, org, data: dict, channel_slug: str = "booking"):
    """Sign up online, open the emailed link and confirm; the response of the confirmation."""
    sent = client.post(f"/{org.slug}/signup/{channel_slug}/", data)
    assert sent.status_code == 200 and "Check your email" in sent.text, sent.text
    path = emailed_path(smtp_server.wait_for(data["email"]), rf"/{org.slug}/signup/confirm/[\w-]+/")
    return client.post(path, {"password": data["password1"]})
