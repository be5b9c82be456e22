from odoo import models
from odoo.tools import SQL

# The key the billing engine puts in the context of its own writes. An object, not a value a
# caller can send over RPC or set in an action's context: only the engine's private path holds it.
_ENGINE_WRITE = object()


def lock_rows_sql(table, where, no_key=False, wait=None):
    """The statement locking the rows of `table` matching `where` (an ``SQL`` condition) in id
    order: the one home of the suite's row locks (tickets, timesheets, packs, agreements).

    ``no_key``: a NO KEY UPDATE lock (rows referencing them can still be inserted), else a full
    UPDATE lock. ``wait``: how long to wait for a concurrent holder (e.g. ``"2s"``) before
    failing; by default NOWAIT (fail at once). Either way the failure is a serialization or
    lock error that Odoo's RPC/HTTP layer retries with the whole transaction. A caller may run
    it in one round trip with the query that reads the rows.
    """
    query = SQL(
        "SELECT id FROM %s WHERE %s ORDER BY id %s",
        SQL.identifier(table),
        where,
        SQL("FOR NO KEY UPDATE") if no_key else SQL("FOR UPDATE"),
    )
    if wait is None:
        return SQL("%s NOWAIT", query)
    # The timeout applies to this lock only.
    return SQL("SET LOCAL lock_timeout = %s; %s; SET LOCAL lock_timeout = DEFAULT", wait, query)


def lock_rows(records, no_key=False, wait=None):
    """Lock the rows of `records` (see ``lock_rows_sql``), in one query."""
    if not records.ids:
        return
    where = SQL("id IN %s", tuple(records.ids))
    records.env.cr.execute(lock_rows_sql(records._table, where, no_key=no_key, wait=wait))


class SupportBillingMixin(models.AbstractModel):
    """What the billing engine decides is written through one private path.

    ``_support_engine_write`` goes through the model's full ``write`` (later overrides run), with
    a context key that ``write`` overrides recognise with ``_support_is_engine_write``: the engine's
    own writes do not re-enter the engine, and fields only the engine owns can be refused to
    anybody else.
    """

    _name = "support.billing.mixin"
    _description = "Support Billing Engine Writes"

    def _support_engine_write(self, vals):
        if not self or not vals:
            return True
        return self.with_context(support_engine_write=_ENGINE_WRITE).write(vals)

    def _support_is_engine_write(self):
        return self.env.context.get("support_engine_write") is _ENGINE_WRITE
