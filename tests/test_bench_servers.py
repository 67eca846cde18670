"""Benchmarks stop the embedded servers they started (`bench/_harness.py`), whatever stops them."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BASE_DIR

SERVERS_UNTIL_SIGNALLED = """
import json, sys, time
from pathlib import Path
from config.local_servers import local_services, stopped_on_signals
with stopped_on_signals(), local_services(Path(sys.argv[1])) as env:
    print(json.dumps(env), flush=True)
    time.sleep(120)
"""


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_embedded_servers_stop_when_a_benchmark_is_stopped(tmp_path, stop):
    """What bench/_harness.py wraps every benchmark in: SIGTERM, or Ctrl-C, leaves no server behind."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "DATABASE_OWNER_URL", "REDIS_URL")
    }
    run = subprocess.Popen(
        [sys.executable, "-c", SERVERS_UNTIL_SIGNALLED, str(tmp_path)],
        cwd=BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # Python's report of the KeyboardInterrupt it was stopped with
        text=True,
        start_new_session=True,  # Ctrl-C reaches only the benchmark here, as when a shell backgrounds it
    )
    env = json.loads(run.stdout.readline())
    postmaster, postgres_port = map(int, (tmp_path / "pg" / "postmaster.pid").read_text().splitlines()[:4:3])
    redis_port = int(env["REDIS_URL"].rsplit(":", 1)[1].split("/")[0])
    assert _alive(postmaster)
    run.send_signal(stop)
    assert run.wait(60) != 0
    assert not _alive(postmaster)
    assert not (tmp_path / "pg" / "postmaster.pid").exists()
    assert _refused(postgres_port) and _refused(redis_port)


def _alive(pid: int) -> bool:
    """Running: a zombie (exited, its parent gone and nobody reaping it in this container) is not."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _refused(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False
