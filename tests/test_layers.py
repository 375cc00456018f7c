"""The layers hold: import-linter's contracts (.importlinter) pass, no two feature folders
gain an import of each other, and every feature is wired by its own init_app."""

import importlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import folder_cycles  # noqa: E402


def test_import_contracts_are_kept():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache", "--no-logo"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_two_feature_folders_import_each_other():
    """Not even through a third, nor inside a function (which import-linter's ignore list
    could otherwise hide)."""
    edges, _ = folder_cycles.folder_graph()
    assert folder_cycles.strongly_connected(edges) == []


def test_every_feature_with_pages_registers_itself():
    for views in sorted(ROOT.glob("mdt/**/views.py")):
        package = ".".join(views.parent.relative_to(ROOT).parts)
        assert callable(getattr(importlib.import_module(package), "init_app", None)), package


def test_the_factory_registers_every_blueprint(app):
    found = {name for name in app.blueprints}
    assert {"actions", "audit", "auth", "calendar", "care_plans", "fhir", "health", "home",
            "imports", "letters", "lifecycle", "meetings", "oidc", "patients", "referrals",
            "reminders", "reports", "teams", "visits"} <= found
