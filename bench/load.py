"""Concurrent users against gunicorn under the production settings, with Locust (headless).

    .venv/bin/python bench/load.py            # 40 staff + 10 portal users for 60 s, 50 k + 20 small rosters
    .venv/bin/python bench/load.py --full     # 200 staff + 50 portal users for 5 minutes, 500 k + 20 of 2–5 k

Starts its own embedded PostgreSQL and Redis, loads the customers with COPY (bench/roster_search.py's loader),
adds staff logins (most on the big organization, one in five an admin), tags and portal customers with logins,
then serves the app as production does: gunicorn with config/gunicorn.py and config.settings.production
(static files collected and served by WhiteNoise, Secure cookies, rate limits on) and a Celery worker. Locust
runs in a process of its own (bench/_load_users.py) on the same machine; every user logs in while the users
start, and the figures count only what happens once the last one has. Each person sends an address of their
own in X-Forwarded-For behind a declared proxy (TRUSTED_PROXY_COUNT=1), as a deployment behind nginx sees
them: per-address limits apply to each person, none is turned off.
"""

import argparse
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from _harness import BASE_DIR, bench_environment
from roster_search import load as copy_customers
from roster_search import percentile

PASSWORD = "load-bench-password-2026"
TAGS = ["VIP", "Birthday club", "Allergy", "Member", "Newsletter", "Late payer", "Staff family", "Group"]
GOAL_P95_MS = 300


def world_create(superuser_url: str, *, big: int, small: int, staff: int, portal: int, rng) -> dict:
    """Organizations with customers, tags on some of them, staff logins and portal customers with logins."""
    import psycopg
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts import services as account_services
    from accounts.models import Membership, Role, User
    from accounts.tenancy import tenant
    from customers.models import Customer
    from tags import services as tag_services
    from tags.models import Tag

    owner = account_services.user_signup(email="owner@load.example", password=PASSWORD)
    organizations = [
        account_services.organization_create(
            name=f"Load {n}", slug=f"load-{n}", time_zone="UTC", currency="USD", owner=owner
        )
        for n in range(1 + small)
    ]
    # 2–5 k customers each beside 500 k; a tenth of that in the quick run.
    low, high = (2_000, 5_000) if big >= 500_000 else (200, 500)
    sizes = [big] + [rng.randint(low, high) for _ in range(small)]
    for organization, size in zip(organizations, sizes, strict=True):
        copy_customers(superuser_url, size, 1.0, [organization.pk], rng)

    hashed = make_password(PASSWORD)  # one hash for every login: hashing 250 would take a minute
    world = {"password": PASSWORD, "organizations": [], "staff": [], "portal": []}
    # Three in four staff on the big organization; the rest spread over the smaller ones.
    staff_orgs = [0] * (staff * 3 // 4) + [1 + n % small for n in range(staff - staff * 3 // 4)]
    portal_orgs = [0] * (portal * 3 // 5) + [1 + n % small for n in range(portal - portal * 3 // 5)]
    for index, organization in enumerate(organizations):
        with tenant(organization):
            tags = [tag_services.tag_save(tag=Tag(name=name), by=owner) for name in TAGS]
            people = list(
                Customer.objects.order_by("?").values("pk", "first_name", "last_name", "email")[:300]
            )
            logins = []
            for number, _ in enumerate(n for n in staff_orgs if n == index):
                user = User.objects.create(
                    email=f"staff{number}@{organization.slug}.example",
                    password=hashed,
                    email_verified_at=timezone.now(),
                )
                Membership.objects.create(user=user, role=Role.ADMIN if number % 5 == 0 else Role.STAFF)
                logins.append({"email": user.email, "org": index, "admin": number % 5 == 0})
            world["staff"] += logins
            for number, person in enumerate(people[: sum(1 for n in portal_orgs if n == index)]):
                user = User.objects.create(
                    email=person["email"], password=hashed, email_verified_at=timezone.now()
                )
                Customer.objects.filter(pk=person["pk"]).update(user=user)
                world["portal"].append(
                    {"email": user.email, "slug": organization.slug, "visitor": number % 5 == 0}
                )
        world["organizations"].append(
            {
                "slug": organization.slug,
                "tags": TAGS,
                "tag_ids": [tag.pk for tag in tags],
                "people": [
                    {"first": p["first_name"], "last": p["last_name"], "email": p["email"]} for p in people
                ],
            }
        )
        # One customer in fifty carries each of two tags: the tag filter has real work to do.
        with psycopg.connect(superuser_url) as conn:
            conn.execute(
                "INSERT INTO tags_customertag (organization_id, customer_id, tag_id, added_at) "
                "SELECT organization_id, id, %s, now() FROM customers_customer "
                "WHERE organization_id = %s AND id %% 50 IN (%s, %s)",
                [tags[0].pk, organization.pk, 0, 1],
            )
            conn.execute(
                "INSERT INTO tags_customertag (organization_id, customer_id, tag_id, added_at) "
                "SELECT organization_id, id, %s, now() FROM customers_customer "
                "WHERE organization_id = %s AND id %% 50 = 7",
                [tags[1].pk, organization.pk],
            )
    with psycopg.connect(superuser_url) as conn:
        conn.execute("ANALYZE")
    # Staff start in the order they are listed: interleave so the big organization's are not all first.
    rng.shuffle(world["staff"])
    rng.shuffle(world["portal"])
    return world


def production_environment(static_root: Path, port: int, smtp_port: int) -> dict:
    """The production settings on the bench's servers; the only bench-specific values are the ones a
    deployment sets per machine (hosts, keys, the proxy in front, where mail goes)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PAYMENTS_ENCRYPTION_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "false",  # TLS ends at the proxy the bench stands in for
        "TRUSTED_PROXY_COUNT": "1",
        "STATIC_ROOT": str(static_root),
        "SMTP_HOST": "127.0.0.1",  # the sign-up emails go to a sink (serve)
        "SMTP_PORT": str(smtp_port),
        "LOG_LEVEL": "WARNING",
    }


def serve(environment: dict, port: int, logs: Path) -> list[subprocess.Popen]:
    """gunicorn as the Dockerfile starts it (config/gunicorn.py), a Celery worker as compose does, and a mail
    sink."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=environment,
        check=True,
    )
    with (logs / "gunicorn.log").open("ab") as log, (logs / "worker.log").open("ab") as worker_log:
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    "config/gunicorn.py",
                    "-b",
                    f"127.0.0.1:{port}",
                    "--access-logfile",
                    str(logs / "access.log"),
                    "--access-logformat",
                    "%(t)s\t%({x-load-name}i)s\t%(M)s",  # when, which page, milliseconds in the worker
                    "config.wsgi",
                ],
                cwd=BASE_DIR,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            ),
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=WARNING"],
                cwd=BASE_DIR,
                env=environment,
                stdout=worker_log,
                stderr=subprocess.STDOUT,
            ),
            # An SMTP server that accepts every email and keeps none.
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "aiosmtpd",
                    "-n",
                    "-l",
                    f"127.0.0.1:{environment['SMTP_PORT']}",
                    "-c",
                    "aiosmtpd.handlers.Sink",
                ],
                stdout=worker_log,
                stderr=subprocess.STDOUT,
            ),
        ]
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.read() == b"ok":
                    return processes
        except OSError:
            if time.monotonic() > deadline or processes[0].poll() is not None:
                stop(processes)
                raise RuntimeError(f"gunicorn did not start; see {logs / 'gunicorn.log'}") from None
            time.sleep(0.3)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def swarm(port, world_file, samples_file, *, staff: int, portal: int, seconds: int, logs, roots: dict):
    """Locust, headless, in its own process: users start at 10 a second and log in; the measured window
    opens once the last has logged in and lasts `seconds`. `roots`: the processes whose CPU time to count
    in the window (with Locust's own)."""
    users = staff + portal
    spawn_rate = 10
    run_time = seconds + 900  # a bound only: the Locust file stops `seconds` after the last login
    environment = {
        **os.environ,
        "LOAD_WORLD": str(world_file),
        "LOAD_SAMPLES": str(samples_file),
        "LOAD_STAFF": str(staff),
        "LOAD_PORTAL": str(portal),
        "LOAD_SECONDS": str(seconds),
    }
    cpu = {}
    with (logs / "locust.log").open("ab") as log:
        locust = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(BASE_DIR / "bench" / "_load_users.py"),
                "--headless",
                "--host",
                f"http://127.0.0.1:{port}",
                "--users",
                str(users),
                "--spawn-rate",
                str(spawn_rate),
                "--run-time",
                f"{run_time}s",
                "--stop-timeout",
                "15",
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=BASE_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        roots["Locust"] = locust.pid
        while locust.poll() is None:
            for mark in ("open", "closed"):
                if mark not in cpu and Path(f"{samples_file}.{mark}").exists():
                    cpu[mark] = cpu_seconds(roots)
            time.sleep(0.2)
    if not samples_file.exists():
        raise RuntimeError(f"Locust stopped with {locust.returncode}; see {logs / 'locust.log'}")
    measured = json.loads(samples_file.read_text())
    if "open" in cpu and "closed" in cpu:
        measured["cpu"] = {name: cpu["closed"][name] - cpu["open"][name] for name in roots}
    return measured


def cpu_seconds(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each named process and everything under it (Linux /proc)."""
    parent, used = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # ended meanwhile
            continue
        pid = int(stat.parent.name)
        parent[pid] = int(fields[1])
        # Its own time and its ended children's (a PostgreSQL backend that closed, for one).
        used[pid] = sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    totals = {}
    for name, root in roots.items():
        tree, frontier = {root}, [root]
        while frontier:
            children = [pid for pid, ppid in parent.items() if ppid in frontier]
            tree.update(children)
            frontier = children
        totals[name] = sum(used.get(pid, 0.0) for pid in tree)
    return totals


def postmaster(superuser_url: str) -> int:
    """The embedded PostgreSQL's main process (its backends are its children), found by its port."""
    port = urlsplit(superuser_url).port
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if words[0].endswith(b"postgres") and f"{port}".encode() in words:
            return int(cmdline.parent.name)
    raise RuntimeError(f"No PostgreSQL on port {port}")


def server_times(access_log: Path, window: dict) -> dict[str, list[float]]:
    """Milliseconds gunicorn spent on each page in the window (its access log), without the time a request
    waited for a free worker: the gap to what Locust saw is that queue and the machine's other load."""
    times = defaultdict(list)
    for line in access_log.read_text().splitlines():
        stamp, name, milliseconds = line.split("\t")
        when = datetime.strptime(stamp, "[%d/%b/%Y:%H:%M:%S %z]").timestamp()
        if window["started"] - 1 <= when <= window["stopped"]:
            times[name].append(float(milliseconds))
    return times


def report(measured: dict, server: dict, *, staff: int, portal: int, seconds: int, logs: Path) -> None:
    window = measured["window"]["stopped"] - measured["window"]["started"]
    by_name: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    for name, milliseconds, failed in measured["samples"]:
        by_name[name].append(milliseconds)
        errors[name] += failed
    every = [ms for values in by_name.values() for ms in values]
    print(
        f"\n{staff} staff + {portal} portal users for {window:.0f} s measured (after all had logged in); "
        f"times in ms as Locust saw them (server p95: gunicorn's own time, no queue); goal p95 ≤ "
        f"{GOAL_P95_MS} ms, 0 errors"
    )
    columns = ("requests", "req/s", "p50", "p95", "p99", "max", "server p95", "errors")
    print(
        f"{'page':<30}"
        + "".join(f"{column:>{len(column) + 2 if len(column) > 6 else 8}}" for column in columns)
    )

    def row(name: str, values: list[float], server_values: list[float], failed: int) -> str:
        server_p95 = f"{percentile(server_values, 0.95):>12.0f}" if server_values else f"{'':>12}"
        return (
            f"{name:<30}{len(values):>10,}{len(values) / window:>8.1f}{statistics.median(values):>8.0f}"
            f"{percentile(values, 0.95):>8.0f}{percentile(values, 0.99):>8.0f}{max(values):>8.0f}"
            f"{server_p95}{failed:>8}"
        )

    for name in sorted(by_name, key=lambda name: -len(by_name[name])):
        print(row(name, by_name[name], server.get(name, []), errors[name]))
    total_errors = sum(errors.values())
    p95 = percentile(every, 0.95)
    print(row("all", every, [ms for name in by_name for ms in server.get(name, [])], total_errors))
    met = p95 <= GOAL_P95_MS and total_errors == 0 and window >= seconds - 5
    print(
        f"{'goal':<30}{'':>10}{'':>8}{'':>8}{GOAL_P95_MS:>8}{'':>8}{'':>8}{'':>12}{0:>8}   "
        f"{window / 60:.1f} of {seconds / 60:.1f} min: {'met' if met else 'NOT met'}"
    )
    if "cpu" in measured:
        cpu = measured["cpu"]
        per_request = (cpu["web"] + cpu["PostgreSQL"]) * 1000 / max(len(every), 1)
        print(
            f"CPU in the window, of {os.cpu_count()} cores × {window:.0f} s: "
            + ", ".join(f"{name} {used:.1f} s" for name, used in cpu.items())
            + f"; web + PostgreSQL {per_request:.0f} ms a request"
        )
    if total_errors:
        print(f"errors: see {logs / 'locust.log'} and {logs / 'gunicorn.log'} (kept)")
    print(
        f"RESULT load_p95_ms={p95:.0f} requests_per_s={len(every) / window:.1f} errors={total_errors} "
        f"users={staff + portal} seconds={window:.0f} load_average={os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="200 + 50 users, 5 minutes, 500 k customers")
    parser.add_argument("--size", type=int, help="customers in the big organization")
    parser.add_argument("--staff", type=int, help="staff users")
    parser.add_argument("--portal", type=int, help="portal users")
    parser.add_argument("--seconds", type=int, help="length of the measured window")
    options = parser.parse_args()
    size = options.size or (500_000 if options.full else 50_000)
    staff = options.staff or (200 if options.full else 40)
    portal = options.portal or (50 if options.full else 10)
    seconds = options.seconds or (300 if options.full else 60)
    logs = Path(tempfile.mkdtemp(prefix="load-bench-logs-"))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before; logs in {logs}")

    with bench_environment("load-bench-") as superuser_url:
        from config.local_servers import free_port

        world = world_create(
            superuser_url, big=size, small=20, staff=staff, portal=portal, rng=random.Random(25)
        )
        world_file = logs / "world.json"
        world_file.write_text(json.dumps(world))
        port = free_port()
        static_root = logs / "static"
        processes = serve(production_environment(static_root, port, free_port()), port, logs)
        try:
            measured = swarm(
                port,
                world_file,
                logs / "samples.json",
                staff=staff,
                portal=portal,
                seconds=seconds,
                logs=logs,
                roots={
                    "web": processes[0].pid,
                    "PostgreSQL": postmaster(superuser_url),
                    "worker": processes[1].pid,
                },
            )
        finally:
            stop(processes)
    server = server_times(logs / "access.log", measured["window"])
    report(measured, server, staff=staff, portal=portal, seconds=seconds, logs=logs)
    if not any(failed for _, _, failed in measured["samples"]):
        shutil.rmtree(logs, ignore_errors=True)


if __name__ == "__main__":
    main()
