"""HTML to PDF with WeasyPrint (outcome letters, care plans): the app's own stylesheet, nothing fetched from outside
(a letter never loads a remote file, so no patient data leaves in a request)."""

from pathlib import Path

CSS_FOLDER = Path(__file__).resolve().parents[1] / "static" / "css"


def _no_fetch(url, *args, **kwargs):
    raise ValueError("letters load nothing from outside")


def render_pdf(html: str, stylesheet: str = "letter.css") -> bytes:
    """PDF of the HTML with one of the app's stylesheets (static/css/<stylesheet>)."""
    from weasyprint import CSS, HTML  # imported late: it loads Pango once, on first use

    return HTML(string=html, url_fetcher=_no_fetch).write_pdf(
        stylesheets=[CSS(filename=str(CSS_FOLDER / stylesheet))])
