"""Scheduled reports: a report emailed as CSV to chosen staff weekly or monthly at an hour of the
organization's time zone, by the beat through the worker, once per slot; the Scheduled list and its form."""

import csv
import io
import time
from datetime import UTC, date, datetime, timedelta
from email.header import decode_header, make_header
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, Membership, Role
from accounts.services import membership_change_role, membership_remove
from accounts.tenancy import tenant
from customers.models import Customer, Segment
from reports import services
from reports.models import ScheduledReport
from reports.timing import next_run
from tests.conftest import make_member
from tests.factories import customer

ZONE = ZoneInfo("America/Chicago")  # the test organizations' time zone
LIST = "/app/alpha/reports/scheduled/"


def member(org, user) -> Membership:
    with tenant(org):
        return Membership.objects.get(user=user)


def schedule_for(org, by, recipients, *, report_key="customers", query=None, **when) -> ScheduledReport:
    when = {"frequency": "weekly", "weekday": 0, "day_of_month": None, "hour": 7} | when
    with tenant(org):
        return services.scheduled_report_create(
            report_key=report_key,
            query=query or {"range": "last_week", "every": "week"},
            recipients=[member(org, user) for user in recipients],
            by=by,
            **when,
        )


def make_due(org, schedule: ScheduledReport) -> None:
    with tenant(org):
        ScheduledReport.objects.filter(pk=schedule.pk).update(
            next_run_at=timezone.now() - timedelta(minutes=1)
        )


def last_week() -> tuple[date, date]:
    today = datetime.now(ZONE).date()
    monday = today - timedelta(days=today.weekday() + 7)
    return monday, monday + timedelta(days=6)


def attachments(message) -> dict[str, list[list[str]]]:
    """Each attached CSV file of an email, parsed."""
    return {
        part.get_filename(): list(csv.reader(io.StringIO(part.get_payload(decode=True).decode("utf-8-sig"))))
        for part in message.walk()
        if part.get_filename()
    }


def text_of(message) -> str:
    part = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


# ------------------------------------------------------------------------------------------------ timing


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_weekly_nine_o_clock_stays_nine_across_the_dst_changes_in_chicago():
    weekly = {"frequency": "weekly", "weekday": 0, "day_of_month": None, "hour": 9, "zone": "America/Chicago"}
    # Monday March 2, 2026 9:00 CST is 15:00 UTC; after March 8 (clocks forward) 9:00 CDT is 14:00 UTC.
    assert next_run(**weekly, after=utc("2026-03-02 14:59")) == utc("2026-03-02 15:00")
    assert next_run(**weekly, after=utc("2026-03-02 15:00")) == utc("2026-03-09 14:00")
    # Back on November 1: 9:00 CST again is 15:00 UTC.
    assert next_run(**weekly, after=utc("2026-10-26 14:00")) == utc("2026-11-02 15:00")
    # 2:00 on the spring-forward night does not exist: it runs at 3:00 CDT, never skipped.
    sunday_two = weekly | {"weekday": 6, "hour": 2}
    assert next_run(**sunday_two, after=utc("2026-03-02 00:00")) == utc("2026-03-08 08:00")


def test_monthly_on_day_28_runs_every_month_february_included():
    monthly = {
        "frequency": "monthly",
        "weekday": None,
        "day_of_month": 28,
        "hour": 7,
        "zone": "America/Chicago",
    }
    assert next_run(**monthly, after=utc("2026-01-28 13:00")) == utc("2026-02-28 13:00")
    assert next_run(**monthly, after=utc("2026-02-28 13:00")) == utc("2026-03-28 12:00")  # CDT by then
    assert next_run(**monthly, after=utc("2026-12-29 00:00")) == utc("2027-01-28 13:00")


# ------------------------------------------------------------------------------------ through the worker


def wait_until_sent(org, schedule: ScheduledReport, after=None) -> ScheduledReport:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with tenant(org):
            schedule.refresh_from_db()
        if schedule.last_sent_at and (after is None or schedule.last_sent_at > after):
            return schedule
        time.sleep(0.2)
    raise AssertionError("The run never recorded its sending")


@pytest.mark.django_db(transaction=True)
def test_the_beat_emails_each_recipient_once_with_a_csv_per_table_and_skips_who_may_not_read(
    celery_worker, smtp_server, alice, alice_client, org_a, org_b, bob
):
    dana = make_member(org_a, Role.ADMIN, "dana-beat@alpha.example", first_name="Dana", last_name="Diaz")
    eli = make_member(org_a, Role.ADMIN, "eli-beat@alpha.example")
    fay = make_member(org_a, Role.ADMIN, "fay-beat@alpha.example")
    monday, sunday = last_week()
    with tenant(org_a):
        for name in ("Ann", "Ben"):
            someone = customer(by=alice, first_name=name)
            joined = datetime.combine(monday + timedelta(days=2), datetime.min.time(), ZONE) + timedelta(
                hours=12
            )
            Customer.objects.filter(pk=someone.pk).update(created_at=joined)
        customer(by=alice, first_name="Today")  # this week: outside last week
    with tenant(org_b):
        customer(by=bob, first_name="Beta")
    schedule = schedule_for(org_a, alice, [dana, eli, fay])
    theirs = schedule_for(org_b, bob, [bob])
    with tenant(org_a):
        membership_remove(membership=member(org_a, eli), by=alice)
        membership_change_role(membership=member(org_a, fay), role=Role.STAFF, by=alice)
    make_due(org_a, schedule)

    assert services.scheduled_reports_due() == 1  # Beta's is not due
    message = smtp_server.wait_for("dana-beat@alpha.example")
    period = f"{monday:%b} {monday.day}, {monday.year} – {sunday:%b} {sunday.day}, {sunday.year}"
    assert str(make_header(decode_header(message["Subject"]))) == f"Customers — {period}"
    files = attachments(message)
    assert len(files) == 7  # every table of the Customers report
    growth = files[f"alpha-customers-{monday}-{sunday}-new-customers-by-source.csv"]
    assert growth[0][0] == "Week of" and growth[0][-1] == "Total"
    assert [row[-1] for row in growth[1:]] == ["2"]  # Ann and Ben; not Today, not Beta's
    body = text_of(message)
    assert period in body
    assert f"/app/alpha/reports/customers/?range=custom&every=week&start={monday}&end={sunday}" in body

    schedule = wait_until_sent(org_a, schedule)
    assert schedule.next_run_at > timezone.now() and schedule.last_error == ""
    assert "eli-beat@alpha.example left the organization" in schedule.last_skipped
    assert "fay-beat@alpha.example may no longer read reports" in schedule.last_skipped
    addressed = [message["To"] for message in smtp_server.messages]
    assert addressed.count("dana-beat@alpha.example") == 1
    assert not any(("eli-beat" in to or "fay-beat" in to) for to in addressed)
    page = alice_client.get(LIST).content.decode()
    assert "eli-beat@alpha.example: left, skipped" in page and "may no longer read reports" in page

    sent = schedule.last_sent_at
    assert alice_client.post(f"{LIST}{schedule.pk}/send/").status_code == 302
    wait_until_sent(org_a, schedule, after=sent)
    assert [message["To"] for message in smtp_server.messages].count("dana-beat@alpha.example") == 2
    with tenant(org_b):
        theirs.refresh_from_db()
    assert theirs.last_sent_at is None


# ------------------------------------------------------------------------------------------- in process


def test_a_due_schedule_run_twice_sends_once(org_a, alice, mailoutbox):
    dana = make_member(org_a, Role.ADMIN, "dana-twice@alpha.example")
    schedule = schedule_for(org_a, alice, [alice, dana])
    make_due(org_a, schedule)
    assert services.scheduled_report_run(organization=org_a, schedule_id=schedule.pk) == 2
    assert (
        services.scheduled_report_run(organization=org_a, schedule_id=schedule.pk) == 0
    )  # a retry, a 2nd beat
    assert sorted(message.to[0] for message in mailoutbox) == [
        "alice@alpha.example",
        "dana-twice@alpha.example",
    ]
    with tenant(org_a):
        schedule.refresh_from_db()
    assert schedule.next_run_at > timezone.now()
    assert (
        schedule.next_run_at.astimezone(ZONE).hour == 7
        and schedule.next_run_at.astimezone(ZONE).weekday() == 0
    )


def test_a_schedule_whose_creator_left_pauses_and_says_why(alice_client, org_a, alice, mailoutbox):
    dana = make_member(org_a, Role.ADMIN, "dana-left@alpha.example")
    schedule = schedule_for(org_a, dana, [alice])
    with tenant(org_a):
        membership_remove(membership=member(org_a, dana), by=alice)
    make_due(org_a, schedule)
    assert services.scheduled_report_run(organization=org_a, schedule_id=schedule.pk) == 0
    assert mailoutbox == []
    with tenant(org_a):
        schedule.refresh_from_db()
    assert not schedule.active
    page = alice_client.get(LIST).content.decode()
    assert "Paused" in page and "the staff member who scheduled it left the organization" in page
    assert "Resume" in page


def test_a_deleted_segment_pauses_the_schedule_rather_than_emailing_everyone(org_a, alice, mailoutbox):
    with tenant(org_a):
        segment = Segment.objects.create(name="VIPs", query="q=vip", owner=alice)
    schedule = schedule_for(
        org_a, alice, [alice], query={"range": "last_week", "every": "week", "segment": str(segment.pk)}
    )
    with tenant(org_a):
        segment.delete()
    make_due(org_a, schedule)
    assert services.scheduled_report_run(organization=org_a, schedule_id=schedule.pk) == 0
    with tenant(org_a):
        schedule.refresh_from_db()
    assert not schedule.active and "saved settings no longer work" in schedule.paused_reason
    assert mailoutbox == []


# ------------------------------------------------------------------------------------------------ pages


def test_email_this_report_opens_the_form_with_the_report_s_controls(alice_client, org_a, alice):
    report = alice_client.get("/app/alpha/reports/customers/?range=last_month&every=week").content.decode()
    assert "Email this report…" in report
    assert "/app/alpha/reports/scheduled/new/?report=customers&amp;range=last_month&amp;every=week" in report
    form = alice_client.get("/app/alpha/reports/scheduled/new/?report=customers&range=last_month&every=week")
    page = form.content.decode()
    assert form.status_code == 200
    assert '<option value="last_month" selected>' in page and '<option value="custom"' not in page
    assert "Alice Anders (alice@alpha.example)" in page  # recipients by name and email
    assert "In America/Chicago" in page


def test_admin_schedules_the_customer_report_monthly_and_sees_it_listed(alice_client, org_a, alice):
    dana = make_member(org_a, Role.ADMIN, "dana-form@alpha.example", first_name="Dana")
    data = {
        "report": "customers",
        "range": "last_month",
        "every": "month",
        "segment": "",
        "frequency": "monthly",
        "weekday": "0",
        "day_of_month": "28",
        "hour": "6",
        "recipients": [member(org_a, dana).pk, member(org_a, alice).pk],
    }
    response = alice_client.post("/app/alpha/reports/scheduled/new/?report=customers", data)
    assert response.status_code == 302
    with tenant(org_a):
        schedule = ScheduledReport.objects.get()
        audit = AuditEvent.objects.get(action="report_schedule.created")
    assert schedule.query == {"range": "last_month", "every": "month"}
    assert (schedule.frequency, schedule.day_of_month, schedule.weekday, schedule.hour) == (
        "monthly",
        28,
        None,
        6,
    )
    local = schedule.next_run_at.astimezone(ZONE)
    assert (local.day, local.hour) == (28, 6)
    assert "dana-form@alpha.example" in audit.detail
    page = alice_client.get(LIST).content.decode()
    assert "On day 28 of each month at 06:00" in page and "Last month" in page and "Dana" in page


@pytest.mark.parametrize(
    ("change", "field_error"),
    [
        ({"recipients": []}, "This field is required."),
        ({"day_of_month": "29", "frequency": "monthly"}, "Select a valid choice."),
        ({"range": "custom"}, "Select a valid choice."),
        ({"hour": "24"}, "Select a valid choice."),
    ],
)
def test_bad_inputs_are_refused_beside_the_field_and_nothing_is_saved(
    alice_client, org_a, alice, change, field_error
):
    data = {"range": "last_week", "every": "week", "frequency": "weekly", "weekday": "0", "day_of_month": "1"}
    data |= {"hour": "7", "recipients": [member(org_a, alice).pk]} | change
    response = alice_client.post("/app/alpha/reports/scheduled/new/?report=customers", data)
    assert response.status_code == 422 and field_error in response.content.decode()
    with tenant(org_a):
        assert not ScheduledReport.objects.exists()


def test_another_organization_s_segment_member_and_unknown_reports_are_refused(
    alice_client, org_a, org_b, alice, bob
):
    with tenant(org_b):
        their_segment = Segment.objects.create(name="Beta VIPs", query="q=x", shared=True, owner=bob)
    data = {"range": "last_week", "every": "week", "frequency": "weekly", "weekday": "0", "hour": "7"}
    url = "/app/alpha/reports/scheduled/new/?report=customers"
    response = alice_client.post(
        url, data | {"segment": their_segment.pk, "recipients": [member(org_b, bob).pk]}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert page.count("Select a valid choice") == 2
    assert alice_client.get("/app/alpha/reports/scheduled/new/?report=nope").status_code == 404
    with tenant(org_a):
        assert not ScheduledReport.objects.exists()


def test_pause_resume_edit_and_delete_are_audited(alice_client, org_a, alice):
    schedule = schedule_for(org_a, alice, [alice])
    assert alice_client.post(f"{LIST}{schedule.pk}/pause/").status_code == 302
    with tenant(org_a):
        schedule.refresh_from_db()
    assert not schedule.active and schedule.paused_reason == "Paused by hand."
    alice_client.post(f"{LIST}{schedule.pk}/pause/")
    with tenant(org_a):
        schedule.refresh_from_db()
    assert schedule.active and schedule.next_run_at > timezone.now()
    edit = {"range": "last_30_days", "every": "week", "frequency": "weekly", "weekday": "4", "hour": "17"}
    response = alice_client.post(f"{LIST}{schedule.pk}/", edit | {"recipients": [member(org_a, alice).pk]})
    assert response.status_code == 302
    with tenant(org_a):
        schedule.refresh_from_db()
    local = schedule.next_run_at.astimezone(ZONE)
    assert (local.weekday(), local.hour, schedule.query["range"]) == (4, 17, "last_30_days")
    assert "Delete scheduled report" in alice_client.get(f"{LIST}{schedule.pk}/delete/").content.decode()
    assert alice_client.post(f"{LIST}{schedule.pk}/delete/").status_code == 302
    with tenant(org_a):
        assert not ScheduledReport.objects.exists()
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {f"report_schedule.{action}" for action in ("paused", "resumed", "changed", "deleted")} <= actions


def test_staff_without_reports_view_cannot_see_or_change_schedules(carol_client, org_a, alice):
    schedule = schedule_for(org_a, alice, [alice])
    assert carol_client.get(LIST).status_code == 403
    assert carol_client.get(f"{LIST}new/?report=customers").status_code == 403
    assert carol_client.get(f"{LIST}{schedule.pk}/").status_code == 403
    for action in ("pause/", "send/", "delete/"):
        assert carol_client.post(f"{LIST}{schedule.pk}/{action}").status_code == 403
    with tenant(org_a):
        assert ScheduledReport.objects.get().active


def test_another_organization_s_schedules_are_404(alice, bob_client, org_a, org_b, bob):
    schedule = schedule_for(org_a, alice, [alice])
    assert bob_client.get(LIST).status_code == 404
    theirs = f"/app/beta/reports/scheduled/{schedule.pk}/"
    assert bob_client.get(theirs).status_code == 404
    for action in ("pause/", "send/", "delete/"):
        assert bob_client.post(theirs + action).status_code == 404
    assert "No scheduled reports yet" in bob_client.get("/app/beta/reports/scheduled/").content.decode()
    with tenant(org_a):
        assert ScheduledReport.objects.get().active
