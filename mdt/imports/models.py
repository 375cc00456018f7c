"""Caseload import: each team's remembered column mapping, and an uploaded file's parsed
rows kept server-side between the preview and the import (referred to by an opaque token,
so no patient data travels in a URL; dropped after the import or when it expires)."""

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mdt.dbtypes import UTCDateTime
from mdt.extensions import db
from mdt.timeutil import utcnow


class ImportMapping(db.Model):
    """Which column of the practice's report holds which field, remembered per team."""

    __tablename__ = "import_mappings"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    columns: Mapped[dict] = mapped_column(JSON, default=dict)  # {field: header text}
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ImportBatch(db.Model):
    """One uploaded file, parsed, waiting for its preview to be accepted. Only the user who
    uploaded it, for the team they chose, can see or import it."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False, index=True)
    headers: Mapped[list] = mapped_column(JSON, default=list)
    rows: Mapped[list] = mapped_column(JSON, default=list)  # emptied once imported
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="previewed")  # / imported
    imported_at = mapped_column(UTCDateTime, nullable=True)
