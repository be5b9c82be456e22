#!/usr/bin/env bash
# Refreshes the translation files of addons: installs them in a scratch database, then writes
# <addon>/i18n/<addon>.pot and <addon>/i18n/sv.po (existing Swedish translations are kept;
# new terms come with an empty msgstr to fill in).   Usage: scripts/i18n.sh addon [addon ...]
source "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] || die "Name the addons to export, e.g. scripts/i18n.sh support_contract"
find_odoo
ensure_venv
scratch_db support_i18n
db="$SCRATCH_DB"
conf="$SCRATCH_CONF"
addons="$*"
odoo_bin -c "$conf" -d "$db" -i "${addons// /,}" --stop-after-init --log-level=warn
keep="$(mktemp -d)"
for addon in "$@"; do
    [ -f "$ROOT/$addon/i18n/sv.po" ] && cp "$ROOT/$addon/i18n/sv.po" "$keep/$addon.po"
done
odoo_bin i18n export -c "$conf" -d "$db" -l pot sv_SE -- "$@"
# The export fills terms from Odoo's own Swedish and drops those of Python code it cannot find
# in the database: the addon's own earlier translations win.
for addon in "$@"; do
    [ -f "$keep/$addon.po" ] || continue
    "$VENV/bin/python" - "$ROOT/$addon/i18n/sv.po" "$keep/$addon.po" <<'PY'
import sys

import polib

new, old = polib.pofile(sys.argv[1]), polib.pofile(sys.argv[2])
kept = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in old if entry.msgstr}
for entry in new:
    entry.msgstr = kept.get((entry.msgctxt, entry.msgid), entry.msgstr)
if "Language" in old.metadata:
    new.metadata["Language"] = old.metadata["Language"]
new.save()
PY
done
rm -rf "$keep"
log "Wrote i18n/*.pot and i18n/sv.po for: $addons"
