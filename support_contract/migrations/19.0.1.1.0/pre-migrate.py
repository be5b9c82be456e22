"""Patch tickets become one per agreement, environment and month: the old unique constraint on
(agreement, month) goes (the new unique index replaces it)."""


def migrate(cr, version):
    cr.execute(
        "ALTER TABLE support_ticket DROP CONSTRAINT IF EXISTS support_ticket_patch_period_unique"
    )
