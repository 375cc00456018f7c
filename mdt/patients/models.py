from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from mdt.audit.reads import note_patients
from mdt.dbtypes import UTCDateTime, one_of
from mdt.extensions import db
from mdt.patients.lifecycle import PathwayStage, Status
from mdt.timeutil import london_today, utcnow

PATHWAY_STAGES = {
    "living_with_cancer": "Living with cancer",
    "palliative": "Palliative",
    "end_of_life": "End of life",
}


class Patient(db.Model):
    __tablename__ = "patients"
    __table_args__ = (one_of("pathway_stage", PathwayStage),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nhs_number: Mapped[str] = mapped_column(String(10), unique=True)  # 10 digits, no spaces
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100), index=True)
    date_of_birth = mapped_column(Date, nullable=False)
    address: Mapped[str] = mapped_column(Text, default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    gp_practice: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    # From the practice's caseload import (mdt/imports): how letters address them and the GP.
    title: Mapped[str] = mapped_column(String(20), default="", server_default="")
    usual_gp: Mapped[str] = mapped_column(String(120), default="", server_default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    pathway_stage: Mapped[str] = mapped_column(String(30), default="living_with_cancer")
    pathway_stage_changed_on = mapped_column(Date, nullable=True)
    # Optimistic locking: an edit made on a stale copy is refused, not silently lost.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def stage_label(self) -> str:
        return PATHWAY_STAGES.get(self.pathway_stage, self.pathway_stage)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@event.listens_for(Patient, "load")
def _seen(patient, context):
    """Every patient loaded in a request is one its audited read names (mdt.audit.reads)."""
    note_patients([patient.id])


class PatientTeam(db.Model):
    """Which teams a patient is on (visible only to these), and the team's key worker."""

    __tablename__ = "patient_teams"
    __table_args__ = (one_of("status", Status),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True, index=True)
    listed_on = mapped_column(Date, default=london_today, nullable=False)
    key_worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True,
                                                      index=True)
    # On this team's caseload, or why not (mdt/patients/lifecycle.py): the row stays after a
    # death, discharge or transfer, so the team keeps the history, read-only.
    status: Mapped[str] = mapped_column(String(20), default="on_caseload",
                                        server_default="on_caseload", index=True)
    status_changed_on = mapped_column(Date, nullable=True)


class LifecycleEvent(db.Model):
    """One change of a patient's place on a team's caseload: died, discharged, moved to
    another team, re-referred. Details hold the transition's own facts (place of death and
    the preferred place at the time, the reason, the receiving team)."""

    __tablename__ = "lifecycle_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    happened_on = mapped_column(Date, nullable=False, index=True)  # e.g. the date of death
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class KeyWorkerHandover(db.Model):
    """One change of key worker: from whom, to whom, when, why, and where it was decided."""

    __tablename__ = "key_worker_handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_in: Mapped[str] = mapped_column(String(20), default="direct")  # direct / meeting
    meeting_case_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class KeyInfoSection(db.Model):
    """One section of the shared key information (the "red book"); fields as JSON, shaped
    by mdt.patients.key_info.SECTIONS. Each section is versioned and edited on its own."""

    __tablename__ = "key_info_sections"
    __table_args__ = (UniqueConstraint("patient_id", "section"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    section: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    changed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class Hna(db.Model):
    """A Holistic Needs Assessment: when, by whom, and the concerns raised."""

    __tablename__ = "hnas"
    # each patient's last assessment per team, for the patient and case lists
    __table_args__ = (Index("ix_hnas_team_patient_assessed", "team_id", "patient_id",
                            "assessed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    assessed_on = mapped_column(Date, nullable=False)
    assessed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class HnaConcern(db.Model):
    __tablename__ = "hna_concerns"

    id: Mapped[int] = mapped_column(primary_key=True)
    hna_id: Mapped[int] = mapped_column(ForeignKey("hnas.id"), index=True)
    text: Mapped[str] = mapped_column(String(200))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"), nullable=True)
