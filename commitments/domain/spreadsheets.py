"""Text that a spreadsheet would run as a formula, made inert, for every export we offer.

Excel, LibreOffice and Google Sheets treat a cell starting with ``= + - @`` as a formula (a
leading tab or carriage return is stripped first, so those count too): a pledge titled
``=cmd|' /C calc'!A0`` would run on a staff member's machine when they open an export.
OWASP's advice is a leading apostrophe: the cell then shows the text as typed. Both the
public ``/pledges.csv`` and the admin's CSV/XLSX exports pass their cells through here, so
there is one rule to get right. In XLSX the apostrophe also keeps openpyxl from writing the
cell as a formula (it writes any string starting with ``=`` as one).
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value):
    """``value`` unchanged, unless it is text a spreadsheet would run: then quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
