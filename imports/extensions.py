"""What imports add to the customers app: the roster filter "imported by" a job, and Reports → Imports."""

from django import forms
from django.db.models import Q
from django.utils import timezone

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_main_page
from customers.extend import MergeHandler, PersonData, PersonErasure, Report, RosterFilters, register
from customers.filters import ListedModelChoiceField, ListedModelChoiceFilter
from customers.merge import unless_taken
from imports import privacy
from imports.models import ImportAudit, ImportJob, ImportRecord
from imports.report import import_tables


class JobChoice(ListedModelChoiceField):
    def label_from_instance(self, job):
        return f"{job.file_name} ({timezone.localtime(job.created_at):%b %-d, %Y})"


class ImportedByFilter(ListedModelChoiceFilter):
    """Customers an import created or updated: one index range of (organization, job, customer)."""

    field_class = JobChoice

    def filter(self, queryset, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=ImportRecord.objects.filter(job=value).values("customer_id"))


def _import_filters(audience: str) -> dict:
    return {
        "imported_by": ImportedByFilter(
            label="Imported by",
            queryset=ImportJob.objects.filter(Q(created__gt=0) | Q(updated__gt=0))
            .order_by("-created_at")
            .only("file_name", "created_at"),
            empty_label="Any import",
            widget=forms.Select(attrs={"class": "form-select filter-input"}),
        )
    }


register(
    RosterFilters("imports", _import_filters, order=40, names=("imported_by",)),
    Report("imports", "Imports", "reports_imports:report", 50, import_tables, controls=("range", "every")),
)
register_audit_actions(ImportAudit)
register_main_page(Page("imports", "Imports", "imports:index", 20, "imports.run", ("imports",)))
register(
    MergeHandler(
        "imports",
        "",  # which import made or updated them: bookkeeping, not something staff weigh before a merge
        (("imports.ImportRecord", "customer"),),
        order=400,
        move=unless_taken("imports.ImportRecord", "customer", ("job",)),
    ),
    PersonData(
        "imports", "Imports", privacy.import_rows, order=60, describe="The imports that made or updated them."
    ),
    PersonErasure(
        "imports", "Imports", privacy.imports_erase, order=60, covers=("imports.ImportRecord.customer",)
    ),
)
