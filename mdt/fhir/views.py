"""GET /patients/<id>/record.fhir.json: the patient's MDT record as a FHIR R4 Bundle, for
members of the patient's team; audited as an export."""

import json

from flask import Blueprint, Response

from mdt.audit import service as audit
from mdt.audit.reads import shows_patient_data
from mdt.auth.scope import current_actor, team_member_required
from mdt.extensions import db
from mdt.fhir import bundle, queries
from mdt.loaders import load
from mdt.patients.models import Patient
from mdt.patients.service import primary_team_id
from mdt.timeutil import utcnow

bp = Blueprint("fhir", __name__)


@bp.get("/patients/<int:patient_id>/record.fhir.json")
@team_member_required
@shows_patient_data("fhir_bundle")
@load("patient_id")
def patient_bundle(patient_id: int, patient: Patient):
    actor = current_actor()
    team_id = primary_team_id(actor, patient_id)
    body = bundle.build(queries.record(patient, team_id), utcnow())
    audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                 action="export", record_type="fhir_bundle", record_id=patient_id,
                 patient_id=patient_id, changes={"format": "fhir_r4_bundle",
                                                 "patients": [patient_id]})
    db.session.commit()
    response = Response(json.dumps(body, indent=2, ensure_ascii=False),
                        mimetype="application/fhir+json")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="mdt-record-{patient_id}.fhir.json"'
    response.headers["Cache-Control"] = "no-store"
    return response
