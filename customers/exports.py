"""CSV and XLSX exports of the roster, streamed, with spreadsheet formula injection neutralized."""

import csv
import os
import tempfile

import xlsxwriter
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone

from accounts.tenancy import tenant
from customers.fields import customer_fields

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000


def safe_cell(value) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _header() -> list[str]:
    return [field.label for field in customer_fields()] + ["Source", "Created", "Archived"]


def _row(customer) -> list[str]:
    local = timezone.localtime
    return [safe_cell(field.display(customer)) for field in customer_fields()] + [
        customer.get_source_display(),
        local(customer.created_at).strftime("%Y-%m-%d %H:%M"),
        local(customer.archived_at).strftime("%Y-%m-%d %H:%M") if customer.archived_at else "",
    ]


class _Echo:
    def write(self, value):
        return value


def _csv_lines(organization, queryset):
    # Runs while the response streams, after the request's tenant transaction has ended: enter it again.
    writer = csv.writer(_Echo())
    with tenant(organization), timezone.override(organization.time_zone):
        yield "\ufeff" + writer.writerow(_header())  # BOM: Excel opens UTF-8 correctly
        for customer in queryset.iterator(chunk_size=CHUNK):
            yield writer.writerow(_row(customer))


def export_response(organization, queryset, file_format: str):
    stamp = timezone.localdate().isoformat()
    filename = f"{organization.slug}-customers-{stamp}.{file_format}"
    if file_format == "csv":
        response = StreamingHttpResponse(
            _csv_lines(organization, queryset), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    if file_format == "xlsx":
        handle, path = tempfile.mkstemp(suffix=".xlsx")
        os.close(handle)
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False})
        sheet = workbook.add_worksheet("Customers")
        sheet.write_row(0, 0, _header(), workbook.add_format({"bold": True}))
        for number, customer in enumerate(queryset.iterator(chunk_size=CHUNK), start=1):
            sheet.write_row(number, 0, _row(customer))
        workbook.close()
        stream = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
        os.unlink(path)  # the open handle keeps the data until the response is sent
        return FileResponse(stream, as_attachment=True, filename=filename)
    raise Http404("Unknown export format.")
