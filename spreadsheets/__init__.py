"""Spreadsheets in and out: imports of shelters and spaces, host offers and paper
registers of arrivals from CSV and XLSX (checked first, then all or nothing, once), and
exports of parties, placements and capacity history, every cell guarded against
formula injection (`spreadsheets.cells.cell_safe`)."""
