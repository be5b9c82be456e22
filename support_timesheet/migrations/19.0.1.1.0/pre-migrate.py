"""Fee months become one per agreement, fee line and month: the old unique constraint on
(agreement, month) goes (the new constraint and index replace it)."""


def migrate(cr, version):
    cr.execute(
        "ALTER TABLE support_agreement_fee_period "
        "DROP CONSTRAINT IF EXISTS support_agreement_fee_period_agreement_period_unique"
    )
