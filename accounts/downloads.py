"""What every file people download from Roster shares (roster and report exports, error files, the audit
log): cells a spreadsheet will not run as formulas, CSV lines written as they stream, and small tables as
XLSX workbooks."""

import csv
import io
from decimal import Decimal

import xlsxwriter
from django.http import HttpResponse, StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Text a spreadsheet will not run as a formula; a number (-82.00 included) stays a number."""
    text = "" if value is None else str(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return text
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class Echo:
    """A file that hands back what is written: `csv.writer(Echo()).writerow(row)` is the line, to stream."""

    def write(self, value):
        return value


def csv_lines(header: list[str], rows) -> list[str]:
    """A small table as CSV lines, formula cells neutralized, with a BOM so Excel reads UTF-8."""
    writer = csv.writer(Echo())
    lines = ["\ufeff" + writer.writerow(header)]
    return lines + [writer.writerow([safe_cell(cell) for cell in row]) for row in rows]


def csv_response(filename: str, lines) -> StreamingHttpResponse:
    """CSV lines (a list, or a generator that streams them) as a download."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def table_response(filename: str, header: list[str], rows: list[list], *, file_format: str) -> HttpResponse:
    """A small table (a report's) as a download: CSV, or XLSX whose text cells stay text, never formulas.
    `filename` has no extension."""
    if file_format != "xlsx":
        return csv_response(f"{filename}.csv", csv_lines(header, rows))
    return workbook_response(filename, [("Sheet1", header, rows)])


def workbook_response(filename: str, sheets: list[tuple[str, list[str], list[list]]]) -> HttpResponse:
    """Small tables as one XLSX download, a sheet each (name, header, rows); text stays text, no formula."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    bold = workbook.add_format({"bold": True})
    for name, header, rows in sheets:
        sheet = workbook.add_worksheet(name)
        sheet.write_row(0, 0, header, bold)
        for number, row in enumerate(rows, start=1):
            sheet.write_row(number, 0, [float(cell) if isinstance(cell, Decimal) else cell for cell in row])
    workbook.close()
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
