"""`make run` and `make demo`: start embedded PostgreSQL/Redis when DATABASE_URL/REDIS_URL are unset,
migrate as the owner role, load the demo if missing, then serve the web app with a Celery worker and beat.
Ctrl-C stops everything this started; data stays in .run/ for the next run. The Makefile names the development
settings: by the time this module runs, importing the config package has chosen the settings."""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from config.local_servers import free_port, local_services, port_is_free

BASE_DIR = Path(__file__).resolve().parent.parent
RUN_DIR = BASE_DIR / ".run"
PYTHON = sys.executable


def manage(*args: str, env: dict | None = None) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, check=True, env=env)


def migrate() -> None:
    # Tables belong to the owner role; the app role only gets DML on them (see config/local_servers.py).
    owner_url = os.environ.get("DATABASE_OWNER_URL", os.environ["DATABASE_URL"])
    manage("migrate", "--noinput", env={**os.environ, "DATABASE_URL": owner_url})


def serve(port: int) -> int:
    celery = [PYTHON, "-m", "celery", "-A", "config"]
    commands = {
        "web": [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}"],
        "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2"],
        "beat": [*celery, "beat", "--loglevel=INFO", f"--schedule={RUN_DIR / 'celerybeat-schedule'}"],
    }
    processes = {name: subprocess.Popen(command, cwd=BASE_DIR) for name, command in commands.items()}
    from demo.loader import login_lines

    time.sleep(2)
    print(
        f"\n  Roster is running at http://127.0.0.1:{port}/\n\n  Demo logins:",
        *login_lines(),
        "\n  Ctrl-C stops the app, the worker, beat and the embedded servers.\n",
        sep="\n",
        flush=True,
    )
    try:
        while all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
        failed = [name for name, process in processes.items() if process.poll() not in (None, 0)]
        print(f"Stopped because {', '.join(failed) or 'a process'} exited.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo-only", action="store_true", help="reload the demo data and exit")
    options = parser.parse_args()

    # Stop children and servers on Ctrl-C or SIGTERM, even where the shell started us ignoring SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    RUN_DIR.mkdir(exist_ok=True)
    with local_services(RUN_DIR) as env:
        os.environ.update(env)
        migrate()
        if options.demo_only:
            manage("demo", "--reset")
            return 0
        manage("demo")  # loads the demo organizations unless they exist
        port = int(os.environ.get("PORT") or 8000)
        if not port_is_free(port):
            port = free_port()
        os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
        import django

        django.setup()
        return serve(port)


if __name__ == "__main__":
    sys.exit(main())
