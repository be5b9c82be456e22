"""Fields only the server's own code writes (decisions, billing results, invoice links).

Odoo does not enforce ``readonly`` on ``create``/``write``, and every API (web client, XML-RPC,
JSON-RPC) reaches them. A model lists such fields in ``_support_protected_fields()`` and calls
these helpers from its ``create``, ``write`` and ``default_get``; its
``_support_may_write_protected()`` says whether the current call is the server's own path
(``sudo()`` after an explicit check, or the billing engine's private write). Nothing a caller can
put in the context unlocks them, ``default_*`` context keys included.
"""

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


def _default(field, model):
    return field.default(model) if field.default else False


def check_protected_values(records, vals_list, create=False, fnames=None):
    """Refuse values of protected fields (default: ``_support_protected_fields()``) unless the
    call is the server's own path.

    ``write``: a value equal to the current one of every record is let through (clients that
    send unchanged fields); ``create``: an empty value or the field's default is.
    """
    if records._support_may_write_protected():
        return
    protected = set(fnames) if fnames is not None else records._support_protected_fields()
    model = records.browse()
    for vals in vals_list:
        refused = []
        for fname in protected & set(vals):
            field = records._fields[fname]
            if create:
                value = _normalized(field, vals[fname], model)
                if field.type in ("one2many", "many2many"):
                    changed = bool(vals[fname])
                else:
                    changed = bool(value) and value != _normalized(
                        field, _default(field, model), model
                    )
            else:
                changed = any(_differs(field, vals[fname], record) for record in records)
            if changed:
                refused.append(field._description_string(records.env))
        if refused:
            raise AccessError(
                records.env._(
                    "You cannot write %(fields)s of %(model)s: the support rules set them "
                    "(coverage decision, billing, invoicing, approvals), not a direct change.",
                    fields=", ".join(sorted(refused)),
                    model=records.env["ir.model"]._get(records._name).name,
                )
            )


def protect_defaults(model, defaults):
    """Defaults of protected fields come from the field only, never from the context or from
    user defaults (``default_<field>`` keys, ``ir.default``)."""
    if model._support_may_write_protected():
        return defaults
    for fname in model._support_protected_fields() & set(defaults):
        field = model._fields[fname]
        if field.default:
            defaults[fname] = field.convert_to_write(field.default(model), model)
        else:
            del defaults[fname]
    return defaults
