"""Demo visits for tomorrow, with the matron and district nurse pair to merge."""

from datetime import timedelta

from mdt.demo import builder


def add_visits(team, patients, by_email, today):
    """Tomorrow: the matron changes Sunita Sharma's syringe driver and a district nurse
    dresses her leg ulcer, the seed documents' example; the merge suggestion shows for both
    (the matron holds both skills). Not Patrick O'Connell: the demo records his death, which
    cancels his visits. Planned by the chair through the visits service (audited)."""
    chair = builder.team_actor(by_email["chair"].id, team.id)
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
        builder.visit(chair, team_id=team.id, patient_id=patients[index].id,
                      professional_id=by_email[who].id, day=tomorrow, window=window,
                      tasks=names)
