"""The set-up scripts: finding Odoo, refusing a wrong one, and CI failing loudly without it."""

import subprocess

from conftest import ROOT, run_script


def test_ci_fails_clearly_without_odoo(no_odoo_env):
    result = run_script(".ci/run", no_odoo_env)
    assert result.returncode != 0, "CI must fail where Odoo is nowhere to be found"
    assert "Odoo 19.0 was not found" in result.stderr
    assert "ODOO_SRC" in result.stderr and "/opt/odoo" in result.stderr
    assert " passed, " not in result.stdout, "a run without Odoo must not print a test summary"


def test_run_command_fails_clearly_without_odoo(no_odoo_env):
    result = run_script("scripts/run.sh", no_odoo_env)
    assert result.returncode != 0
    assert "Odoo 19.0 was not found" in result.stderr


def test_odoo_src_pointing_nowhere_is_refused(no_odoo_env, tmp_path):
    env = dict(no_odoo_env, ODOO_SRC=str(tmp_path / "missing"))
    result = run_script("scripts/test.sh", env)
    assert result.returncode != 0
    assert "ODOO_SRC is set to" in result.stderr
    assert "holds no Odoo source tree" in result.stderr


def test_wrong_odoo_version_is_refused(no_odoo_env, fake_odoo):
    env = dict(no_odoo_env, ODOO_SRC=str(fake_odoo(17)))
    result = run_script("scripts/test.sh", env)
    assert result.returncode != 0
    assert "is version '17.0'" in result.stderr
    assert "needs Odoo 19.0" in result.stderr


def test_odoo_19_tree_is_accepted(fake_odoo, tmp_path):
    tree = fake_odoo(19)
    script = f'source "{ROOT}/scripts/lib.sh"; find_odoo; echo "FOUND=$ODOO"'
    result = subprocess.run(
        ["bash", "-c", script],
        env={"PATH": "/usr/bin:/bin", "ODOO_SRC": str(tree), "SUPPORT_LOCAL_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"FOUND={tree}" in result.stdout


def test_odoo_requirements_are_adapted_without_touching_odoo(tmp_path):
    source = tmp_path / "requirements.txt"
    original = (
        "cbor2==5.4.2 ; python_version < '3.12'\n"
        "cbor2==5.6.2 ; python_version >= '3.12'\n"
        "python-ldap==3.4.0 ; sys_platform != 'win32' and python_version < '3.12'\n"
        "lxml==4.9.3 ; python_version > '3.10' and python_version < '3.12'\n"
    )
    source.write_text(original)
    target = tmp_path / "out.txt"
    script = f'source "{ROOT}/scripts/lib.sh"; write_odoo_requirements "{source}" "{target}"'
    subprocess.run(["bash", "-c", script], check=True)
    lines = target.read_text().splitlines()
    assert "cbor2==5.6.2 ; python_version < '3.12'" in lines
    assert not any(line.startswith("python-ldap") for line in lines)
    assert "lxml==4.9.3 ; python_version > '3.10' and python_version < '3.12'" in lines
    assert source.read_text() == original, "Odoo's own file must stay untouched"


def test_ci_calls_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test.sh" in readme and "scripts/run.sh" in readme
    assert "scripts/test.sh" in ci


def _addons_path(tmp_path, **env):
    """The addons path scripts/lib.sh writes into an Odoo configuration."""
    conf = tmp_path / "odoo.conf"
    script = f'source scripts/lib.sh; write_odoo_conf "{conf}" 8999'
    base = {"PATH": "/usr/bin:/bin", "ODOO": "/opt/odoo", "SUPPORT_LOCAL_DIR": str(tmp_path)}
    subprocess.run(["bash", "-c", script], cwd=ROOT, env={**base, **env}, check=True)
    line = next(x for x in conf.read_text().splitlines() if x.startswith("addons_path"))
    return line.split("=", 1)[1].strip().split(",")


def test_example_addon_is_on_the_test_command_path_only(tmp_path):
    """tests/addons (the engine's example extension) is found by the test command's databases
    and never by scripts/run.sh, which does not set SUPPORT_TEST_ADDONS_PATH."""
    example = ROOT / "tests/addons/support_billing_example/__manifest__.py"
    assert example.exists()
    assert str(ROOT / "tests/addons") not in _addons_path(tmp_path)
    assert "SUPPORT_TEST_ADDONS_PATH" not in (ROOT / "scripts/run.sh").read_text()
    assert (
        'export SUPPORT_TEST_ADDONS_PATH="$TEST_ADDONS_DIR"'
        in (ROOT / "scripts/test.sh").read_text()
    )
    path = _addons_path(tmp_path, SUPPORT_TEST_ADDONS_PATH=str(ROOT / "tests/addons"))
    assert path[-1] == str(ROOT / "tests/addons")
