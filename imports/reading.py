"""Reading an uploaded file as rows of text, whatever produced it: CSV in any usual encoding and delimiter,
or an Excel workbook. Streaming, so a million rows take the memory of one. Anything unreadable raises
`ImportFileError` with a message for the person who uploaded it."""

import codecs
import csv
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings

from accounts.downloads import FORMULA_STARTS

MAX_COLUMNS = 500
WORKSHEET = re.compile(r"xl/worksheets/sheet\d+\.xml")
MAX_CELL = 100_000  # characters in one cell
GUARDED = frozenset(FORMULA_STARTS)  # what follows the `'` of an export's formula guard
SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with BOM)",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
}


class ImportFileError(ValueError):
    """The file cannot be imported; the message says why, in the uploader's words."""


def _cp1252_fallback(error: UnicodeDecodeError):
    """Bytes that are not UTF-8 in a UTF-8 file (a mixed file, pasted from elsewhere) read as Windows-1252."""
    return error.object[error.start : error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error("roster-cp1252", _cp1252_fallback)


@dataclass(frozen=True)
class FileShape:
    format: str  # csv or xlsx
    encoding: str = ""
    delimiter: str = ""


def detect(head: bytes, file_name: str) -> FileShape:
    """What the file is, from its first bytes (the name only to word an error)."""
    if not head.strip(b"\r\n\t \xef\xbb\xbf\xff\xfe\x00"):
        raise ImportFileError("The file is empty.")
    if head.startswith(b"PK\x03\x04"):
        return FileShape("xlsx")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            "Old Excel files (.xls) cannot be read: save it as .xlsx or CSV and upload that."
        )
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError(
            "This is not a valid Excel file: it may be damaged, or a different file renamed."
        )
    encoding = _encoding(head)
    text = head.decode(encoding, errors="roster-cp1252")
    if "\x00" in text or _binary_share(text) > 0.05:
        raise ImportFileError(
            "This does not look like a CSV or Excel file. Export your list as CSV and try again."
        )
    return FileShape("csv", encoding, _delimiter(text))


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head[: len(head) - 3].decode("utf-8")  # the cut may fall inside a character
    except UnicodeDecodeError as error:
        # Not UTF-8 before any UTF-8 multi-byte character: a Windows (or Latin-1) export.
        return "utf-8" if any(byte >= 0xC2 for byte in head[: error.start]) else "cp1252"
    return "utf-8"


def _binary_share(text: str) -> float:
    controls = sum(1 for char in text if ord(char) < 32 and char not in "\r\n\t")
    return controls / max(len(text), 1)


def _delimiter(text: str) -> str:
    lines = text.splitlines()[:20]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = lines[0] if lines else ""
        return max(DELIMITERS, key=header.count) if any(d in header for d in DELIMITERS) else ","


def read_shape(path: str, file_name: str) -> FileShape:
    with open(path, "rb") as file:
        return detect(file.read(SNIFF_BYTES), file_name)


def read_rows(path: str, shape: FileShape) -> Iterator[list[str]]:
    """The file's rows, the header first, each a list of stripped strings, without the `'` our own exports
    put before formula-like cells."""
    rows = _xlsx_rows(path) if shape.format == "xlsx" else _csv_rows(path, shape)
    for number, row in enumerate(rows, start=1):
        if len(row) > MAX_COLUMNS:
            raise ImportFileError(
                f"Row {number} has {len(row):,} columns; an import reads at most {MAX_COLUMNS}. "
                "Remove the empty columns at the right of the sheet."
            )
        yield [unguarded(cell) if cell[:1] == "'" else cell for cell in row]


def unguarded(cell: str) -> str:
    """A cell as it was before an export's formula guard (safe_cell): `'+1 555…` → `+1 555…`; any other
    quote is the person's own."""
    return cell[1:].strip() if cell[1:2] in GUARDED else cell


def _csv_rows(path: str, shape: FileShape) -> Iterator[list[str]]:
    csv.field_size_limit(MAX_CELL)
    with open(path, encoding=shape.encoding, errors="roster-cp1252", newline="") as file:
        reader = csv.reader(file, delimiter=shape.delimiter or ",")
        header, records, line = [], 0, 0
        try:
            for row in reader:
                records, line = records + 1, reader.line_num
                header = header or row
                yield [cell.strip() for cell in row]
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                column, open_quote = _long_cell(path, shape, line, len(header))
                raise _too_long(records + 1, header, column, open_quote=open_quote) from error
            raise ImportFileError(f"Row {reader.line_num} cannot be read as CSV ({error}).") from error
        except UnicodeError as error:
            raise ImportFileError("The file's text encoding cannot be read. Save it as CSV UTF-8.") from error


def _long_cell(path: str, shape: FileShape, after_line: int, columns: int) -> tuple[int | None, bool]:
    """Which column of the record after line `after_line` runs past MAX_CELL (the csv module does not say),
    and whether it is a quote left open: a quoted cell whose lines look like the file's rows. (None, False)
    if it cannot be found."""
    delimiter = shape.delimiter or ","
    column, length, quoted, in_quotes, at_start = 0, 0, False, False, True
    line_delimiters, row_like = 0, 0  # inside a quoted cell: its lines that split like a row of the file
    with open(path, encoding=shape.encoding, errors="roster-cp1252", newline="") as file:
        for _ in range(after_line):
            file.readline()
        while chunk := file.read(SNIFF_BYTES):
            for char in chunk:
                if at_start and char == '"':
                    quoted = in_quotes = True
                elif char == '"' and quoted:
                    in_quotes = not in_quotes  # a doubled quote inside is one quote: counted below
                    length += in_quotes
                elif not in_quotes and char == delimiter:
                    column, length, quoted = column + 1, 0, False
                elif not in_quotes and char in "\r\n":
                    return None, False
                else:
                    length += 1
                    if in_quotes and char == delimiter:
                        line_delimiters += 1
                    elif in_quotes and char == "\n":
                        row_like += columns > 1 and line_delimiters == columns - 1
                        line_delimiters = 0
                at_start = not in_quotes and char == delimiter
                if length > MAX_CELL:
                    return column, quoted and row_like >= 2
    return None, False


def _too_long(row: int, header: list[str], column: int | None, *, open_quote: bool) -> ImportFileError:
    if column is None:
        return ImportFileError(f"Row {row} has a cell longer than {MAX_CELL:,} characters.")
    name = header[column].strip() if row > 1 and column < len(header) else ""
    where = f"Row {row}, column “{name or f'Column {column + 1}'}”,"
    if open_quote:
        return ImportFileError(
            f"{where} has a cell longer than {MAX_CELL:,} characters: it opens with a quote that does not "
            "close, so the rows after it were read into it. Add the closing quote, or remove the opening one."
        )
    return ImportFileError(
        f"{where} has a cell longer than {MAX_CELL:,} characters; no customer field is that long. "
        "Shorten it, or leave that column out of the file."
    )


def _xlsx_rows(path: str) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    _refuse_zip_bomb(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds (KeyError, BadZipFile, XML errors) for bad files
        raise ImportFileError(
            "This Excel file cannot be opened: it may be damaged, password-protected or not a workbook."
        ) from error
    try:
        sheet = workbook.worksheets[0]
        header = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            row = [_cell_text(value) for value in values]
            if max(map(len, row), default=0) > MAX_CELL:
                long_cell = next(index for index, text in enumerate(row) if len(text) > MAX_CELL)
                raise _too_long(number, header, long_cell, open_quote=False)
            header = header or row
            yield row
    except ImportFileError:
        raise
    except Exception as error:
        raise ImportFileError(
            "This Excel file is damaged part-way through: save it again and re-upload."
        ) from error
    finally:
        workbook.close()


def _refuse_zip_bomb(path: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            strings = _shared_strings_parts(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise ImportFileError(
            "This is not a valid Excel file: it may be damaged or a different file renamed."
        ) from error
    unpacked = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members) or 1
    # Sheets are streamed; every other part (shared strings above all) is loaded whole, so each is bounded.
    sheets = {member.filename for member in members if WORKSHEET.fullmatch(member.filename)} - strings
    loaded_whole = [member.file_size for member in members if member.filename not in sheets]
    too_big = unpacked > settings.IMPORT_MAX_UNPACKED_BYTES or unpacked / packed > 200
    if too_big or max(loaded_whole, default=0) > settings.IMPORT_MAX_XLSX_PART_BYTES:
        raise ImportFileError(
            "This Excel file unpacks to far more data than a customer list holds, so it was not opened. "
            "Export the sheet as CSV and upload that."
        )


def _shared_strings_parts(archive: zipfile.ZipFile) -> set[str]:
    """Where the workbook keeps its shared strings, found as openpyxl finds them (whatever their name)."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
    from openpyxl.xml.functions import fromstring

    try:
        if archive.getinfo(ARC_CONTENT_TYPES).file_size > settings.IMPORT_MAX_XLSX_PART_BYTES:
            return set()  # refused by its own size
        manifest = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
    except Exception:  # no or a broken manifest: openpyxl refuses the file itself, with our message
        return set()
    return {part.PartName.lstrip("/") for part in manifest.findall(SHARED_STRINGS)}


def _cell_text(value) -> str:
    match value:
        case None:
            return ""
        case datetime() if value.time() == time(0):
            return value.date().isoformat()
        case datetime() | date():
            return value.isoformat()
        case bool():
            return "yes" if value else "no"
        case float() if value.is_integer():
            return str(int(value))
    return str(value).strip()


def encoding_label(encoding: str) -> str:
    return ENCODING_NAMES.get(encoding, encoding)
