"""A worker killed (SIGKILL) in the middle of an import, again and again at different points: when a new
worker takes over, the import ends with every valid row imported exactly once — none lost, none doubled."""

import os
import time

import pytest
from django.core.files.base import ContentFile

from accounts.tenancy import tenant
from customers.models import Activity, Customer
from imports import services
from imports.models import ImportJob, ImportRecord

pytestmark = pytest.mark.django_db(transaction=True)
ROWS, BAD_EVERY, BATCH = 12_000, 97, "100"


def _state(org, job) -> dict:
    with tenant(org):
        return ImportJob.objects.values("status", "validated_rows", "processed_rows", "message").get(
            pk=job.pk
        )


def _wait(org, job, condition, timeout=120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _state(org, job)
        if condition(state):
            return state
        assert state["status"] != ImportJob.Status.FAILED, state["message"]
        time.sleep(0.01)
    raise AssertionError(f"Timed out; the job is {state}")


def test_killed_workers_lose_and_double_nothing(celery_worker, org_a, alice):
    lines = ["First name,Last name,Birthday"]
    for index in range(ROWS):  # no email or number: a doubled row would be a second customer, not a clash
        birthday = "2099-01-01" if index % BAD_EVERY == 0 else "2015-06-01"
        lines.append(f"Kid{index},Chaos,{birthday}")
    valid = sum(1 for index in range(ROWS) if index % BAD_EVERY)
    celery_worker.stop()
    celery_worker.start(IMPORT_BATCH_ROWS=BATCH)
    try:
        with tenant(org_a):
            job = services.job_create(
                file=ContentFile("\n".join(lines).encode()), file_name="chaos.csv", by=alice
            )
        job = _until_mapping(org_a, job)
        with tenant(org_a):
            services.job_map(
                job=job, mapping=job.mapping, date_format="ymd", match_key="email", mode="create",
                skip_errors=True, tag_ids=[],
            )  # fmt: skip
        kill_and_restart(celery_worker, org_a, job, lambda s: s["validated_rows"] > ROWS // 3)
        _wait(org_a, job, lambda s: s["status"] == ImportJob.Status.READY)
        with tenant(org_a):
            services.job_start(job=job, by=None)
        for share in (0.15, 0.5):
            kill_and_restart(
                celery_worker, org_a, job, lambda s, share=share: s["processed_rows"] > ROWS * share
            )
        resumed_at = _state(org_a, job)["processed_rows"]
        kill_and_restart(celery_worker, org_a, job, lambda s: s["processed_rows"] > resumed_at)  # right after
        _wait(org_a, job, lambda s: s["status"] == ImportJob.Status.DONE)
    finally:
        celery_worker.stop()
        celery_worker.start()
    with tenant(org_a):
        job.refresh_from_db()
        assert (job.created, job.skipped) == (valid, ROWS - valid)
        assert Customer.objects.filter(last_name="Chaos").count() == valid
        assert Customer.objects.values("first_name").distinct().count() == valid
        assert ImportRecord.objects.filter(job=job).count() == valid
        assert Activity.objects.filter(kind="created", detail="Import “chaos.csv”").count() == valid


def _until_mapping(org, job) -> ImportJob:
    _wait(org, job, lambda s: s["status"] == ImportJob.Status.MAPPING)
    with tenant(org):
        job.refresh_from_db()
    return job


def kill_and_restart(worker, org, job, when) -> None:
    state = _wait(org, job, when)
    worker.kill()
    assert _state(org, job)["status"] in (ImportJob.Status.VALIDATING, ImportJob.Status.RUNNING), state
    worker.start(wait=False, IMPORT_BATCH_ROWS=BATCH)  # a solo worker busy with the job answers no ping


def test_a_job_that_killed_its_worker_twice_fails_instead_of_crash_looping(celery_worker, org_a, alice):
    """The worker dies twice at the same point (here it hangs reading a file that never ends, and is
    killed): the third worker to take the job up sets it aside as failed, with a message."""
    celery_worker.stop()
    try:
        with tenant(org_a):
            job = services.job_create(
                file=ContentFile(b"First name,Last name\nAna,Lee\n"), file_name="stuck.csv", by=alice
            )
        os.remove(job.file.path)
        os.mkfifo(job.file.path)  # opening it waits for a writer that never comes
        celery_worker.start(wait=False)
        for crashes in (1, 2):
            deadline = time.monotonic() + 60
            while _crashes(org_a, job) < crashes:
                assert time.monotonic() < deadline, "no worker took the job up"
                time.sleep(0.05)
            celery_worker.kill()
            celery_worker.start(wait=False)  # on start it re-queues the jobs no live worker holds
        deadline = time.monotonic() + 60
        while (state := _state(org_a, job))["status"] != ImportJob.Status.FAILED:
            assert time.monotonic() < deadline, state
            time.sleep(0.05)
        assert "stopped the import worker twice" in state["message"]
    finally:
        celery_worker.stop()
        celery_worker.start()


def _crashes(org, job) -> int:
    with tenant(org):
        return ImportJob.objects.values_list("crashes", flat=True).get(pk=job.pk)
