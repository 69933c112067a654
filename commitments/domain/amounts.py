"""Amounts of money in words, for headlines and pages: pure formatting, no conversion.

"$1M", "€250,000", "CHF 1.5M": only USD, EUR and GBP get a symbol ("$" alone would be
ambiguous for other dollars); every other currency keeps its ISO code.
"""

from decimal import Decimal

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
MILLION = Decimal(1_000_000)


def short_amount(amount, currency):
    """1000000, "USD" → "$1M"; 1500000 → "$1.5M"; 250000 → "$250,000"; None → "an amount"."""
    if amount is None:
        return "an undisclosed amount"
    amount = Decimal(amount)
    millions = amount / MILLION
    if amount >= MILLION and millions == round(millions, 2):
        number = f"{millions.normalize():f}M"
    elif amount == amount.to_integral_value():
        number = f"{amount:,.0f}"
    else:
        number = f"{amount:,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{currency} {number}".strip()
