# shellcheck shell=bash
# Shared set-up for scripts/run.sh, scripts/test.sh and scripts/bench.sh: finds Odoo 19.0,
# prepares the virtualenv and a private PostgreSQL 15 cluster inside the ignored .local/ folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="${SUPPORT_LOCAL_DIR:-$ROOT/.local}"
VENV="$LOCAL/venv"
HOOKS_VENV="$LOCAL/venv-hooks"
# Two private clusters: "pg" holds only throwaway databases (tests, benchmark, load test, the
# template) and runs without fsync; "pg-run" holds the run command's long-lived database and keeps
# PostgreSQL's durable defaults. fsync is a setting of a whole cluster, so they cannot share one.
PG_CLUSTER=pg
PGDIR="$LOCAL/pg"
PGDATA_DIR="$PGDIR/data"
PGSOCK="$PGDIR/run"
PGPORT_LOCAL="${SUPPORT_PGPORT:-5432}"
PGUSER_LOCAL=odoo
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v pg_ctl 2>/dev/null || echo /usr/bin/pg_ctl)")}"
ODOO_CLONE_URL="${ODOO_CLONE_URL:-https://github.com/odoo/odoo.git}"
ADDONS="support_contract,support_timesheet,support_portal,support_dashboard"
# What the test template database holds: the addons' dependencies, with demo data and Swedish;
# l10n_se gives the demo company Swedish books, account_edi_ubl_cii the e-invoice export test
# (the addons depend on neither).
TEMPLATE_MODULES="mail,portal,account,hr_timesheet,l10n_se,account_edi_ubl_cii,spreadsheet_dashboard"
ERR_PREFIX="support-suite"

log() { printf '[%s] %s\n' "$ERR_PREFIX" "$*" >&2; }
die() { printf '\n[%s] ERROR: %s\n\n' "$ERR_PREFIX" "$*" >&2; exit 2; }

# --- Odoo -----------------------------------------------------------------------------------
odoo_version_of() {  # prints "MAJOR.MINOR" read from odoo/release.py, or nothing
    sed -n "s/^version_info *= *(\([0-9]*\), *\([0-9]*\),.*/\1.\2/p" "$1/odoo/release.py" 2>/dev/null | head -n1
}

find_odoo() {
    local src
    if [ -n "${ODOO_SRC:-}" ]; then
        src="$ODOO_SRC"
        [ -f "$src/odoo/release.py" ] || die "ODOO_SRC is set to '$src', but that folder holds no Odoo source tree (no odoo/release.py). Point ODOO_SRC at a checkout of Odoo 19.0 Community (the folder that contains odoo-bin), or unset it to use /opt/odoo."
    elif [ -f "${SUPPORT_ODOO_DEFAULT:-/opt/odoo}/odoo/release.py" ]; then
        src="${SUPPORT_ODOO_DEFAULT:-/opt/odoo}"
    elif [ -f "$LOCAL/odoo-src/odoo/release.py" ]; then
        src="$LOCAL/odoo-src"
    else
        log "No Odoo at ODOO_SRC or ${SUPPORT_ODOO_DEFAULT:-/opt/odoo}; trying a shallow clone of Odoo 19.0 into $LOCAL/odoo-src"
        mkdir -p "$LOCAL"
        if [ "${SUPPORT_NO_CLONE:-}" = 1 ] || ! timeout 900 git clone -q --depth 1 --branch 19.0 "$ODOO_CLONE_URL" "$LOCAL/odoo-src.partial" 2>/dev/null; then
            rm -rf "$LOCAL/odoo-src.partial"
            die "Odoo 19.0 was not found and could not be downloaded. This suite runs on real Odoo 19.0 Community and tests nothing without it. Either put an Odoo 19.0 source tree (the folder that contains odoo-bin, odoo/ and addons/) at /opt/odoo, or set ODOO_SRC to such a folder, e.g. 'ODOO_SRC=\$HOME/src/odoo scripts/test.sh'; with network access the scripts clone the 19.0 branch by themselves."
        fi
        mv "$LOCAL/odoo-src.partial" "$LOCAL/odoo-src"
        src="$LOCAL/odoo-src"
    fi
    local version
    version="$(odoo_version_of "$src")"
    [ "$version" = "19.0" ] || die "The Odoo source tree at '$src' is version '${version:-unknown}', but this suite needs Odoo 19.0. Point ODOO_SRC at an Odoo 19.0 source tree."
    ODOO="$(cd "$src" && pwd)"
    export ODOO
}

# --- Python ---------------------------------------------------------------------------------
# Odoo's pinned requirements, adapted without touching Odoo's files: cbor2 5.4.2 does not build on
# Python 3.11 with current setuptools (take the pin Odoo uses on 3.12), and python-ldap needs
# LDAP/SASL headers while only auth_ldap uses it.
write_odoo_requirements() {  # $1: Odoo's requirements.txt, $2: output file
    sed -e 's/^cbor2==5\.4\.2\b/cbor2==5.6.2/' -e '/^python-ldap\b/d' "$1" > "$2"
}

ensure_venv() {
    local python="${PYTHON:-python3}" stamp want
    mkdir -p "$LOCAL"
    write_odoo_requirements "$ODOO/requirements.txt" "$LOCAL/odoo-requirements.txt"
    want="$(cat "$LOCAL/odoo-requirements.txt" "$ROOT/requirements.txt" | sha1sum | cut -c1-16)"
    stamp="$VENV/.support-requirements"
    if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    # Runs of several checkouts may share the virtualenv: one installs at a time.
    exec 7>"$LOCAL/venv.lock"
    flock 7
    if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        flock -u 7
        return 0
    fi
    log "Preparing the Python virtualenv in $VENV (first run: a few minutes)"
    [ -x "$VENV/bin/python" ] || "$python" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade "pip<25" wheel "setuptools<81" \
        || die "Could not prepare pip in $VENV; is PyPI reachable?"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        -r "$LOCAL/odoo-requirements.txt" -r "$ROOT/requirements.txt" \
        || die "Installing Odoo's and the suite's Python requirements failed (see pip's output above)."
    echo "$want" > "$stamp"
    flock -u 7
}

# OCA's odoo pre-commit hooks need other versions of some of Odoo's requirements (polib): they
# get a small virtualenv of their own, from requirements-hooks.txt.
ensure_hooks_venv() {
    local want stamp="$HOOKS_VENV/.support-requirements"
    want="$(sha1sum <"$ROOT/requirements-hooks.txt" | cut -c1-16)"
    if [ -x "$HOOKS_VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    exec 7>"$LOCAL/venv.lock"
    flock 7
    if ! { [ -x "$HOOKS_VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; }; then
        log "Preparing the pre-commit hooks' virtualenv in $HOOKS_VENV"
        [ -x "$HOOKS_VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$HOOKS_VENV"
        "$HOOKS_VENV/bin/python" -m pip install -q --disable-pip-version-check \
            -r "$ROOT/requirements-hooks.txt" \
            || die "Installing the pre-commit hooks (requirements-hooks.txt) failed; is PyPI reachable?"
        echo "$want" >"$stamp"
    fi
    flock -u 7
}

# Locust, for scripts/load.sh, in a virtualenv of its own: its Flask, Werkzeug and requests would
# replace the versions Odoo pins.
ensure_load_venv() {
    local python="${PYTHON:-python3}" want
    LOAD_VENV="$LOCAL/venv-load"
    want="$(sha1sum < "$ROOT/requirements-load.txt" | cut -c1-16)"
    if [ -x "$LOAD_VENV/bin/locust" ] && [ "$(cat "$LOAD_VENV/.support-requirements" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    exec 7>"$LOCAL/venv.lock"
    flock 7
    if ! { [ -x "$LOAD_VENV/bin/locust" ] && [ "$(cat "$LOAD_VENV/.support-requirements" 2>/dev/null)" = "$want" ]; }; then
        log "Preparing the load test's virtualenv in $LOAD_VENV"
        [ -x "$LOAD_VENV/bin/python" ] || "$python" -m venv "$LOAD_VENV"
        "$LOAD_VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements-load.txt" \
            >"$LOCAL/venv-load.log" 2>&1 \
            || { tail -n 20 "$LOCAL/venv-load.log" >&2; die "Installing Locust (requirements-load.txt) failed: see $LOCAL/venv-load.log"; }
        echo "$want" > "$LOAD_VENV/.support-requirements"
    fi
    flock -u 7
}

# --- PostgreSQL -----------------------------------------------------------------------------
# A private cluster owned by an unprivileged OS user (PostgreSQL refuses root), listening only on
# a Unix socket inside .local/<cluster>/run, so it never collides with another cluster or port.

# Before ensure_pg: use the durable cluster of the run command instead of the throwaway one.
use_run_cluster() {
    PG_CLUSTER=pg-run
    PGDIR="$LOCAL/pg-run"
    PGDATA_DIR="$PGDIR/data"
    PGSOCK="$PGDIR/run"
}

# Settings each cluster starts with (command-line settings win over postgresql.conf and ALTER
# SYSTEM). The throwaway cluster trades crash safety for speed; the run cluster states
# PostgreSQL's durable defaults explicitly.
pg_start_options() {
    local opts="-c listen_addresses='' -k $PGSOCK -p $PGPORT_LOCAL -c max_connections=200"
    if [ "$PG_CLUSTER" = pg ]; then
        opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    else
        opts="$opts -c fsync=on -c synchronous_commit=on -c full_page_writes=on"
    fi
    printf '%s' "$opts"
}
as_pg_owner() {
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# The cluster lives in .local/pg unless the postgres OS user cannot reach that folder (a checkout
# under a private 0700 folder) or its socket path would be too long for Unix sockets (107 bytes).
choose_pgdir() {
    mkdir -p "$LOCAL"
    if [ "$(id -u)" = 0 ] && { ! runuser -u postgres -- test -x "$LOCAL" || [ ${#PGSOCK} -gt 90 ]; }; then
        PGDIR="/var/tmp/support-suite-$(printf '%s' "$ROOT" | sha1sum | cut -c1-10)/$PG_CLUSTER"
        PGDATA_DIR="$PGDIR/data"
        PGSOCK="$PGDIR/run"
        log "The postgres user cannot use $LOCAL/pg: the cluster lives in $PGDIR instead"
    fi
}

pg_running() { as_pg_owner "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; }

ensure_pg() {
    if [ -n "${SUPPORT_DB_HOST:-}" ]; then  # an existing PostgreSQL server instead of the private one
        export PGHOST="$SUPPORT_DB_HOST" PGPORT="${SUPPORT_DB_PORT:-5432}" PGUSER="${SUPPORT_DB_USER:-odoo}"
        [ -z "${SUPPORT_DB_PASSWORD:-}" ] || export PGPASSWORD="$SUPPORT_DB_PASSWORD"
        "$PG_BIN/psql" -d postgres -Atc 'SELECT 1' >/dev/null \
            || die "Cannot connect to PostgreSQL at $PGHOST:$PGPORT as $PGUSER (SUPPORT_DB_* settings)."
        return 0
    fi
    [ -x "$PG_BIN/pg_ctl" ] || die "PostgreSQL 15 server binaries were not found (looked in $PG_BIN). Install Debian's postgresql-15 package, or set PG_BIN to the folder holding pg_ctl, or point the suite at your own server (see the README)."
    choose_pgdir
    if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
        log "Creating a private PostgreSQL cluster in $PGDATA_DIR"
        mkdir -p "$PGDATA_DIR" "$PGSOCK"
        [ "$(id -u)" = 0 ] && chown -R postgres: "$PGDIR"
        as_pg_owner "$PG_BIN/initdb" -D "$PGDATA_DIR" -U "$PGUSER_LOCAL" --auth=trust -E UTF8 \
            --locale=C.UTF-8 >"$PGDIR/initdb.log" 2>&1 || die "initdb failed: see $PGDIR/initdb.log"
    fi
    mkdir -p "$PGSOCK"
    [ "$(id -u)" = 0 ] && chown postgres: "$PGSOCK"
    if ! pg_running; then
        as_pg_owner "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGDIR/server.log" -w -t 60 \
            -o "$(pg_start_options)" start >/dev/null || die "PostgreSQL did not start: see $PGDIR/server.log"
    fi
    export PGHOST="$PGSOCK" PGPORT="$PGPORT_LOCAL" PGUSER="$PGUSER_LOCAL"
}

# The run command's promise: its cluster writes every commit to disk before answering.
check_pg_durable() {  # $1: database (its own settings may differ from the cluster's)
    local settings
    settings="$("$PG_BIN/psql" -d "$1" -Atc "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'full_page_writes', 'synchronous_commit')")"
    [ "$settings" = "fsync=on full_page_writes=on synchronous_commit=on" ] \
        || die "The PostgreSQL cluster serving the run command is not durable ($settings). Stop it and start again."
}

stop_pg() {
    if [ -z "${SUPPORT_DB_HOST:-}" ] && pg_running; then
        as_pg_owner "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null || true
    fi
}

db_exists() { [ "$("$PG_BIN/psql" -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname='$1'")" = 1 ]; }

# --- Odoo configuration ---------------------------------------------------------------------
# SUPPORT_TEST_ADDONS_PATH: set by scripts/test.sh only (its test-only addons, tests/addons), so
# that the databases it makes, and the load test's copies of them, find them.
write_odoo_conf() {  # $1: output path, $2: http port
    mkdir -p "$LOCAL/data"
    cat > "$1" <<CONF
[options]
addons_path = $ODOO/addons,$ODOO/odoo/addons,$ROOT${SUPPORT_TEST_ADDONS_PATH:+,$SUPPORT_TEST_ADDONS_PATH}
data_dir = $LOCAL/data
db_host = ${SUPPORT_DB_HOST:-$PGSOCK}
db_port = ${SUPPORT_DB_PORT:-$PGPORT_LOCAL}
db_user = ${SUPPORT_DB_USER:-$PGUSER_LOCAL}
http_port = $2
http_interface = 127.0.0.1
list_db = False
workers = 0
max_cron_threads = 0
CONF
    if [ -n "${SUPPORT_DB_PASSWORD:-}" ]; then echo "db_password = $SUPPORT_DB_PASSWORD" >> "$1"; fi
}

# Odoo's multi-process mode as its deployment guide recommends: N HTTP workers, one cron worker,
# the websocket (bus) on the gevent port, and its sample limits per worker: 600 MiB soft (recycled
# after the request), 1600 MiB hard (killed at once), 600 s CPU and 1200 s real time per request,
# recycled after 8192 requests. Its sizing: (workers + cron) * (80% * 150 MB + 20% * 1 GB).
write_production_conf() {  # $1: config written by write_odoo_conf, $2: workers, $3: gevent port
    local need_mb have_mb
    need_mb=$((($2 + 1) * (150 * 8 + 1024 * 2) / 10))
    have_mb=$(($(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo) / 1024))
    [ "$need_mb" -le "$have_mb" ] \
        || log "WARNING: $2 workers need about $need_mb MB by Odoo's sizing; this machine has $have_mb MB"
    sed -i -e '/^workers =/d' -e '/^max_cron_threads =/d' "$1"
    cat >> "$1" <<CONF
workers = $2
max_cron_threads = 1
gevent_port = $3
proxy_mode = True
limit_memory_soft = 629145600
limit_memory_hard = 1677721600
limit_time_cpu = 600
limit_time_real = 1200
limit_request = 8192
CONF
}

odoo_bin() { "$VENV/bin/python" "$ODOO/odoo-bin" "$@"; }

# Copies a database with its filestore (createdb -T copies only the tables).
clone_db() {  # $1: source, $2: target
    "$PG_BIN/createdb" -T "$1" "$2"
    if [ -d "$LOCAL/data/filestore/$1" ]; then
        rm -rf "$LOCAL/data/filestore/$2"
        cp -a "$LOCAL/data/filestore/$1" "$LOCAL/data/filestore/$2"
    fi
}

drop_db() {
    "$PG_BIN/dropdb" --if-exists "$1" >/dev/null 2>&1 || true
    rm -rf "$LOCAL/data/filestore/$1"
}

# A template database holding the dependencies (demo data, Swedish loaded), built once and reused:
# installing account and hr_timesheet takes minutes, copying the template takes seconds.
ensure_template() {
    local key name
    key="$(printf '%s|%s|%s' "$(cd "$ODOO" && cat odoo/release.py | sha1sum)" "$TEMPLATE_MODULES" "v2" | sha1sum | cut -c1-10)"
    name="support_tmpl_$key"
    exec 9>"$LOCAL/template.lock"
    flock 9
    if ! db_exists "$name"; then
        log "Building the template database $name ($TEMPLATE_MODULES with demo data; about 2-3 minutes, once)"
        drop_db "${name}_partial"
        write_odoo_conf "$LOCAL/odoo-template.conf" "$(free_port)"
        # English stays the main language; Swedish is loaded beside it (--load-language on a new
        # database would make Swedish the only active language).
        { odoo_bin -c "$LOCAL/odoo-template.conf" -d "${name}_partial" -i "$TEMPLATE_MODULES" --with-demo \
            --stop-after-init --log-level=warn \
          && odoo_bin i18n loadlang -c "$LOCAL/odoo-template.conf" -d "${name}_partial" -l sv_SE; } \
            >"$LOCAL/template.log" 2>&1 \
            || { tail -n 40 "$LOCAL/template.log" >&2; die "Building the template database failed: see $LOCAL/template.log"; }
        "$PG_BIN/psql" -d postgres -qc "ALTER DATABASE \"${name}_partial\" RENAME TO \"$name\"" >/dev/null
        [ -d "$LOCAL/data/filestore/${name}_partial" ] && mv "$LOCAL/data/filestore/${name}_partial" "$LOCAL/data/filestore/$name"
    fi
    flock -u 9
    TEMPLATE_DB="$name"
}

# Every script using the cluster holds a shared lock while it runs; the last one out stops it.
pg_hold() {
    exec 8>"$LOCAL/$PG_CLUSTER.users"
    flock -s 8
}

pg_release() {
    flock -u 8 2>/dev/null || true
    if flock -xn 8 2>/dev/null; then
        stop_pg
        flock -u 8 || true
    fi
}

free_port() {
    "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Hash of the addons' files: run.sh updates the modules of an existing database when it changed.
addons_hash() {
    (cd "$ROOT" && find support_contract support_timesheet support_portal support_dashboard -type f \
        ! -name '*.pyc' -print0 | sort -z | xargs -0 sha1sum | sha1sum | cut -c1-16)
}

# The portal's browser tour needs Chromium; Odoo would silently skip it without one.
ensure_chromium() {
    command -v chromium >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "Installing Debian's chromium for the browser tests"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$LOCAL/chromium-install.log" 2>&1 \
            || die "Installing chromium failed (see $LOCAL/chromium-install.log); the browser tests need it."
    else
        die "The browser tests need Chromium: install Debian's chromium package (apt-get install chromium)."
    fi
}

# The monthly support statements are PDF files rendered by wkhtmltopdf.
#   $1: "required" stops the script without it; otherwise a warning.
ensure_wkhtmltopdf() {
    command -v wkhtmltopdf >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "Installing Debian's wkhtmltopdf for the PDF statements"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wkhtmltopdf; } \
            >"$LOCAL/wkhtmltopdf-install.log" 2>&1 && return 0
        log "Installing wkhtmltopdf failed (see $LOCAL/wkhtmltopdf-install.log)"
    fi
    [ "${1:-}" = required ] \
        && die "The PDF statements need wkhtmltopdf: install Debian's wkhtmltopdf package (apt-get install wkhtmltopdf)."
    log "wkhtmltopdf is missing: statements cannot be rendered as PDF (apt-get install wkhtmltopdf)"
}

# On exit of a scratch_db script: drops its databases (SCRATCH_DB and any in SCRATCH_EXTRA_DBS;
# kept with SUPPORT_KEEP_DB=1), removes the config and releases the cluster.
scratch_cleanup() {
    local name
    if [ "${SUPPORT_KEEP_DB:-0}" != 1 ]; then
        for name in "$SCRATCH_DB" ${SCRATCH_EXTRA_DBS:-}; do drop_db "$name"; done
    fi
    rm -f "$SCRATCH_CONF"
    pg_release
}

# A throwaway copy of the template for one script run: sets SCRATCH_DB and SCRATCH_CONF.
#   $1: database name prefix, $2: database to copy instead of the template (optional)
scratch_db() {
    ensure_pg
    pg_hold
    SCRATCH_DB="${1}_$$"
    SCRATCH_CONF="$LOCAL/odoo-$SCRATCH_DB.conf"
    trap scratch_cleanup EXIT
    [ -n "${2:-}" ] || ensure_template
    write_odoo_conf "$SCRATCH_CONF" "$(free_port)"
    clone_db "${2:-$TEMPLATE_DB}" "$SCRATCH_DB"
}
