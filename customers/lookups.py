"""Lookups that row-level security lets into index conditions.

Row-level security only lets the planner use *leakproof* operators in index conditions. LIKE is not
leakproof, so `startswith` scans every row of the organization; `^@` (starts_with) is, and on a "C"
collation column it becomes an index range that stops at the page's LIMIT."""

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import CharField, ForeignKey, IntegerField, Lookup


@CharField.register_lookup
class Prefix(Lookup):
    lookup_name = "prefix"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ^@ {rhs}", [*lhs_params, *rhs_params]


@CharField.register_lookup
class AnyOf(Lookup):
    """`field__any_of=[...]` → `field = ANY(%s)`: one array parameter instead of hundreds of placeholders."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs}::text[])", [*lhs_params, *rhs_params]


@IntegerField.register_lookup
@ForeignKey.register_lookup
class InArray(Lookup):
    """`pk__in_array=<subquery of ids>` → `id = ANY(ARRAY(subquery))`: PostgreSQL reads the ids first, then
    walks the primary key index through them in order, so a LIMIT stops after a page of them; `IN (subquery)`
    joins every id to its row before sorting (2,100 values starting with "mar" at 500 k: 6.4 → 1.6 ms).
    `customer_id__in_array=[ids]`: one array parameter, where `__in` builds a placeholder per id."""

    lookup_name = "in_array"

    def get_prep_lookup(self):
        return list(self.rhs) if isinstance(self.rhs, list | tuple) else ArraySubquery(self.rhs)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]
