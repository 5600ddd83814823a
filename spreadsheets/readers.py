"""Reading an uploaded spreadsheet (CSV or XLSX) into rows of text, refusing a file that
cannot be trusted as a whole before any row is looked at: a wrong type, too big, a broken
workbook, unknown or missing columns, formulas, control characters. Each refusal is a
`FileRefused` with a sentence for the person who sent it (the API's 400).

XLSX is read by openpyxl (its XML through defusedxml), CSV by the standard library's
reader; nothing here is a hand-written parser."""

import codecs
import csv
import datetime
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from config.text import TEXT_ALLOWED, has_control_characters

from .cells import FORMULA_START

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
XLSX_MAGIC = b"PK\x03\x04"
# What a cell may start with to be taken for a formula in an uploaded file.
FORMULA_PREFIX = "="
# An XLSX is a zip: its parts unpacked may be at most this many times the file's size
# (a real workbook is 5 to 20 times smaller zipped), so that a small zip bomb is refused
# before openpyxl opens it.
UNZIPPED_RATIO = 100


def _damaged() -> "FileRefused":
    return FileRefused(_("The XLSX file is damaged and cannot be read."), "invalid_file")


class FileRefused(Exception):
    """A file refused as a whole (answered 400, nothing written)."""

    def __init__(self, message: str, code: str = "invalid_file") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    # Line breaks allowed in its text (notes); elsewhere a line break is a row error.
    multiline: bool = False
    # A column of an export that an import does not take (a party's status, its shelter):
    # accepted in the header, so that an exported file reads back, and its cells not read.
    skipped: bool = False


@dataclass
class Row:
    line: int  # the row's number as a spreadsheet program shows it; 1 is the header
    cells: dict[str, str]


@dataclass
class Table:
    file_format: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)


def file_format(file_name: str, content: bytes) -> str:
    """CSV or XLSX, by the name's ending and the bytes (an XLSX is a zip)."""
    ending = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if ending == XLSX and content.startswith(XLSX_MAGIC):
        return XLSX
    if ending == CSV and not content.startswith(XLSX_MAGIC):
        return CSV
    if ending in FORMATS:
        raise FileRefused(
            _("The file is not a real %(format)s file.") % {"format": ending.upper()},
            "invalid_file",
        )
    raise FileRefused(_("Send a CSV or XLSX file."), "unsupported_file_type")


def _text(value) -> str:
    """A cell's value as text: whole numbers without `.0`, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | Decimal) and value == int(value):
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _header_name(value: str) -> str:
    return "_".join(value.strip().lower().replace("-", " ").split())


def _not_utf8() -> "FileRefused":
    return FileRefused(
        _('The CSV file is not in UTF-8: save it as "CSV UTF-8".'), "invalid_encoding"
    )


# What "Unicode text" saves begin with in UTF-32 and UTF-16 (UTF-32's first: it starts
# with UTF-16's little-endian mark).
OTHER_UNICODE_MARKS = (
    codecs.BOM_UTF32_LE,
    codecs.BOM_UTF32_BE,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
)


def _kept(rows: Iterable[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """The rows with their numbers (1 is the header), the header always, other rows only
    when a cell holds something: empty rows (formatted ones of a workbook, blank lines)
    count towards nothing."""
    for line, values in enumerate(rows, start=1):
        if line == 1 or any(value.strip() for value in values):
            yield line, values


def _limited(rows: Iterator[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """The rows, stopping one past the most a file may have (refused then)."""
    kept: list[tuple[int, list[str]]] = []
    for row in rows:
        kept.append(row)
        if len(kept) > settings.SPREADSHEET_MAX_ROWS + 1:
            break
    return kept


def _csv_rows(content: bytes) -> list[tuple[int, list[str]]]:
    if content.startswith(OTHER_UNICODE_MARKS):
        raise _not_utf8()  # UTF-16 or UTF-32 ("Unicode text")
    if b"\x00" in content:
        raise FileRefused(_("The file is not a text CSV file."), "invalid_file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_utf8() from None
    first_line = text.split("\n", 1)[0]
    # Spreadsheet programs in Russian and Kazakh save CSV with semicolons.
    delimiter = max(",;\t", key=first_line.count)
    try:
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return _limited(_kept(list(row) for row in rows))
    except csv.Error:
        raise FileRefused(_("The CSV file cannot be read."), "invalid_file") from None


# The most rows a worksheet can have (Excel's): a sheet that says it has more is damaged.
XLSX_MAX_SHEET_ROWS = 1_048_576


def _xlsx_rows(content: bytes) -> list[tuple[int, list[str]]]:
    import openpyxl  # imported here: only XLSX uploads and exports need it
    from openpyxl.utils import get_column_letter

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FileRefused(
            _("The XLSX file is damaged and cannot be read."), "invalid_file"
        ) from None
    if unzipped > UNZIPPED_RATIO * max(len(content), 1024 * 1024):
        raise _damaged()
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - any failure of a broken workbook is the same refusal
        raise FileRefused(
            _("The XLSX file is damaged and cannot be read."), "invalid_file"
        ) from None

    def values(sheet):
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            if number > XLSX_MAX_SHEET_ROWS:
                raise _damaged()
            row = []
            for position, cell in enumerate(cells, start=1):
                if getattr(cell, "data_type", None) == "f":
                    raise FileRefused(
                        _("Cell %(cell)s holds a formula: paste values only.")
                        % {"cell": f"{get_column_letter(position)}{number}"},
                        "formula",
                    )
                row.append(_text(cell.value))
            yield row

    rows: list[tuple[int, list[str]]] = []
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return rows
        rows = _limited(_kept(values(sheet)))
    except FileRefused:
        raise
    except Exception:  # noqa: BLE001 - a sheet broken halfway is the same refusal
        raise FileRefused(
            _("The XLSX file is damaged and cannot be read."), "invalid_file"
        ) from None
    finally:
        workbook.close()
    return rows


def _unguarded(value: str) -> str:
    """A cell as it was before an export guarded it (`spreadsheets.cells.cell_safe`: a
    `'` before a text a spreadsheet would run, such as a phone `+7 …`); a formula stays
    one, and is refused below."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def table_read(*, file_name: str, content: bytes, columns: Sequence[Column]) -> Table:
    """The file's first sheet as rows of text by column name, or FileRefused.

    The first row names the columns (case, spaces and dashes do not matter); every
    required column must be there and no unknown one. Empty rows are skipped, keeping
    the numbers of the others, and not counted towards SPREADSHEET_MAX_ROWS. A cell with
    a formula, or with control characters (line breaks only in columns that allow them),
    refuses the file."""
    if len(content) > settings.SPREADSHEET_MAX_BYTES:
        raise FileRefused(
            _("The file is too big: at most %(size)s MB.")
            % {"size": settings.SPREADSHEET_MAX_BYTES // (1024 * 1024)},
            "file_too_large",
        )
    if not content:
        raise FileRefused(_("The file is empty."), "empty_file")
    kind = file_format(file_name, content)
    raw = _csv_rows(content) if kind == CSV else _xlsx_rows(content)
    if raw and not any(cell.strip() for cell in raw[0][1]):
        raise FileRefused(_("The first row must name the columns."), "invalid_header")
    if not raw:
        raise FileRefused(_("The file is empty."), "empty_file")
    if len(raw) > settings.SPREADSHEET_MAX_ROWS + 1:  # empty rows are not counted
        raise FileRefused(
            _("The file has too many rows: at most %(rows)s.")
            % {"rows": settings.SPREADSHEET_MAX_ROWS},
            "too_many_rows",
        )
    header = [_header_name(cell) for cell in raw[0][1]]
    while header and not header[-1]:
        header.pop()
    known = {column.name: column for column in columns}
    unknown = [name or "?" for name in header if name not in known]
    if unknown:
        taken = [column.name for column in columns if not column.skipped]
        raise FileRefused(
            _("Unknown columns: %(columns)s. The columns are: %(known)s.")
            % {"columns": ", ".join(unknown), "known": ", ".join(taken)},
            "invalid_header",
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise FileRefused(
            _("Columns named twice: %(columns)s.") % {"columns": ", ".join(repeated)},
            "invalid_header",
        )
    missing = [column.name for column in columns if column.required and column.name not in header]
    if missing:
        raise FileRefused(
            _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)},
            "invalid_header",
        )
    table = Table(file_format=kind, columns=header)
    for line, values in raw[1:]:
        if len(values) > len(header) and any(value.strip() for value in values[len(header) :]):
            raise FileRefused(
                _("Row %(line)s has more cells than there are columns.") % {"line": line},
                "invalid_row",
            )
        cells = {
            name: _unguarded(values[i].strip() if i < len(values) else "")
            for i, name in enumerate(header)
            if not known[name].skipped
        }
        if not any(cells.values()):
            continue
        for name, value in cells.items():
            if value.startswith(FORMULA_PREFIX):
                raise FileRefused(
                    _("Row %(line)s, column %(column)s holds a formula: paste values only.")
                    % {"line": line, "column": name},
                    "formula",
                )
            allowed = TEXT_ALLOWED if known[name].multiline else ""
            if has_control_characters(value, allowed=allowed):
                raise FileRefused(
                    _("Row %(line)s, column %(column)s holds control characters.")
                    % {"line": line, "column": name},
                    "control_characters",
                )
        table.rows.append(Row(line=line, cells=cells))
    return table
