"""Templates ask questions (`meeting.is_finished`, `page.can_defer`); they do not repeat
lifecycle rules by comparing a status, stage, outcome, attendance or state to a string.
The rules live in mdt/<feature>/lifecycle.py, the models and the page presenters."""

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

STATUS_LIKE = r"(?:\w+\.)*(?:\w*status|\w*stage|outcome|attendance|\w*state)(?:\([^()]*\))?"
LITERAL = r"""(?:'[^']*'|"[^"]*")"""
RULES = [
    # meeting.status == "finished", row.case.status != 'removed', status(now) == "waiting"
    re.compile(rf"\b{STATUS_LIKE}\s*(?:==|!=)\s*{LITERAL}"),
    # "finished" == meeting.status
    re.compile(rf"{LITERAL}\s*(?:==|!=)\s*{STATUS_LIKE}\b"),
    # meeting.status in ("scheduled", "in_progress"), status not in ['a']
    re.compile(rf"\b{STATUS_LIKE}\s+(?:not\s+)?in\s*[(\[]\s*{LITERAL}"),
    # invitees | selectattr("attendance", "equalto", "present")
    re.compile(rf"""(?:select|reject)attr\(\s*['"]{STATUS_LIKE}['"]\s*,\s*['"]\w+['"]\s*,"""
               rf"\s*{LITERAL}"),
]
TAG = re.compile(r"{{.*?}}|{%.*?%}", re.S)


def status_comparisons(text: str) -> list[str]:
    return [match.group(0) for tag in TAG.finditer(text) for rule in RULES
            for match in rule.finditer(tag.group(0))]


@pytest.mark.parametrize("bad", [
    '{% if meeting.status == "finished" %}',
    "{{ 'green' if row.case.status == 'discussed' else 'grey' }}",
    '{% if main.status in ("discharged", "transferred") %}',
    '{% if patient.pathway_stage != "end_of_life" %}',
    '{% if invitation.status(now) == "waiting" %}',
    '{% for line in preview.lines if line.status == "error" %}',
    '{% if "done" == action.status %}',
    '{% if review.state == "overdue" %}',
    '{% set here = invitees | selectattr("attendance", "equalto", "present") | list %}',
])
def test_the_rule_sees_a_status_comparison(bad):
    assert status_comparisons(bad)


@pytest.mark.parametrize("fine", [
    "{% if meeting.is_finished %}",
    "{% if page.can_change_list %}",
    '{{ "selected" if status == value }}',  # a filter's chosen value, not a rule
    '{% for label, status in (("Present", "present"), ("Absent", "absent")) %}',
    '{{ "case" if plan.count == 1 else "cases" }}',
])
def test_the_rule_leaves_questions_alone(fine):
    assert not status_comparisons(fine)


def test_no_template_compares_a_status_to_a_string():
    found = {}
    for path in sorted(p for p in TEMPLATES.rglob("*") if p.is_file()):
        hits = status_comparisons(path.read_text(encoding="utf-8"))
        if hits:
            found[str(path.relative_to(TEMPLATES))] = hits
    assert found == {}, ("Templates repeat a lifecycle rule; ask the model or the page's "
                         f"presenter instead (e.g. meeting.is_finished, page.can_defer): {found}")
