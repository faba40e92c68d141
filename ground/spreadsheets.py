"""Spreadsheet exports (ground module: imports no app)."""

import re

# A cell a spreadsheet would read as a formula (CSV/formula injection), unless it is only
# a number or a phone number.
FORMULA_START = re.compile(r"^[=+\-@\t\r]")
HARMLESS = re.compile(r"^[+\-]?[\d\s.()/-]*$")


def safe_cell(value):
    """Family-typed text as a spreadsheet will show it, never run it."""
    if isinstance(value, str) and FORMULA_START.match(value) and not HARMLESS.match(value):
        return "'" + value
    return value
