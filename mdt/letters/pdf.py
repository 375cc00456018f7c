"""HTML to PDF with WeasyPrint: the letter's own stylesheet, nothing fetched from outside
(a letter never loads a remote file, so no patient data leaves in a request)."""

from pathlib import Path

STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "css" / "letter.css"


def _no_fetch(url, *args, **kwargs):
    raise ValueError("letters load nothing from outside")


def render_pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML  # imported late: it loads Pango once, on first use

    return HTML(string=html, url_fetcher=_no_fetch).write_pdf(
        stylesheets=[CSS(filename=str(STYLESHEET))])
