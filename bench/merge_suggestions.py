"""Benchmark: merge suggestions for one team's day of 2,000 visits (the pure engine).

    .venv/bin/python bench/merge_suggestions.py
"""

import random
import time
from datetime import date

from mdt.visits.merge import VisitData, suggest

SKILLS = ["syringe_driver", "wound_care", "injections", "bloods", "catheter_care",
          "medication_review"]


def day_of_visits(count: int, seed: int = 7):
    rng = random.Random(seed)
    # 250 professionals: about 8 visits each, a realistic day.
    professionals = {p: frozenset(rng.sample(SKILLS, rng.randint(2, 5))) for p in range(250)}
    visits = []
    for n in range(count):
        prof = rng.randrange(250)
        need = frozenset(rng.sample(sorted(professionals[prof]), 1))
        visits.append(VisitData(id=n + 1, patient_id=rng.randrange(count // 2),
                                day=date(2026, 12, 1), professional_id=prof,
                                minutes=rng.choice([15, 20, 30, 45]), skills=need))
    return visits, professionals


def main() -> None:
    visits, skills = day_of_visits(2000)
    suggest(visits, skills)  # warm up
    runs = 20
    began = time.perf_counter()
    for _ in range(runs):
        found = suggest(visits, skills)
    elapsed = (time.perf_counter() - began) / runs
    print(f"2,000 visits: {len(found)} suggestions in {elapsed * 1000:.1f} ms per run "
          f"(target: well under 50 ms)")


if __name__ == "__main__":
    main()
