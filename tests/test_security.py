"""Security baseline, and the production settings path (gunicorn, DATABASE_URL/REDIS_URL over TCP)."""

import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tenancy import tenant
from config.local_servers import free_port
from customers.models import Customer
from tests.conftest import BASE_DIR, logged_in, make_user
from tests.factories import customer


def production_env(**extra) -> dict:
    environment = {name: value for name, value in os.environ.items() if name != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {
        **environment,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PAYMENTS_ENCRYPTION_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        **extra,
    }


def test_pages_send_a_strict_content_security_policy(client, org_a, org_b):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in policy
    assert "'nonce-" in script_src
    assert response["X-Frame-Options"] == "DENY"
    # Every script tag carries the response's nonce or comes from our origin.
    nonce = script_src.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.text


def test_forms_need_a_csrf_token(org_a, org_b):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.post("/accounts/login/", {"username": "a@b.example", "password": "x"}).status_code == 403


def test_a_body_over_the_limit_is_refused_before_it_is_read(client, settings, org_a, org_b):
    settings.REQUEST_MAX_BYTES = 4096
    login = {"username": "a@b.example", "password": "wrong-password"}
    big = SimpleUploadedFile("big.csv", b"x" * 8192)
    response = client.post("/accounts/login/", {**login, "file": big})
    assert response.status_code == 413
    assert client.post("/accounts/login/", login).status_code == 200


def test_deploy_checks_pass_under_production_settings(db):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_an_insecure_secret_key(db):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=production_env(SECRET_KEY="dev-only-insecure-key-change-me"),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_production_refuses_to_encrypt_stripe_keys_without_a_key_of_its_own(db):
    secret_key = secrets.token_urlsafe(50)
    for payments_key in ("", "short", secret_key):
        result = subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=BASE_DIR,
            env=production_env(SECRET_KEY=secret_key, PAYMENTS_ENCRYPTION_KEY=payments_key),
            capture_output=True,
            text=True,
        )
        assert result.returncode != 0 and "Set PAYMENTS_ENCRYPTION_KEY" in result.stderr, payments_key


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


SETTINGS_SEEN = "from django.conf import settings; print(settings.SETTINGS_MODULE)"


def test_entry_points_without_a_settings_module_run_production_settings(db):
    unset = {name: value for name, value in production_env().items() if name != "DJANGO_SETTINGS_MODULE"}
    for entry_point in ("config.wsgi", "config.celery_app"):
        result = run_python(f"import {entry_point}; {SETTINGS_SEEN}", unset)
        assert result.stdout.strip() == "config.settings.production", entry_point + result.stderr
    # Without a real SECRET_KEY, production refuses to start rather than fall back to development.
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env={name: value for name, value in unset.items() if name != "SECRET_KEY"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "Set SECRET_KEY" in result.stderr


def test_production_trusts_forwarded_proto_only_behind_a_declared_proxy_and_does_not_preload_hsts(db):
    code = "print(settings.SECURE_PROXY_SSL_HEADER, settings.SECURE_HSTS_PRELOAD)"
    direct = run_python(
        f"import django; django.setup(); from django.conf import settings; {code}", production_env()
    )
    assert direct.stdout.strip() == "None False", direct.stderr
    proxied = run_python(
        f"import django; django.setup(); from django.conf import settings; {code}",
        production_env(TRUSTED_PROXY_COUNT="1"),
    )
    assert proxied.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https') False", proxied.stderr


def test_compose_has_no_default_database_passwords():
    compose = (BASE_DIR / "docker-compose.yml").read_text()
    database_secrets = re.findall(r"\$\{(\w*(?:DB|POSTGRES)_PASSWORD)(:?[-?])", compose)
    assert {name for name, _ in database_secrets} == {
        "POSTGRES_PASSWORD",
        "APP_DB_PASSWORD",
        "OWNER_DB_PASSWORD",
    }
    assert {kind for _, kind in database_secrets} == {":?"}, "each must be required, never defaulted"


def test_the_demo_and_its_published_password_are_refused_outside_development(db, settings):
    from accounts.models import User
    from demo.loader import PLATFORM_ADMIN, DemoRefused, demo_load

    assert not settings.DEMO_LOGINS  # only config.settings.dev allows them
    with pytest.raises(DemoRefused):
        demo_load()
    assert not User.objects.filter(email=PLATFORM_ADMIN).exists()


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_the_app_with_production_settings_over_tcp(org_a):
    """The docker-compose path: gunicorn, production settings, PostgreSQL and Redis reached over TCP."""
    assert (
        os.environ["DATABASE_URL"].startswith("postgres://") and "@127.0.0.1:" in os.environ["DATABASE_URL"]
    )
    assert os.environ["REDIS_URL"].startswith("redis://127.0.0.1:")
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "config/gunicorn.py",
            "-b",
            f"127.0.0.1:{port}",
            "-w=1",
            "config.wsgi",
        ],
        cwd=BASE_DIR,
        env=production_env(SECURE_SSL_REDIRECT="false"),
    )
    try:
        body = None
        for _ in range(300):  # up to 30 s: a busy 2-core machine boots Django slowly
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = response.read()
                break
            except OSError:
                time.sleep(0.1)
        assert body == b"ok"
        # gunicorn's own bounds (config/gunicorn.py) refuse a flood of headers before Django sees it.
        flood = {f"X-Flood-{number}": "1" for number in range(80)}
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers=flood))
        assert refused.value.code == 431  # Request Header Fields Too Large
    finally:
        server.terminate()
        server.wait(10)


def test_pages_for_a_signed_in_person_are_never_stored(alice_client, client, org_a):
    user = make_user("pat@example.com")
    with tenant(org_a):
        pat = customer(first_name="Pat", last_name="Lee", email="pat@example.com")
        Customer.objects.filter(pk=pat.pk).update(user=user)
    staff_pages = [
        f"/app/{org_a.slug}/customers/",
        f"/app/{org_a.slug}/customers/{pat.pk}/",
        f"/app/{org_a.slug}/customers/export.csv",
    ]
    responses = [alice_client.get(url) for url in staff_pages]
    responses.append(logged_in(user).get(f"/{org_a.slug}/account/"))
    for response in responses:
        assert response.status_code == 200, response
        assert "no-store" in response["Cache-Control"], response
    # htmx keeps no copy of pages in localStorage for Back to show after log-out.
    page = alice_client.get(f"/app/{org_a.slug}/customers/").text
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page).group(1))
    assert config["historyCacheSize"] == 0 and config["refreshOnHistoryMiss"] is True
    # A public page may be kept as usual.
    assert "no-store" not in client.get("/accounts/signup/").get("Cache-Control", "")
