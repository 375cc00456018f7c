"""One unit of work per request or job: services add and flush, and the caller (a view, a
job, a command) commits once. A service that must try something and recover does it in a
SAVEPOINT (`with db.session.begin_nested():`), never with a commit or a whole-session
rollback. This test keeps the rule: it reads the source, so it needs no database."""

import ast
from pathlib import Path

import pytest

MDT = Path(__file__).resolve().parents[1] / "mdt"

# Where a transaction may end: the request's plumbing (error pages, the double-submit
# guard, the audited read and refusal), besides views, jobs and command-line commands; and
# the demo (mdt/demo/: the data builder and the seed-demo story), which the seed commands,
# the tests and bench/ drive like a job: it calls the services and commits each step, as a
# request would.
PLUMBING = {"__init__.py", "once.py", "audit/reads.py"}
JOB_FOLDERS = {"demo"}


def _may_end_transactions(path: Path) -> bool:
    name, relative = path.name, path.relative_to(MDT)
    return (name == "views.py" or name.endswith("_views.py") or name in ("jobs.py", "cli.py")
            or relative.as_posix() in PLUMBING or relative.parts[0] in JOB_FOLDERS)


def _ends(tree) -> list[int]:
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("commit", "rollback")]


def _commit_flags(tree) -> list[int]:
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            for arg in node.args.args + node.args.kwonlyargs if arg.arg == "commit"]


def test_only_views_jobs_and_commands_end_a_transaction():
    found = []
    for path in sorted(MDT.rglob("*.py")):
        if _may_end_transactions(path):
            continue
        tree = ast.parse(path.read_text(), str(path))
        found += [f"{path.relative_to(MDT.parent)}:{line}" for line in _ends(tree)]
    assert not found, ("A service commits or rolls back the whole session (use flush, and "
                       "begin_nested() to recover): " + ", ".join(found))


def test_no_service_takes_a_commit_flag():
    found = []
    for path in sorted(MDT.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        found += [f"{path.relative_to(MDT.parent)}:{line}" for line in _commit_flags(tree)]
    assert not found, "A `commit=` parameter: the caller commits instead: " + ", ".join(found)


def test_the_rule_sees_a_commit():
    tree = ast.parse("def save():\n    db.session.commit()\n")
    assert _ends(tree) == [2]
    assert _commit_flags(ast.parse("def f(a, commit=True): pass")) == [1]


def test_a_savepoint_rolled_back_leaves_the_audit_chain_whole(app, make_user):
    """Events chained inside a SAVEPOINT that is then rolled back are gone: the next event
    chains onto the one before the SAVEPOINT, and the trail still verifies."""
    from mdt.audit.chain import verify
    from mdt.audit.service import record
    from mdt.extensions import db

    user = make_user()

    def event(n):
        record(user_id=user.id, role="member", team_id=None, action="view",
               record_type="patient", record_id=n)

    with app.app_context():
        event(1)
        try:
            with db.session.begin_nested():
                event(2)
                db.session.flush()
                raise ValueError("refused")
        except ValueError:
            pass
        with db.session.begin_nested():  # one released: its event stays in the chain
            event(3)
        event(4)
        db.session.commit()
    with app.app_context():
        try:
            with db.session.begin_nested():  # the transaction's first event, undone
                event(5)
        except ValueError:
            pass
        with pytest.raises(ValueError), db.session.begin_nested():
            event(6)
            raise ValueError("refused")
        event(7)
        db.session.commit()
        verdict = verify()
        assert verdict.ok, str(verdict)
        assert verdict.checked == 5  # 1, 3, 4, 5, 7
