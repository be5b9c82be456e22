from odoo import models

# The key the billing engine puts in the context of its own writes. An object, not a value a
# caller can send over RPC or set in an action's context: only the engine's private path holds it.
_ENGINE_WRITE = object()


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
