"""Demo visits for tomorrow, with the matron and district nurse pair to merge."""

from datetime import timedelta

from mdt.extensions import db
from mdt.visits.models import Visit, VisitTask
from mdt.visits.service import ensure_task_catalogue, task_types


def add_visits(team, patients, by_email, today):
    """Tomorrow: the matron changes Sunita Sharma's syringe driver and a district nurse
    dresses her leg ulcer, the seed documents' example; the merge suggestion shows for both
    (the matron holds both skills). Not Patrick O'Connell: the demo records his death, which
    cancels his visits."""
    ensure_task_catalogue(team.id)
    tasks = {t.name: t.id for t in task_types(team.id)}
    tomorrow = today + timedelta(days=1)
    plan = [  # patient index, professional, window, tasks
        (4, "chair", "morning", ["Syringe driver change"]),
        (4, "dn.patel", "afternoon", ["Dressing"]),
        (0, "dn.patel", "morning", ["Dressing", "Bloods"]),
        (3, "dn.murphy", "morning", ["Injection"]),
        (13, "hospice.ali", "afternoon", ["Syringe driver change", "Wellbeing check"]),
        (6, "dn.murphy", "afternoon", ["Catheter care"]),
    ]
    for index, who, window, names in plan:
        visit = Visit(team_id=team.id, patient_id=patients[index].id,
                      professional_id=by_email[who].id, day=tomorrow, window=window,
                      minutes=30 * len(names), created_by_id=by_email["chair"].id)
        db.session.add(visit)
        db.session.flush()
        db.session.add_all(VisitTask(visit_id=visit.id, task_type_id=tasks[n]) for n in names)
