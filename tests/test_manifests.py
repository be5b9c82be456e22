"""The addons' manifests keep the suite's public surface (addon names and dependencies)."""

import ast

import pytest
from conftest import ROOT

EXPECTED_DEPENDS = {
    "support_contract": set(),
    "support_timesheet": {"support_contract", "hr_timesheet", "account"},
    "support_portal": {"support_contract", "support_timesheet", "portal"},
    "support_dashboard": {"support_timesheet", "spreadsheet_dashboard"},
}
# The three addons of the public surface install alone: the dashboard bridge and the Swedish
# localisation of the demo are never their dependencies.
CORE = ("support_contract", "support_timesheet", "support_portal")


def manifest(addon):
    return ast.literal_eval((ROOT / addon / "__manifest__.py").read_text())


@pytest.mark.parametrize("addon", sorted(EXPECTED_DEPENDS))
def test_manifest(addon):
    data = manifest(addon)
    assert data["version"].startswith("19.0."), "addons target Odoo 19.0"
    assert len(data["version"].split(".")) == 5, "version is 19.0.x.y.z"
    assert data["license"] in ("LGPL-3", "AGPL-3")
    assert data["installable"]
    assert EXPECTED_DEPENDS[addon] <= set(data["depends"]), (
        f"{addon} must depend on {EXPECTED_DEPENDS[addon]}"
    )
    for path in data.get("data", []) + data.get("demo", []):
        assert (ROOT / addon / path).is_file(), f"{addon}: {path} is listed but missing"


@pytest.mark.parametrize("addon", sorted(EXPECTED_DEPENDS))
def test_addon_has_swedish_translation_and_readme(addon):
    assert (ROOT / addon / "i18n" / "sv.po").is_file()
    assert (ROOT / addon / "readme" / "DESCRIPTION.md").is_file()
    # OCA's readme fragments.
    for fragment in ("CONFIGURE", "USAGE", "ROADMAP", "CONTRIBUTORS"):
        assert (ROOT / addon / "readme" / f"{fragment}.md").is_file(), f"{addon}: {fragment}.md"


@pytest.mark.parametrize("addon", sorted(EXPECTED_DEPENDS))
def test_every_test_module_is_imported(addon):
    """Odoo runs only the test modules tests/__init__.py imports: a forgotten one never runs."""
    tests = ROOT / addon / "tests"
    imported = {
        alias.name
        for node in ast.parse((tests / "__init__.py").read_text()).body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    modules = {path.stem for path in tests.glob("test_*.py")}
    assert modules <= imported, f"{addon}: not imported in tests/__init__.py: {modules - imported}"


@pytest.mark.parametrize("addon", CORE)
def test_core_addons_depend_on_no_optional_module(addon):
    assert not {"support_dashboard", "l10n_se", "spreadsheet_dashboard"} & set(
        manifest(addon)["depends"]
    )
