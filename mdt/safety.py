"""The clinical hazard log (docs/clinical-safety/hazard-log.toml): load it, check its shape,
and render the summary table of the safety case report."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "docs" / "clinical-safety" / "hazard-log.toml"
REPORT = ROOT / "docs" / "clinical-safety" / "safety-case.md"
TABLE_START = "<!-- hazard-table:start (generated: flask --app wsgi safety-table --write) -->"
TABLE_END = "<!-- hazard-table:end -->"
SEVERITY = {1: "Minor", 2: "Significant", 3: "Considerable", 4: "Major", 5: "Catastrophic"}
LIKELIHOOD = {1: "Very low", 2: "Low", 3: "Medium", 4: "High", 5: "Very high"}


def load(path: Path = LOG) -> list[dict]:
    return tomllib.loads(path.read_text())["hazard"]


def risk_class(severity: int, likelihood: int) -> int:
    """DCB0129's 5x5 matrix, as risk classes 1 (acceptable) to 5 (unacceptable)."""
    score = severity * likelihood
    return 1 if score <= 3 else 2 if score <= 6 else 3 if score <= 12 else 4 if score <= 19 else 5


def problems(hazards: list[dict]) -> list[str]:
    """What is wrong with the log's shape (not whether its tests passed)."""
    found, seen = [], set()
    for hazard in hazards:
        hid = hazard.get("id", "?")
        if hid in seen:
            found.append(f"{hid}: id used twice")
        seen.add(hid)
        for key in ("title", "cause", "effect"):
            if not hazard.get(key):
                found.append(f"{hid}: no {key}")
        for key in ("severity", "likelihood", "residual_severity", "residual_likelihood"):
            if hazard.get(key) not in range(1, 6):
                found.append(f"{hid}: {key} must be 1 to 5")
        controls = hazard.get("control", [])
        if not any(control.get("tests") for control in controls):
            found.append(f"{hid}: no control is proved by a test")
        for number, control in enumerate(controls, 1):
            if not control.get("tests"):
                found.append(f"{hid} control {number}: names no test")
    return found


def named_tests(hazards: list[dict]) -> set[str]:
    return {test for h in hazards for c in h.get("control", []) for test in c.get("tests", [])}


def table(hazards: list[dict]) -> str:
    rows = ["| Hazard | Before controls | Controls (tests) | Residual risk |",
            "|---|---|---|---|"]
    for h in hazards:
        before = risk_class(h["severity"], h["likelihood"])
        after = risk_class(h["residual_severity"], h["residual_likelihood"])
        controls = "<br>".join(f"{c['description']} ({len(c.get('tests', []))} "
                               f"test{'s' if len(c.get('tests', [])) != 1 else ''})"
                               for c in h.get("control", []))
        rows.append(f"| {h['id']} {h['title']} | {SEVERITY[h['severity']]} x "
                    f"{LIKELIHOOD[h['likelihood']].lower()}: class {before} | {controls} | "
                    f"{SEVERITY[h['residual_severity']]} x "
                    f"{LIKELIHOOD[h['residual_likelihood']].lower()}: class {after} |")
    return "\n".join(rows)


def report_with_table(report: str, hazards: list[dict]) -> str:
    head, rest = report.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    return f"{head}{TABLE_START}\n{table(hazards)}\n{TABLE_END}{tail}"
