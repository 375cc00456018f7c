from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from mdt.dbtypes import UTCDateTime
from mdt.extensions import db
from mdt.timeutil import utcnow


class CalendarFeed(db.Model):
    """A secret subscription link: a user's own feed (team_id None) or a team's feed.
    Only the SHA-256 of the token is kept; regenerating revokes the row and adds a new one."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # owner / maker
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True,
                                                index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at = mapped_column(UTCDateTime, nullable=True)
    last_used_at = mapped_column(UTCDateTime, nullable=True)
    # What the feed last served, for ETag / Last-Modified: a digest of its content and
    # when that digest last changed.
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    content_changed_at = mapped_column(UTCDateTime, nullable=True)
