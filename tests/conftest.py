import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_script(script, env_overrides, *args, timeout=120):
    """Run a project script with a clean, controlled environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("ODOO_SRC",)}
    env.update(env_overrides)
    return subprocess.run(
        ["bash", str(ROOT / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def no_odoo_env(tmp_path):
    """An environment where Odoo is nowhere: no ODOO_SRC, no default tree, no clone."""
    return {
        "SUPPORT_ODOO_DEFAULT": str(tmp_path / "no-odoo-here"),
        "SUPPORT_LOCAL_DIR": str(tmp_path / "local"),
        "SUPPORT_NO_CLONE": "1",
    }


@pytest.fixture
def fake_odoo(tmp_path):
    """Build a fake Odoo source tree whose release.py reports the given version."""

    def make(major, minor=0):
        tree = tmp_path / f"odoo-{major}"
        (tree / "odoo").mkdir(parents=True)
        (tree / "odoo" / "release.py").write_text(
            f"version_info = ({major}, {minor}, 0, FINAL, 0, '')\n"
        )
        return tree

    return make


# Odoo addons used by the Odoo test run only (scripts/test.sh): not pytest tests.
collect_ignore = ["addons"]
