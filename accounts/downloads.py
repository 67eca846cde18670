"""What every file people download from Roster shares (roster and report exports, error files, the audit
log): cells a spreadsheet will not run as formulas, and CSV lines written as they stream."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class Echo:
    """A file that hands back what is written: `csv.writer(Echo()).writerow(row)` is the line, to stream."""

    def write(self, value):
        return value
