"""CSV that opens cleanly in Excel and cannot carry a formula: pure functions, streamed."""

import csv
import io
from collections.abc import Iterable, Iterator

BOM = "\ufeff"
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A cell that a spreadsheet shows as text: a leading = + - @ tab or CR gets a ' first."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS_START) else text


def stream(columns: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """UTF-8 text with a BOM (Excel reads it as UTF-8), one header row, CRLF line ends;
    yields every 500 rows so memory stays flat for any number of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    chunk = BOM
    for count, row in enumerate(rows, 1):
        writer.writerow([safe_cell(cell) for cell in row])
        if count % 500 == 0:
            yield chunk + _take(buffer)
            chunk = ""
    yield chunk + _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate(0)
    return text
