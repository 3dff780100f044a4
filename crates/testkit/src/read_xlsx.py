"""Reads an .xlsx with openpyxl (an independent reader) and prints it as JSON:
per sheet its name, frozen cell, autofilter range, column widths, and every
row with each cell's type, value and number format. Usage: read_xlsx.py FILE"""
import datetime
import json
import sys

import openpyxl
from openpyxl.utils import get_column_letter


def cell(c):
    v = c.value
    if v is None:
        return {"t": "empty"}
    if isinstance(v, datetime.datetime):
        return {"t": "datetime", "v": v.isoformat(sep=" "), "fmt": c.number_format}
    if isinstance(v, datetime.date):
        return {"t": "date", "v": v.isoformat(), "fmt": c.number_format}
    if isinstance(v, (int, float)):
        return {"t": "number", "v": v, "fmt": c.number_format}
    return {"t": "text", "v": str(v)}


book = openpyxl.load_workbook(sys.argv[1])
out = []
for ws in book.worksheets:
    out.append({
        "name": ws.title,
        "freeze": ws.freeze_panes,
        "filter": ws.auto_filter.ref,
        "widths": [ws.column_dimensions[get_column_letter(i)].width for i in range(1, ws.max_column + 1)],
        "bold_header": all(c.font.b for c in ws[1]),
        "rows": [[cell(c) for c in row] for row in ws.iter_rows()],
    })
print(json.dumps(out, ensure_ascii=False))
