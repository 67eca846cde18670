"""What every benchmark starts with: its own embedded PostgreSQL and Redis in a fresh directory, migrated as
the owner role, Django set up as the app role (row-level security in force). Not a benchmark itself:
`make bench` runs only the scripts whose names do not start with an underscore."""

import argparse
import cProfile
import gc
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from config.local_servers import local_services, start_postgres, stopped_on_signals  # noqa: E402


@contextmanager
def bench_environment(prefix: str):
    """Yields the superuser URL of the running server (for COPY); servers and files are gone on exit, Ctrl-C
    and SIGTERM included."""
    run_dir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "REDIS_URL"):
            os.environ.pop(name, None)
        with stopped_on_signals(), local_services(run_dir) as environment:
            os.environ.update(environment)
            os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
            os.environ["DEBUG"] = "false"
            owner_env = {**os.environ, "DATABASE_URL": os.environ["DATABASE_OWNER_URL"]}
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=owner_env, check=True
            )
            import django

            django.setup()
            from django.conf import settings

            settings.ALLOWED_HOSTS = ["*"]
            postgres, _ = start_postgres(run_dir / "pg")  # the running server; COPY as its superuser
            yield postgres.url("postgres")
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def bench_organizations(count: int = 2) -> tuple:
    """An owner and `count` organizations: by default the measured one and another beside it (what RLS must
    keep apart); returns (owner, *organizations)."""
    from accounts import services

    owner = services.user_signup(email="bench@roster.example", password="bench-password-123")
    return owner, *(
        services.organization_create(
            name=f"Bench {n}", slug=f"bench-{n}", time_zone="UTC", currency="USD", owner=owner
        )
        for n in range(count)
    )


def roster_request(organization, params, viewer) -> int:
    """What the roster view asks the database for one request (page 1 in the default order: the filter
    panel's queryset, the page of 25 rows and the capped count); returns the count. `viewer`: the membership
    (role and user)."""
    from accounts.tenancy import tenant
    from customers.search import capped_count, search_page
    from customers.selectors import ROSTER_ORDER, roster_queryset, search_sources

    with tenant(organization):
        customer_filter, queryset = roster_queryset(params, viewer.role)
        assert customer_filter.is_valid(), customer_filter.errors
        query = params.get("q", "").strip()[:100]
        if query:
            return search_page(queryset, query, offset=0, limit=25, sources=search_sources(viewer)).total
        list(queryset.order_by(*ROSTER_ORDER)[:26])
        return capped_count(queryset)[0]


def as_a_worker() -> None:
    """Freeze what is alive now out of the garbage collector's sight, as each gunicorn worker does once loaded
    (config/wsgi.py): a full collection during the timings then walks what requests make, as in production,
    not the ~170 k objects of Django and the bench's world (a 60–130 ms pause for whichever request meets
    it). Call it after warming up, when the views are loaded."""
    gc.collect()
    gc.freeze()


def timed(function) -> float:
    """Milliseconds `function()` takes."""
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def worker_start() -> subprocess.Popen:
    """A Celery worker as `make run` starts one (prefork, concurrency 2), on the bench's servers."""
    from config.celery_app import app

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=WARNING",
            "--concurrency=2",
            "--without-mingle",
            "--without-gossip",
            "-n",
            "bench@%h",
        ],
        cwd=BASE_DIR,
        env=os.environ.copy(),
    )
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("The Celery worker did not start")
    return process


def goal_table(
    figures: dict[str, list[float]], goals: dict[str, tuple[float, float | None]], matches=None
) -> None:
    """Print p50, p95 and max (ms) of each figure beside its goal (p95, and max unless None) and whether it is
    met; `matches`: the median count of rows each figure's requests found, where there is one."""
    from roster_search import percentile

    matches = matches or {}
    width = max(len(name) for name in figures) + 2
    found_header = f"{'matches':>10}" if matches else ""
    print(f"{'what':<{width}}{'p50':>9}{'p95':>9}{'max':>9}{found_header}  goal")
    for name, values in figures.items():
        p95, most = percentile(values, 0.95), max(values)
        found = f"{statistics.median(matches[name]):>10,.0f}" if name in matches else " " * 10 * bool(matches)
        goal = ""
        if name in goals:
            goal_p95, goal_max = goals[name]
            met = "met" if p95 <= goal_p95 and most <= (goal_max or most) else "MISSED"
            goal = f"  p95 ≤ {goal_p95:g}" + (f", max ≤ {goal_max:g}" if goal_max else "") + f": {met}"
        print(f"{name:<{width}}{statistics.median(values):>9.1f}{p95:>9.1f}{most:>9.1f}{found}{goal}")


def bench_parser(doc: str, *, size: int, full: int, what: str) -> argparse.ArgumentParser:
    """The options every sized benchmark takes: `--size` (`what`), and `--full` for the issue's size."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=size, help=f"{what} (default {size:,})")
    parser.add_argument(
        "--full", dest="size", action="store_const", const=full, help=f"{full:,}: the issue's size"
    )
    return parser


def cpu_probe_parser(doc: str) -> argparse.ArgumentParser:
    """The options of the CPU probes (`_roster_profile.py`, `_profile_profile.py`)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=40_000)
    parser.add_argument("--profile", help="write cProfile stats of each kind of request here (a directory)")
    parser.add_argument("-v", action="store_true", help="print the queries of one request of each kind")
    return parser


@contextmanager
def cpu_probe_world(prefix: str, size: int):
    """An owner signed in to a test client and three organizations sharing `size` customers (the second with
    20 custom fields); yields (owner, organizations, client, rng)."""
    with bench_environment(prefix) as superuser_url:
        from custom_field_filter import define_fields
        from django.test import Client
        from roster_search import load

        from accounts.tenancy import tenant

        rng = random.Random(7)
        owner, *organizations = bench_organizations(3)
        load(superuser_url, size, 0.5, [organization.pk for organization in organizations], rng)
        with tenant(organizations[1]):
            define_fields()
        client = Client()
        client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
        yield owner, organizations, client, rng


def _backend_cpu() -> float:
    """CPU seconds the embedded PostgreSQL spent on this process's connection (its backend's /proc stat)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_request(client, urls: list[str], extra: dict, profile: str | None = None) -> tuple[list, list]:
    """CPU ms (time.process_time: steady on a loaded machine) of each GET of `urls`, and the queries of the
    first; with `profile`, cProfile stats of another pass written to that file."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cpu = []
    database_started = _backend_cpu()
    for url in urls:
        started = time.process_time()
        client.get(url, **extra)
        cpu.append((time.process_time() - started) * 1000)
    print(f"{'':<28}PostgreSQL CPU ms/request {(_backend_cpu() - database_started) * 1000 / len(urls):5.1f}")
    with CaptureQueriesContext(connection) as queries:
        client.get(urls[0], **extra)
    captured = queries.captured_queries  # now: the connection's log is a bounded deque that later calls move
    if profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for url in urls:
            client.get(url, **extra)
        profiler.disable()
        profiler.dump_stats(profile)
    return cpu, captured
