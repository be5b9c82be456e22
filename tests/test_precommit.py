"""The pre-commit hooks install from PyPI only, at the versions scripts/test.sh runs."""

import re

from conftest import ROOT


def pins(text):
    return dict(re.findall(r"([A-Za-z0-9_.-]+)==([0-9][^\s\"',\]]*)", text))


def test_hooks_install_from_pypi_at_the_test_commands_versions():
    config = (ROOT / ".pre-commit-config.yaml").read_text()
    repos = re.findall(r"^\s*-\s*repo:\s*(\S+)", config, re.MULTILINE)
    assert repos == ["local"], f"hooks must not need GitHub: {repos}"
    hooked = pins(config)
    required = pins((ROOT / "requirements.txt").read_text())
    required.update(pins((ROOT / "requirements-hooks.txt").read_text()))
    assert {"ruff", "pylint-odoo", "oca-odoo-pre-commit-hooks"} <= set(hooked)
    for name, version in hooked.items():
        assert required.get(name) == version, f"{name}: {version} in the hooks, not required"
    assert (ROOT / ".oca_hooks.cfg").is_file()


def test_test_command_runs_the_hooks_tools():
    script = (ROOT / "scripts" / "test.sh").read_text()
    for tool in ("ruff", "pylint"):
        assert f'"$VENV/bin/{tool}"' in script, tool
    for tool in ("oca-checks-odoo-module", "oca-checks-po"):
        assert f'"$HOOKS_VENV/bin/{tool}"' in script, tool
