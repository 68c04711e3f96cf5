"""``field__any=[…]``: ``field = ANY(%s)`` with the list as one array parameter.

``__in`` writes one placeholder per value; a turn filters on hundreds of ids, and building,
sending and parsing those long statements cost more than running them. One array parameter
keeps the statement short and the same for every request.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Lookup


class AnyLookup(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list]:
        return "%s", [list(value)]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


models.Field.register_lookup(AnyLookup)
models.ForeignObject.register_lookup(AnyLookup)  # related fields keep their own lookup table
