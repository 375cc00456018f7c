"""The merge engine: pure functions on plain data, no database, no Flask.

Finds planned visits to the same patient on the same day by different professionals and
proposes folding them into as few visits as possible, each done by one of those
professionals who holds every skill the merged tasks need, without taking that person's day
past the daily limit. Greedy: the professional who can take the most visits hosts first (ties:
fewest extra minutes, then lowest visit id), so the same input always gives the same answer.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

MINUTES_SAVED_PER_VISIT = 30  # travel and arrival for a home visit that no longer happens
DAILY_LIMIT_MINUTES = 7 * 60 + 30
_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}


@dataclass(frozen=True)
class VisitData:
    id: int
    patient_id: int
    day: date
    professional_id: int
    minutes: int
    skills: frozenset  # skills the visit's tasks need
    status: str = "planned"
    merged_into: int | None = None


@dataclass(frozen=True)
class Suggestion:
    patient_id: int
    day: date
    host_visit_id: int
    host_professional_id: int
    merged_visit_ids: tuple  # folded into the host (not including it)
    minutes_saved: int
    skills: frozenset

    @property
    def visits_saved(self) -> int:
        return len(self.merged_visit_ids)

    def explain(self, names: dict, skill_labels: dict) -> str:
        """'Grace Okafor holds wound care and syringe driver: one visit instead of two,
        saves about 30 minutes.'"""
        held = " and ".join(sorted(skill_labels.get(s, s).lower() for s in self.skills))
        before = self.visits_saved + 1
        return (f"{names.get(self.host_professional_id, 'One professional')} holds {held}: "
                f"one visit instead of {_WORDS.get(before, before)}, saves about "
                f"{self.minutes_saved} minutes.")


def day_loads(visits) -> dict:
    """Planned minutes per (professional, day)."""
    loads = defaultdict(int)
    for visit in visits:
        if visit.status == "planned":
            loads[(visit.professional_id, visit.day)] += visit.minutes
    return loads


def suggest(visits, skills_by_professional: dict, *,
            daily_limit: int = DAILY_LIMIT_MINUTES) -> list[Suggestion]:
    """Merge suggestions for the given visits (typically one team's day)."""
    loads = defaultdict(int)
    groups = defaultdict(list)  # (patient, day) -> its planned visits
    for visit in visits:
        if visit.status == "planned":
            loads[(visit.professional_id, visit.day)] += visit.minutes
            groups[(visit.patient_id, visit.day)].append(visit)
    suggestions = []
    # Only a patient seen by two or more professionals that day can gain; groups in
    # (patient, day) order, as the loads they change carry over to the next group.
    for patient_id, day in sorted(key for key, group in groups.items() if len(group) > 1
                                  and len({v.professional_id for v in group}) > 1):
        # Smallest first (then by id): the order in which a host takes guests in.
        remaining = sorted(groups[(patient_id, day)], key=_size_then_id)
        while len({v.professional_id for v in remaining}) > 1:
            best = _best_host(remaining, skills_by_professional, loads, daily_limit)
            if best is None:
                break
            host, guests, minutes = best
            loads[(host.professional_id, day)] += minutes
            for guest in guests:
                loads[(guest.professional_id, day)] -= guest.minutes
            suggestions.append(Suggestion(
                patient_id=patient_id, day=day, host_visit_id=host.id,
                host_professional_id=host.professional_id,
                merged_visit_ids=tuple(sorted(v.id for v in guests)),
                minutes_saved=MINUTES_SAVED_PER_VISIT * len(guests),
                skills=frozenset().union(host.skills, *(v.skills for v in guests))))
            taken = {host.id, *(v.id for v in guests)}
            remaining = [v for v in remaining if v.id not in taken]
    return suggestions


def _size_then_id(visit):
    return visit.minutes, visit.id


def _best_host(group, skills_by_professional, loads, daily_limit):
    """(host visit, visits it can take in, their minutes) covering the most visits, or
    None. `group` is in (minutes, id) order."""
    best, best_key = None, None
    for host in group:
        held = skills_by_professional.get(host.professional_id, frozenset())
        if not host.skills <= held:
            continue
        room = daily_limit - loads[(host.professional_id, host.day)]
        guests, minutes = [], 0
        for visit in group:
            if visit.professional_id == host.professional_id:
                continue  # the host itself, or another visit the host's professional makes
            if visit.minutes <= room and visit.skills <= held:
                guests.append(visit)
                room -= visit.minutes
                minutes += visit.minutes
        if not guests:
            continue
        key = (-len(guests), minutes, host.id)
        if best_key is None or key < best_key:
            best, best_key = (host, guests, minutes), key
    return best


def apply(visits, suggestion: Suggestion) -> list[VisitData]:
    """The visits after a merge: guests marked merged, the host carrying their tasks."""
    guests = set(suggestion.merged_visit_ids)
    by_id = {v.id: v for v in visits}
    added = sum(by_id[g].minutes for g in guests)
    out = []
    for visit in visits:
        if visit.id == suggestion.host_visit_id:
            out.append(replace(visit, minutes=visit.minutes + added,
                               skills=suggestion.skills))
        elif visit.id in guests:
            out.append(replace(visit, status="merged", merged_into=suggestion.host_visit_id))
        else:
            out.append(visit)
    return out


def undo(visits, suggestion: Suggestion, host_before: VisitData) -> list[VisitData]:
    guests = set(suggestion.merged_visit_ids)
    out = []
    for visit in visits:
        if visit.id == suggestion.host_visit_id:
            out.append(host_before)
        elif visit.id in guests:
            out.append(replace(visit, status="planned", merged_into=None))
        else:
            out.append(visit)
    return out
