"""The merge engine: worked examples from the domain and properties (hypothesis)."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from mdt.visits.merge import DAILY_LIMIT_MINUTES, VisitData, apply, day_loads, suggest, undo

DAY = date(2026, 12, 1)
MATRON, NURSE, GP = 1, 2, 3


def visit(id, professional, skills, patient=10, day=DAY, minutes=30):
    return VisitData(id=id, patient_id=patient, day=day, professional_id=professional,
                     minutes=minutes, skills=frozenset(skills))


def test_syringe_driver_and_dressing_become_one_visit_by_the_matron():
    visits = [visit(1, MATRON, {"syringe_driver"}), visit(2, NURSE, {"wound_care"})]
    skills = {MATRON: frozenset({"syringe_driver", "wound_care"}),
              NURSE: frozenset({"wound_care"})}
    [only] = suggest(visits, skills)
    assert (only.host_visit_id, only.merged_visit_ids) == (1, (2,))
    text = only.explain({MATRON: "Grace Okafor"}, {"wound_care": "Wound care",
                                                   "syringe_driver": "Syringe driver"})
    assert text == ("Grace Okafor holds syringe driver and wound care: one visit instead of "
                    "two, saves about 30 minutes.")


def test_nobody_holds_both_skills_no_suggestion():
    visits = [visit(1, MATRON, {"syringe_driver"}), visit(2, NURSE, {"wound_care"})]
    skills = {MATRON: frozenset({"syringe_driver"}), NURSE: frozenset({"wound_care"})}
    assert suggest(visits, skills) == []


def test_three_visits_where_only_two_can_merge():
    visits = [visit(1, MATRON, {"syringe_driver"}), visit(2, NURSE, {"wound_care"}),
              visit(3, GP, {"medication_review"})]
    skills = {MATRON: frozenset({"syringe_driver", "wound_care"}),
              NURSE: frozenset({"wound_care"}), GP: frozenset({"medication_review"})}
    [only] = suggest(visits, skills)
    assert only.merged_visit_ids == (2,) and only.host_visit_id == 1


def test_different_patients_or_days_never_merge():
    visits = [visit(1, MATRON, {"wound_care"}), visit(2, NURSE, {"wound_care"}, patient=11),
              visit(3, NURSE, {"wound_care"}, day=date(2026, 12, 2))]
    skills = {MATRON: frozenset({"wound_care"}), NURSE: frozenset({"wound_care"})}
    assert suggest(visits, skills) == []


def test_daily_limit_is_respected():
    full_day = visit(9, MATRON, {"wound_care"}, patient=99, minutes=DAILY_LIMIT_MINUTES - 20)
    visits = [full_day, visit(1, MATRON, {"wound_care"}), visit(2, NURSE, {"wound_care"})]
    skills = {MATRON: frozenset({"wound_care"}), NURSE: frozenset({"wound_care"})}
    [only] = suggest(visits, skills)
    assert only.host_professional_id == NURSE  # the matron has no room left


skill_names = st.sampled_from(["syringe_driver", "wound_care", "injections", "bloods"])
visits_strategy = st.lists(
    st.builds(lambda pid, prof, skills, patient, offset, minutes: (pid, prof, skills, patient,
                                                                   offset, minutes),
              st.integers(), st.integers(1, 4), st.frozensets(skill_names, min_size=1,
                                                              max_size=2),
              st.integers(1, 3), st.integers(0, 1), st.integers(10, 240)),
    max_size=14)
skills_strategy = st.dictionaries(st.integers(1, 4), st.frozensets(skill_names, max_size=4),
                                  min_size=4, max_size=4)


def _visits(raw):
    return [VisitData(id=n, patient_id=patient, day=date(2026, 12, 1 + offset),
                      professional_id=prof, minutes=minutes, skills=skills)
            for n, (_, prof, skills, patient, offset, minutes) in enumerate(raw, 1)]


@settings(max_examples=300, deadline=None)
@given(visits_strategy, skills_strategy)
def test_merge_engine_properties(raw, skills):
    visits = _visits(raw)
    suggestions = suggest(visits, skills)
    assert suggestions == suggest(list(reversed(visits)), skills)  # deterministic
    by_id = {v.id: v for v in visits}
    used = set()
    state = list(visits)
    for s in suggestions:
        group = [by_id[s.host_visit_id], *(by_id[i] for i in s.merged_visit_ids)]
        assert len({(v.patient_id, v.day) for v in group}) == 1  # one patient, one day
        assert s.skills <= skills[s.host_professional_id]  # holds every skill needed
        assert not used & {v.id for v in group}  # a visit is in one suggestion at most
        used |= {v.id for v in group}
        before = by_id[s.host_visit_id]
        after = apply(state, s)
        assert sum(v.status == "planned" for v in after) == \
            sum(v.status == "planned" for v in state) - s.visits_saved  # never more visits
        assert undo(after, s, next(v for v in state if v.id == s.host_visit_id)) == state
        state = after
        assert before.id == s.host_visit_id
    loads = day_loads(state)
    original = day_loads(visits)
    for key, minutes in loads.items():  # never past the limit (unless it started past it)
        assert minutes <= max(DAILY_LIMIT_MINUTES, original.get(key, 0))
