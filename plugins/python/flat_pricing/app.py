"""Flat pricing plugin for Bazaar, written in Python and built with componentize-py.

Targets world `pricing-plugin` of `bazaar:plugin@0.1.0` (wit/plugin.wit):

* `quote(request)` prices `request.quantity` units at the seller's configured
  `unit-price` (config key, default "9.90") for `max(period-count, 1)` periods,
  as one line with item "subscription"; the total is the sum of the lines.
* A trial is priced at zero: one line with amount "0.00", total "0.00".
* A quantity that is not a canonical non-negative decimal is rejected with
  `plugin-error::invalid-input` on field `request.quantity`.
* A configured `unit-price` that is not a canonical non-negative decimal is a
  seller misconfiguration: `plugin-error::refused`.

All arithmetic is `decimal.Decimal` (never float), with inexact results trapped,
and every amount is quantized to 2 places with ROUND_HALF_EVEN and rendered with
`format(d, 'f')` so no exponent ever appears.

Each call logs one info line through `host.log`; the logical time from
`host.now()` goes into that log line only, never into the quote, so the same
request always yields the same quote.
"""

import re
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DecimalException,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
)

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import pricing
from wit_world.imports import config, host, types

DEFAULT_UNIT_PRICE = "9.90"
UNIT_PRICE_KEY = "unit-price"
ITEM = "subscription"
CENTS = Decimal("0.01")

# Non-negative canonical decimal as defined by the WIT: digits, an optional "."
# followed by digits; no sign, no exponent, no separators, no whitespace.
_NON_NEGATIVE_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")

# Products are computed exactly: any rounding there is an error, not a silent
# loss of precision. Only the final quantize to cents rounds (half-even).
_EXACT = Context(prec=200, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, Overflow, Inexact, Rounded])
_MONEY = Context(prec=200, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, Overflow])




def _parse_non_negative(text):
    """The Decimal value of a canonical non-negative decimal string, or None."""
    if not isinstance(text, str) or len(text) > 64 or not _NON_NEGATIVE_DECIMAL.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except DecimalException:
        return None


def _render(value):
    """A canonical decimal string with exactly 2 places, never an exponent."""
    return format(value.quantize(CENTS, context=_MONEY), "f")


def _invalid_input(field, message):
    return Err(types.PluginError_InvalidInput(types.FieldError(field=field, message=message)))


class Pricing(exports.Pricing):
    def quote(self, request):
        # Logical time of the call: constant during the call, used for the log only.
        at = host.now()
        host.log(
            host.LogLevel.INFO,
            f"flat_pricing_py quote sku={request.sku_code} quantity={request.quantity} "
            f"periods={request.period_count} trial={request.trial} at={at}",
        )

        quantity = _parse_non_negative(request.quantity)
        if quantity is None:
            raise _invalid_input(
                "request.quantity",
                f"quantity {request.quantity!r} is not a non-negative decimal such as \"3\" or \"2.5\"",
            )

        if request.trial:
            zero = _render(Decimal(0))
            line = pricing.QuoteLine(item=ITEM, quantity=request.quantity, unit_price=zero, amount=zero)
            return pricing.Quotation(currency=request.currency, lines=[line], total=zero)

        configured = config.get(UNIT_PRICE_KEY)
        unit_text = DEFAULT_UNIT_PRICE if configured is None else configured
        unit_price = _parse_non_negative(unit_text)
        if unit_price is None:
            raise Err(types.PluginError_Refused(
                f"seller config {UNIT_PRICE_KEY!r} = {unit_text!r} is not a non-negative decimal"
            ))

        periods = Decimal(max(request.period_count, 1))
        try:
            exact = _EXACT.multiply(_EXACT.multiply(quantity, unit_price), periods)
            amount = _render(exact)
        except DecimalException:
            raise _invalid_input("request.quantity", f"quantity {request.quantity!r} is too large to price")

        line = pricing.QuoteLine(
            item=ITEM,
            quantity=request.quantity,
            unit_price=unit_text,
            amount=amount,
        )
        return pricing.Quotation(currency=request.currency, lines=[line], total=amount)
