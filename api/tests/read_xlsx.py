"""Reads an xlsx with openpyxl (an independent reader) and prints each sheet as JSON:
its cell values (dates as ISO strings), frozen panes, autofilter range, and row 2's formats."""
import datetime
import json
import sys

import openpyxl

wb = openpyxl.load_workbook(sys.argv[1])
out = {}
for ws in wb.worksheets:
    rows = [
        [c.isoformat() if isinstance(c, datetime.datetime) else c for c in row]
        for row in ws.iter_rows(values_only=True)
    ]
    out[ws.title] = {
        "rows": rows,
        "freeze": ws.freeze_panes,
        "filter": ws.auto_filter.ref,
        "formats": [c.number_format for c in ws[2]] if ws.max_row > 1 else [],
    }
print(json.dumps(out))
