"""Test harness: the session's embedded PostgreSQL and Redis are started by config.settings.test; here the
database is migrated as the owner role, then every test connects as the app role that row-level security
applies to. Every module gets two organizations: Alpha (alice, its owner, and carol, on its staff) and Beta
(bob)."""

import email.policy
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from accounts import services
from accounts.models import Membership, Organization, Role, User
from accounts.tenancy import tenant
from config.local_servers import free_port
from tests.accessibility import AxeWatch

pytest_plugins = [  # fixtures more than one module shares
    "tests.booking_helpers",
    "tests.custom_field_helpers",
    "tests.customer_helpers",
    "tests.escaping_helpers",
    "tests.metric_helpers",
]

BASE_DIR = Path(__file__).resolve().parent.parent
SCREENSHOTS = BASE_DIR / "screenshots"
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker):
    owner_url = os.environ["DATABASE_OWNER_URL"]
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity=0"],
        cwd=BASE_DIR,
        env={**os.environ, "DATABASE_URL": owner_url},
        check=True,
    )


def make_user(email: str, **names) -> User:
    return services.user_signup(email=email, password=PASSWORD, **names)


def make_member(organization: Organization, role: str, email: str, **names) -> User:
    """A new user on the organization's staff with `role`."""
    user = make_user(email, **names)
    with tenant(organization):
        Membership.objects.create(user=user, role=role)
    return user


def make_org(name: str, slug: str, owner: User) -> Organization:
    return services.organization_create(
        name=name, slug=slug, time_zone="America/Chicago", currency="USD", owner=owner
    )


@pytest.fixture
def alice(db):
    return make_user("alice@alpha.example", first_name="Alice", last_name="Anders")


@pytest.fixture
def bob(db):
    return make_user("bob@beta.example", first_name="Bob", last_name="Brandt")


@pytest.fixture
def org_a(alice):
    return make_org("Canary Alpha Fun Center", "alpha", alice)


@pytest.fixture
def org_b(bob):
    return make_org("Beta Studio", "beta", bob)


@pytest.fixture
def carol(org_a):
    """Alpha's front-desk staff member: the STAFF role, so none of the owner's or admins' permissions."""
    return make_member(org_a, Role.STAFF, "carol@alpha.example", first_name="Carol", last_name="Castro")


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def alice_client(alice, org_a, org_b):
    return logged_in(alice)


@pytest.fixture
def bob_client(bob, org_a, org_b):
    return logged_in(bob)


@pytest.fixture
def carol_client(carol, org_a, org_b):
    return logged_in(carol)


class MailRecorder:
    """aiosmtpd handler keeping every message the worker sends."""

    def __init__(self):
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        # The modern policy reads every header as text, an address with letters of any script (SMTPUTF8) too.
        self.messages.append(message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def wait_for(self, recipient: str, timeout: float = 30, subject: str = "") -> Message:
        """The first email to `recipient` (whose subject contains `subject`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if recipient in message["To"] and subject in str(message["Subject"]):
                    return message
            time.sleep(0.1)
        raise AssertionError(f"No email to {recipient} within {timeout}s")


@pytest.fixture
def quiet_refusals():
    """Thousands of 4xx answers are the point of the fuzz tests; server errors still log."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture(scope="session")
def smtp_port():
    return free_port()


@pytest.fixture(scope="session")
def mail_sink(smtp_port):
    recorder = MailRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=smtp_port, enable_SMTPUTF8=True)
    controller.start()
    yield recorder
    controller.stop()


@pytest.fixture
def smtp_server(mail_sink):
    """The session's mail server with only this test's messages: another file's test may have mailed the same
    address (pat@alpha.example) earlier on this worker."""
    mail_sink.messages.clear()
    return mail_sink


class Worker:
    """A real Celery worker process; tests of crashes kill it (SIGKILL) and start it again."""

    def __init__(self, env: dict):
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self, wait: bool = True, **env) -> None:
        from config.celery_app import app

        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
                "--include=tests.probe_tasks",
                "--without-mingle",
                "--without-gossip",
                "-n",
                "test@%h",
            ],
            cwd=BASE_DIR,
            env=self.env | env,
        )
        deadline = time.monotonic() + 60
        while wait and not app.control.ping(timeout=0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError("The Celery worker did not start")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(20)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(20)


@pytest.fixture(scope="session")
def celery_worker(mail_sink, smtp_port, django_db_setup):
    """A real Celery worker process on the session's Redis and database, sending mail to smtp_server."""
    from config.celery_app import app

    app.control.purge()
    worker = Worker({**os.environ, "SMTP_PORT": str(smtp_port)})
    worker.start()
    RUNNING_WORKERS.append(worker)
    yield worker
    RUNNING_WORKERS.remove(worker)
    worker.stop()


RUNNING_WORKERS: list[Worker] = []


def worker_idle() -> bool:
    """Nothing queued, reserved or running on the session's Celery worker."""
    from config.celery_app import app

    with app.connection_for_read() as connection:
        if connection.default_channel.client.llen("celery"):
            return False
    # The worker runs one task at a time (solo pool) and answers between tasks: no answer means busy.
    reserved = app.control.inspect(timeout=0.5, limit=1).reserved()
    return reserved is not None and not any(reserved.values())


def wait_for_the_worker(seconds: float = 30) -> None:
    """Waits (at most `seconds`) until the session's worker has nothing queued, reserved or running."""
    deadline = time.monotonic() + seconds
    while RUNNING_WORKERS and RUNNING_WORKERS[0].process.poll() is None and time.monotonic() < deadline:
        if worker_idle():
            return
        time.sleep(0.2)


@pytest.fixture(autouse=True)
def worker_settles_before_the_flush(request):
    """A transactional test's commits may queue work the session's worker is still doing when the test ends;
    the flush (TRUNCATE) after it would deadlock with that work, so it waits for the worker first."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        yield
        return
    request.getfixturevalue("transactional_db")  # set up before this fixture, so torn down after it
    yield
    wait_for_the_worker()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    if Path(chromium).exists():
        return {**browser_type_launch_args, "executable_path": chromium, "args": args}
    return {**browser_type_launch_args, "args": args}


@pytest.fixture(scope="session")
def sync_database_beside_playwright():
    """Playwright's sync API keeps an event loop in the test thread until the session ends, which Django's
    async guard would mistake for async code touching the database (test set-up and flushes included)."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def new_context(new_context, browser, monkeypatch):
    """Every browser context of a test (pytest-playwright's and `browser.new_context()`'s) runs axe-core on
    each page load and on its open pages at the end; serious or critical violations fail the test."""
    watch = AxeWatch()
    make_context = browser.new_context

    def new_checked_context(**kwargs):
        # Reduced motion turns Bootstrap's transitions off: axe would measure a button's colours mid-fade.
        return watch.watch(make_context(**{"reduced_motion": "reduce", **kwargs}))

    monkeypatch.setattr(browser, "new_context", new_checked_context)
    yield new_context
    if watch.check_open_pages() or watch.problems:
        pytest.fail(watch.report(), pytrace=False)


@pytest.fixture
def browser_page(sync_database_beside_playwright, page, live_server):
    """A Chromium page against the live server."""
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under screenshots/ (git-ignored) to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name: str) -> None:
        # caret="initial": hiding the caret injects a style element, which our CSP rightly refuses.
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True, caret="initial")

    return take
