"""CSV and XLSX exports of the roster, streamed, with spreadsheet formula injection neutralized."""

import csv
import itertools
import os
import tempfile

import xlsxwriter
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.downloads import Echo, safe_cell
from accounts.tenancy import tenant
from customers.extend import ExportColumn, registered
from customers.fields import customer_fields, load_custom_data
from customers.models import CustomerAudit

CHUNK = 2000


def _header(fields) -> list[str]:
    extra = [safe_cell(column.header) for column in registered(ExportColumn)]
    return (
        [safe_cell(field.label) for field in fields]
        + extra
        + ["Source", "Created", "Archived", "Do not solicit"]
    )


def _row(fields, customer) -> list[str]:
    local = timezone.localtime
    extra = [safe_cell(values.get(customer.pk, "")) for values in customer.export_extra]
    return (
        [safe_cell(field.display(customer)) for field in fields]
        + extra
        + [
            customer.get_source_display(),
            local(customer.created_at).strftime("%Y-%m-%d %H:%M"),
            local(customer.archived_at).strftime("%Y-%m-%d %H:%M") if customer.archived_at else "",
            "Yes" if customer.do_not_solicit else "No",
        ]
    )


def _customers(queryset, membership):
    """The customers with their custom field values and extra columns, read a chunk at a time."""
    for chunk in itertools.batched(queryset.iterator(chunk_size=CHUNK), CHUNK):
        load_custom_data(chunk)
        ids = [customer.pk for customer in chunk]
        extra = [column.values(ids, membership) for column in registered(ExportColumn)]
        for customer in chunk:
            customer.export_extra = extra
        yield from chunk


def _csv_lines(organization, queryset, membership):
    # Runs while the response streams, after the request's tenant transaction has ended: enter it again.
    writer = csv.writer(Echo())
    with tenant(organization), timezone.override(organization.time_zone):
        fields = customer_fields(membership.role)
        yield "\ufeff" + writer.writerow(_header(fields))  # BOM: Excel opens UTF-8 correctly
        for customer in _customers(queryset, membership):
            yield writer.writerow(_row(fields, customer))


def export_response(organization, queryset, file_format: str, *, membership, leave_out_do_not_solicit: bool):
    """The roster as a file, with one column per field this staff member's role may see, without the customers
    marked Do not solicit when asked. The download is recorded in the audit trail (in the request's
    transaction, before the file streams)."""
    if file_format not in ("csv", "xlsx"):
        raise Http404("Unknown export format.")
    if leave_out_do_not_solicit:
        queryset = queryset.filter(do_not_solicit=False)
    stamp = timezone.localdate().isoformat()
    filename = f"{organization.slug}-customers-{stamp}.{file_format}"
    rows = queryset.count()
    # The exception is what an auditor looks for: people who asked not to be solicited, exported anyway.
    included = "" if leave_out_do_not_solicit else ", Do not solicit included"
    audit_record(
        action=CustomerAudit.EXPORT_DOWNLOADED,
        by=membership.user,
        target=filename,
        detail=f"{rows:,} customer{'s' if rows != 1 else ''}, {file_format.upper()}{included}",
    )
    if file_format == "csv":
        response = StreamingHttpResponse(
            _csv_lines(organization, queryset, membership), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet("Customers")
    fields = customer_fields(membership.role)
    sheet.write_row(0, 0, _header(fields), workbook.add_format({"bold": True}))
    for number, customer in enumerate(_customers(queryset, membership), start=1):
        sheet.write_row(number, 0, _row(fields, customer))
    workbook.close()
    stream = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    os.unlink(path)  # the open handle keeps the data until the response is sent
    return FileResponse(stream, as_attachment=True, filename=filename)
