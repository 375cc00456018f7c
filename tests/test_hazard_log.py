"""The hazard log is complete, names real tests, and the safety case's table is current.
(Whether the named tests passed is checked at the end of the run by tests/safety.py.)"""

import ast
from pathlib import Path

from mdt.safety import REPORT, load, named_tests, problems, report_with_table
from tests.safety import verdicts

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {"wrong patient", "case dropped", "action lost", "reminder", "stale key worker",
            "cancelled for one", "without the skill", "calendar", "dnacpr", "clock change",
            "another team"}


def test_the_hazard_log_is_complete():
    hazards = load()
    assert problems(hazards) == []
    titles = " ".join(h["title"].lower() for h in hazards)
    assert not [word for word in REQUIRED if word not in titles]


def test_every_named_test_exists():
    missing = []
    for test in named_tests(load()):
        path, name = test.split("::")
        file = ROOT / path
        names = {node.name for node in ast.walk(ast.parse(file.read_text()))
                 if isinstance(node, ast.FunctionDef)} if file.exists() else set()
        if name not in names:
            missing.append(test)
    assert missing == []


def test_the_safety_case_table_is_generated_from_the_log():
    report = REPORT.read_text()
    assert report == report_with_table(report, load()), \
        "Run: .venv/bin/flask --app wsgi safety-table --write"


def test_the_run_check_catches_missing_skipped_and_failed_tests():
    named = {"t.py::a", "t.py::b", "t.py::c", "t.py::d", "other.py::e"}
    collected = {"t.py::a", "t.py::b[1]", "t.py::b[2]", "t.py::c"}
    outcomes = {"t.py::a": ["passed"], "t.py::b[1]": ["passed"], "t.py::b[2]": ["skipped"],
                "t.py::c": ["failed"]}
    assert verdicts(named, collected, outcomes) == [
        "t.py::b[2]: skipped", "t.py::c: failed", "t.py::d: no such test"]


def test_a_hazard_without_a_tested_control_is_a_problem():
    hazard = {"id": "X", "title": "t", "cause": "c", "effect": "e", "severity": 3,
              "likelihood": 3, "residual_severity": 3, "residual_likelihood": 1,
              "control": [{"description": "d", "tests": []}]}
    assert "X: no control is proved by a test" in problems([hazard])
