from mdt.forms import Form


class FeedLinkForm(Form):
    """Make a new secret link, or turn one off: nothing to fill in but the CSRF token."""
