"""Spreadsheets built in the tests: CSV text and real XLSX workbooks (openpyxl)."""

import csv
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile


def csv_file(rows: list[list], name: str = "file.csv", delimiter: str = ",") -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), "text/csv")


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_file(rows: list[list], name: str = "file.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx_bytes(rows), "application/octet-stream")


def upload(client, city, kind: str, file):
    return client.post(
        "/api/v1/imports/", {"city": str(city.id), "kind": kind, "file": file}, format="multipart"
    )


def xlsx_rows(content: bytes) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]
