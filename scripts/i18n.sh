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
odoo_bin i18n export -c "$conf" -d "$db" -l pot sv_SE -- "$@"
log "Wrote i18n/*.pot and i18n/sv.po for: $addons"
