"""EXPLAIN ANALYZE for the hot pages' queries on a seeded ICB (issue 21, item 5).

On a PostgreSQL database seed-scale filled (bench/icb_scale.sh with KEEP_DB=1 keeps it):

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/mdt_icb_NNN \
        .venv/bin/python bench/explain_hot.py [--password icb-scale-bench-2026] [--all]

Signs in (Flask's test client, no server) as a district nurse with visits today, a chair
with a meeting coming and a chair running one live; opens /visits, the meeting page, the
live page, /patients and the nurse's calendar feed; records every statement each page runs
and prints its plan's time and shape (a Seq Scan on a big table is what an index would
fix). --all prints every plan, not only the statements over 1 ms or with a Seq Scan."""

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, text  # noqa: E402

from mdt import create_app  # noqa: E402
from mdt.extensions import db  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--password", default="icb-scale-bench-2026")
    parser.add_argument("--all", action="store_true")
    args = parser.parse_args()
    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            print("explain_hot: PostgreSQL only", file=sys.stderr)
            return 2
        pick = db.session.execute(text(
            "SELECT u.email, u.id FROM visits v JOIN users u ON u.id = v.professional_id "
            "WHERE v.day = CURRENT_DATE AND u.profession = 'district_nurse' "
            "ORDER BY v.id LIMIT 1")).one()
        nurse_email, nurse_id = pick
        chair_email, meeting_id = db.session.execute(text(
            "SELECT u.email, m.id FROM meetings m JOIN users u ON u.id = m.chair_id "
            "WHERE m.status = 'scheduled' ORDER BY m.starts_at, m.id LIMIT 1")).one()
        live = db.session.execute(text(
            "SELECT u.email, m.id FROM meetings m JOIN users u ON u.id = m.chair_id "
            "WHERE m.status = 'in_progress' ORDER BY m.id LIMIT 1")).first()
        from mdt.calendar import service as calendar
        token = calendar.issue(nurse_id)  # a fresh link: the seeded ones are stored hashed
        db.session.commit()  # services leave the commit to their caller
    pages = [(nurse_email, "/visits"), (chair_email, f"/meetings/{meeting_id}"),
             (chair_email, "/patients"), (chair_email, "/patients?page=3"),
             (None, f"/calendar/{token}.ics")]
    if live:
        pages.insert(2, (live[0], f"/meetings/{live[1]}/live"))
    for email, path in pages:
        client = app.test_client()
        if email:
            response = client.post("/sign-in", data={"email": email,
                                                     "password": args.password})
            assert response.status_code == 302, response.status_code
        if email:  # warm (the feed is measured cold: its build is what costs)
            client.get(path)
        statements = []
        with app.app_context():
            engine = db.engine

            def before(conn, cursor, statement, parameters, context, executemany,
                       statements=statements):
                if not executemany and statement.lstrip().upper().startswith("SELECT"):
                    statements.append((statement, parameters))

            event.listen(engine, "before_cursor_execute", before)
            try:
                status = client.get(path).status_code
            finally:
                event.remove(engine, "before_cursor_execute", before)
            print(f"\n=== {path} ({email or 'feed'}): {status}, {len(statements)} SELECTs")
            with engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                for statement, parameters in statements:
                    with raw.cursor() as cursor:
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                        plan = [row[0] for row in cursor.fetchall()]
                    raw.rollback()
                    took = next((float(m.group(1)) for line in plan if (
                        m := re.search(r"Execution Time: ([\d.]+) ms", line))), 0.0)
                    seq = [line.strip() for line in plan if "Seq Scan" in line]
                    if args.all or took > 1 or seq:
                        print(f"--- {took:.2f} ms: {' '.join(statement.split())[:300]}")
                        for line in plan if args.all else [*seq, *[
                                line for line in plan if "Index" in line][:4]]:
                            print("    " + line.strip()[:160])
    return 0


if __name__ == "__main__":
    sys.exit(main())
