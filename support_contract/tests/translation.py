import polib

from odoo.tools import file_path
from odoo.tools.translate import TranslationModuleReader


def assert_translation_complete(case, module, lang_file="sv.po"):
    """Fail `case` when a translatable term of `module` has no translation in `lang_file`.

    The terms are those Odoo itself would export for the module (code, views, data), so a new
    user-facing string without its Swedish translation fails the module's tests.
    """
    reader = TranslationModuleReader(case.env.cr, modules=[module])
    sources = {entry[4] for entry in reader if entry[0] == module}
    po = polib.pofile(file_path(f"{module}/i18n/{lang_file}"))
    translated = {
        entry.msgid
        for entry in po
        if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags
    }
    missing = sorted(sources - translated)
    case.assertFalse(
        missing,
        f"{len(missing)} term(s) of {module} lack a translation in "
        f"i18n/{lang_file}: {missing[:20]}",
    )
