"""Exact amounts of documents that keep money as integers in the currency's minor unit."""

from __future__ import annotations

from decimal import Decimal


class MinorUnitAmounts:
    """`spend_amount` / `revenue_amount`: the stored `spend` / `revenue` as Decimals in major units."""

    def _amount(self, minor) -> Decimal:
        return Decimal(int(minor or 0)).scaleb(-int(self.currency_exponent))

    @property
    def spend_amount(self) -> Decimal:
        return self._amount(self.spend)

    @property
    def revenue_amount(self) -> Decimal:
        return self._amount(self.revenue)
