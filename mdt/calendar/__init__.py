"""Calendars: iCalendar invitations (RFC 5545 + RFC 5546) and subscription feeds."""


def init_app(app) -> None:
    """Registers the blueprint; feed tokens are kept out of the logs, and a committed change
    a feed could show moves its cached version on (feed_cache's Session listeners)."""
    from mdt.calendar import feed_cache, logs
    from mdt.calendar.views import bp

    logs.install(app)
    feed_cache.install(app)
    app.register_blueprint(bp)
