"""Meta-tests of where code goes, so the rules hold as apps are added: views write through services, and
every public service is one keyword-only, atomic use case (reads and helpers live in selectors or small
modules)."""

import ast
from pathlib import Path

from tests.conftest import BASE_DIR

APPS = [
    "accounts",
    "customers",
    "families",
    "notes",
    "tags",
    "metrics",
    "imports",
    "portal",
    "intake",
    "billing",
    "invites",
    "waivers",
    "bookings",
    "api",
    "webhooks",
    "privacy",
]
WRITES = {
    "save",
    "delete",
    "create",
    "update",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
    "activity_record",
    "activities_record",
    "audit_record",
}
# Services that commit as they go, each for its reason; every other public service is one transaction.
COMMIT_AS_THEY_GO = {
    "customers.services.bulk_operation_run": "a batch per transaction, so progress shows and a retry resumes",
    "customers.duplicate_services.duplicates_scan_run": "each step commits, so the page shows its progress",
    "imports.work_services.job_work": "a batch per transaction with its checkpoint",
    "imports.work_services.jobs_resume": "only queues the jobs a worker should pick up again",
    "invites.claim_services.invites_send": "each invitation commits on its own, so one bounce stops no other",
    "reports.services.scheduled_report_run": "the slot is claimed and committed before the emails go out",
    "reports.services.scheduled_reports_due": "only queues the runs that are due",
    "webhooks.services.delivery_try": "the receiver is waited for (up to 10 s) outside any transaction",
    "webhooks.services.deliveries_prune": "an organization per transaction",
    "webhooks.services.deliveries_due": "only queues the deliveries that are due, an organization each",
    "privacy.services.export_build": "a part per transaction, so progress shows",
}


def modules(pattern: str) -> list[Path]:
    return sorted(path for app in APPS for path in (BASE_DIR / app).glob(pattern))


def called_name(call: ast.Call) -> str | None:
    function = call.func
    return function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)


def view_writes(source: str) -> list[str]:
    """The write calls in a module of views; building an unsaved instance (`form.save(commit=False)`) is
    not one."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and called_name(node) in WRITES:
            unsaved = any(
                keyword.arg == "commit" and getattr(keyword.value, "value", True) is False
                for keyword in node.keywords
            )
            if not unsaved:
                found.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
    return found


def loose_services(module: str, source: str) -> list[str]:
    """Public functions of a services module that are not keyword-only and atomic."""
    found = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
            continue
        atomic = any("transaction.atomic" in ast.unparse(decorator) for decorator in node.decorator_list)
        if node.args.args:
            found.append(f"{module}.{node.name} takes positional arguments")
        if not atomic and f"{module}.{node.name}" not in COMMIT_AS_THEY_GO:
            found.append(f"{module}.{node.name} is not @transaction.atomic")
    return found


def test_views_write_nothing_themselves():
    offenders = {
        str(path.relative_to(BASE_DIR)): writes
        for path in [*modules("*views.py"), BASE_DIR / "api" / "api.py"]
        if (writes := view_writes(path.read_text()))
    }
    assert offenders == {}


def test_every_public_service_is_one_keyword_only_transaction():
    found = []
    for path in modules("*services.py"):
        module = ".".join(path.relative_to(BASE_DIR).with_suffix("").parts)
        found += loose_services(module, path.read_text())
    assert found == []


def test_the_checks_catch_what_they_are_for():
    view = "def edit(request):\n    form.save()\n    form.save(commit=False)\n    note.delete()\n"
    assert [line.split(":")[0] for line in view_writes(view)] == ["line 2", "line 4"]
    services = (
        "@transaction.atomic\ndef ok(*, a): ...\n"
        "def reads(a): ...\n"
        "@transaction.atomic\ndef positional(a, *, b): ...\n"
        "def _private(a): ...\n"
    )
    assert loose_services("x.services", services) == [
        "x.services.reads takes positional arguments",
        "x.services.reads is not @transaction.atomic",
        "x.services.positional takes positional arguments",
    ]
