from odoo import api, models
from odoo.exceptions import AccessError


def _normalized(field, value, record):
    try:
        return field.convert_to_cache(value, record)
    except (ValueError, TypeError):
        return value


def _differs(field, value, record):
    if field.type in ("one2many", "many2many"):
        return True
    new = _normalized(field, value, record)
    if field.type in ("float", "monetary"):
        return abs((new or 0.0) - (_normalized(field, record[field.name], record) or 0.0)) > 1e-6
    return (new or False) != (_normalized(field, record[field.name], record) or False)


def _changed_on_create(field, value, model):
    if field.type in ("one2many", "many2many"):
        return bool(value)
    new = _normalized(field, value, model)
    default = field.default(model) if field.default else False
    return bool(new) and new != _normalized(field, default, model)


class SupportProtectedMixin(models.AbstractModel):
    """Fields only the server's own code writes (decisions, billing results, invoice links).

    Odoo does not enforce ``readonly`` on ``create``/``write``, and every API (web client,
    XML-RPC, JSON-RPC) reaches them. A model inherits this mixin and lists such fields in
    ``_support_protected_fields()``; ``create``, ``write`` and ``default_get`` refuse them unless
    ``_support_may_write_protected()`` says the call is the server's own path (``sudo()`` after
    an explicit check, or the billing engine's private write). Nothing a caller can put in the
    context unlocks them, ``default_*`` context keys included.

    A model that extends an existing one lists the mixin after it
    (``_inherit = ["account.move", "support.protected.mixin"]``): the checks then run in the
    mixin's ``create``/``write``, after the models' own overrides and before the records are
    written.
    """

    _name = "support.protected.mixin"
    _description = "Support Fields Only the Server Writes"

    # ------------------------------------------------------------------ hooks
    def _support_protected_fields(self):
        """Names of the fields nobody writes directly. Extend with ``super() | {...}``."""
        return set()

    def _support_create_only_fields(self):
        """Names of fields given at creation and fixed afterwards (refused in ``write``)."""
        return set()

    def _support_may_write_protected(self):
        """Whether this call is the server's own path: ``sudo()`` after an explicit check."""
        return self.env.su

    # ------------------------------------------------------------------ checks
    def _support_check_protected_values(self, vals_list, create=False):
        """Refuse values of protected fields unless the call is the server's own path.

        ``write``: a value equal to the current one of every record is let through (clients that
        send unchanged fields); ``create``: an empty value or the field's default is.
        """
        protected = self._support_protected_fields()
        if not create:
            protected |= self._support_create_only_fields()
        # Most writes (a partner's phone, an invoice's date) touch no protected field: they
        # cost a set intersection, nothing more (who the user is is asked only when needed).
        if not any(protected & vals.keys() for vals in vals_list):
            return
        if self._support_may_write_protected():
            return
        model = self.browse()
        for vals in vals_list:
            refused = []
            for fname in protected & set(vals):
                field = self._fields[fname]
                if create:
                    changed = _changed_on_create(field, vals[fname], model)
                else:
                    changed = any(_differs(field, vals[fname], record) for record in self)
                if changed:
                    refused.append(field._description_string(self.env))
            if refused:
                raise AccessError(
                    self.env._(
                        "You cannot write %(fields)s of %(model)s: the support rules set them "
                        "(coverage decision, billing, invoicing, approvals), not a direct change.",
                        fields=", ".join(sorted(refused)),
                        model=self.env["ir.model"]._get(self._name).name,
                    )
                )

    @api.model
    def default_get(self, fields):
        """Defaults of protected fields come from the field only, never from the context or
        from user defaults (``default_<field>`` keys, ``ir.default``)."""
        defaults = super().default_get(fields)
        protected = self._support_protected_fields() & set(defaults)
        if not protected or self._support_may_write_protected():
            return defaults
        for fname in protected:
            field = self._fields[fname]
            if field.default:
                defaults[fname] = field.convert_to_write(field.default(self), self)
            else:
                del defaults[fname]
        return defaults

    @api.model_create_multi
    def create(self, vals_list):
        self._support_check_protected_values(vals_list, create=True)
        return super().create(vals_list)

    def write(self, vals):
        self._support_check_protected_values([vals])
        return super().write(vals)
