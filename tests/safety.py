"""A pytest plugin: after a full run, every test the hazard log names must have run and
passed. A control whose proof is missing, skipped or red fails the run."""

import pytest

from mdt.safety import load, named_tests

_outcomes: dict[str, list[str]] = {}
_collected: set[str] = set()


def pytest_collection_modifyitems(session, config, items):
    _collected.update(item.nodeid for item in items)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    """Under pytest-xdist the controller collects nothing itself: its workers tell it."""
    _collected.update(ids)


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _outcomes.setdefault(report.nodeid, []).append(
            "skipped" if report.skipped else report.outcome)


def _base(nodeid: str) -> str:
    return nodeid.split("[", 1)[0]


def verdicts(named: set[str], collected: set[str], outcomes: dict) -> list[str]:
    """Problems with the named tests in this run (pure, so it is tested too). Files this run
    did not collect at all (a partial run) are left out: test_every_named_test_exists checks
    that every named test exists, whatever was run."""
    found = []
    files = {nid.split("::", 1)[0] for nid in collected}
    for test in sorted(named):
        if test.split("::", 1)[0] not in files:
            continue
        runs = [nid for nid in collected if _base(nid) == test]
        if not runs:
            found.append(f"{test}: no such test")
            continue
        for nid in runs:
            results = outcomes.get(nid, ["not run"])
            if any(r != "passed" for r in results):
                found.append(f"{nid}: {', '.join(sorted(set(results)))}")
    return found


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, "workerinput"):
        return  # a pytest-xdist worker ran only its share: the controller judges the run
    if "tests/test_hazard_log.py::test_the_hazard_log_is_complete" not in _collected:
        return  # the log is only checked by a run that includes its own test
    found = verdicts(named_tests(load()), _collected, _outcomes)
    if found:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line("\nHazard log: controls not proved in this run:", red=True)
            for line in found:
                reporter.write_line(f"  {line}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
