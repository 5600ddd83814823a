"""Exports as CSV and XLSX. Every cell goes through `spreadsheets.cells.cell_safe`: a
text that a spreadsheet program would run as a formula is written prefixed with `'`."""

import csv
import datetime
import io
from collections.abc import Callable

from rest_framework.renderers import BaseRenderer

from .cells import cell_safe
from .selectors import ExportTable

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    return str(cell_safe(value) if isinstance(value, str) else value)


def table_csv(table: ExportTable) -> bytes:
    buffer = io.StringIO()
    # The byte-order mark makes spreadsheet programs read Cyrillic names right.
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([cell_safe(name) for name in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def table_xlsx(table: ExportTable) -> bytes:
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell(value):
        # XLSX cannot hold most control characters (openpyxl refuses them): text stored
        # before they were refused is written with U+FFFD in their place.
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        return cell_safe(value)

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Berth")
    sheet.append([cell(name) for name in table.columns])
    for row in table.rows:
        sheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _TableRenderer(BaseRenderer):
    write: Callable[[ExportTable], bytes]

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if not isinstance(data, ExportTable):  # an error: shown as text
            return str(data).encode("utf-8")
        return self.write(data)


class CsvTableRenderer(_TableRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    write = staticmethod(table_csv)


class XlsxTableRenderer(_TableRenderer):
    media_type = XLSX_MEDIA_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"
    write = staticmethod(table_xlsx)
