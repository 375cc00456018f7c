from flask_wtf import FlaskForm


class FeedLinkForm(FlaskForm):
    """Make a new secret link, or turn one off: nothing to fill in but the CSRF token."""
