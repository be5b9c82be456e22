"""The run command's production mode and its durable PostgreSQL cluster (scripts/lib.sh)."""

import configparser
import subprocess

from conftest import ROOT, run_script


def lib(script, tmp_path):
    """Run bash `script` after sourcing scripts/lib.sh; returns its stdout."""
    result = subprocess.run(
        ["bash", "-c", f'source "{ROOT}/scripts/lib.sh"; {script}'],
        env={"PATH": "/usr/bin:/bin", "SUPPORT_LOCAL_DIR": str(tmp_path), "ODOO": "/nowhere"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_production_config_follows_odoos_deployment_guide(tmp_path):
    conf = tmp_path / "odoo.conf"
    lib(f'write_odoo_conf "{conf}" 8069; write_production_conf "{conf}" 4 8072', tmp_path)
    parser = configparser.ConfigParser()  # strict: a key written twice is an error
    parser.read(conf)
    options = parser["options"]
    assert options["workers"] == "4"
    assert options["max_cron_threads"] == "1", "one cron worker runs fees, patch tickets, runs"
    assert options["gevent_port"] == "8072"
    assert options["proxy_mode"] == "True"
    assert options["http_interface"] == "127.0.0.1", "behind the reverse proxy"
    assert int(options["limit_memory_soft"]) == 600 * 1024 * 1024
    assert int(options["limit_memory_hard"]) == 1600 * 1024 * 1024
    assert (options["limit_time_cpu"], options["limit_time_real"]) == ("600", "1200")
    assert options["limit_request"] == "8192"


def test_only_the_throwaway_cluster_runs_without_fsync(tmp_path):
    scratch = lib("pg_start_options", tmp_path)
    assert "-c fsync=off" in scratch and "-c full_page_writes=off" in scratch
    run = lib("use_run_cluster; pg_start_options; echo; echo $PGDATA_DIR", tmp_path)
    options, data_dir = run.splitlines()
    assert "=off" not in options
    for setting in ("fsync", "full_page_writes", "synchronous_commit"):
        assert f"-c {setting}=on" in options
    assert data_dir == f"{tmp_path}/pg-run/data", "the run command's cluster is its own"


def test_run_command_refuses_a_bad_number_of_workers(tmp_path):
    result = run_script("scripts/run.sh", {"SUPPORT_LOCAL_DIR": str(tmp_path)}, "--workers", "many")
    assert result.returncode != 0
    assert "number of workers must be a number or 'auto'" in result.stderr
