"""What every benchmark starts with: its own embedded PostgreSQL and Redis in a fresh directory, migrated as
the owner role, Django set up as the app role (row-level security in force). Not a benchmark itself:
`make bench` runs only the scripts whose names do not start with an underscore."""

import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from config.services import local_services, start_postgres  # noqa: E402


@contextmanager
def bench_environment(prefix: str):
    """Yields the superuser URL of the running server (for COPY); servers and files are gone on exit."""
    run_dir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "REDIS_URL"):
            os.environ.pop(name, None)
        with local_services(run_dir) as environment:
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
