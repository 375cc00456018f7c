#!/usr/bin/env bash
# A whole ICB, measured (issue 21, item 5): a fresh PostgreSQL database, the migrations,
# seed-scale, gunicorn, one RQ worker (with the reminders' planner) and a Redis of its own,
# then Locust headless for a bounded time (bench/locustfile.py); prints the seed time, p50
# and p95 per endpoint, the error count and the machine's load average, and cleans up
# (stops what it started, drops the database).
#
#   bench/icb_scale.sh            500 teams, 50,000 patients, 5,000 users, 24 months
#   bench/icb_scale.sh --small    5 teams, 500 patients, 60 users, 3 months: a quick check
#
# Settings (environment): PGURL (postgresql://postgres@127.0.0.1:5432), PORT (8021),
# WEB_WORKERS (4), LOCUST (/tmp/locustenv/bin/locust; make it with
#   python3 -m venv /tmp/locustenv && /tmp/locustenv/bin/pip install locust),
# USERS (Locust users, 60), SPAWN (10 a second), RUN_TIME (2m), THINK_SCALE (1),
# KEEP_DB=1 (keep the database and copy the manifest beside it, for bench/explain_hot.py or
# another run; dropped otherwise), REUSE_DB=name MANIFEST=path (run Locust again on a kept
# database: no seeding, and the database is kept).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE=(--teams 500 --patients 50000 --users 5000 --months 24 --live 25)
if [[ "${1:-}" == "--small" ]]; then
  SIZE=(--teams 5 --patients 500 --users 60 --months 3 --live 2)
  : "${USERS:=12}" "${RUN_TIME:=30s}"
fi
PGURL=${PGURL:-postgresql://postgres@127.0.0.1:5432}
PORT=${PORT:-8021}
WEB_WORKERS=${WEB_WORKERS:-4}
LOCUST=${LOCUST:-/tmp/locustenv/bin/locust}
USERS=${USERS:-60}
SPAWN=${SPAWN:-10}
RUN_TIME=${RUN_TIME:-2m}
BIN="$ROOT/.venv/bin"
DB="${REUSE_DB:-mdt_icb_$$}"
[[ -n "${REUSE_DB:-}" ]] && KEEP_DB=1
WORK=$(mktemp -d /tmp/icb_scale.XXXXXX)
REDIS_PORT=$((20000 + $$ % 10000))
PIDS=()

[[ -x "$LOCUST" ]] || { echo "no Locust at $LOCUST: python3 -m venv /tmp/locustenv && /tmp/locustenv/bin/pip install locust" >&2; exit 2; }

cleanup() {
  set +e
  # The web app and the worker first (the worker waits for Redis if it goes first), then
  # Redis; whatever has not stopped 15 s later is killed.
  for pid in "${PIDS[@]:1}"; do kill "$pid" 2>/dev/null; done
  for _ in $(seq 15); do
    alive=0
    for pid in "${PIDS[@]:1}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 1
  done
  for pid in "${PIDS[@]:1}"; do pkill -KILL -P "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null; done
  kill "${PIDS[0]}" 2>/dev/null
  wait 2>/dev/null
  if [[ "${KEEP_DB:-}" == 1 ]]; then
    [[ -f "$WORK/icb.json" && -z "${REUSE_DB:-}" ]] && cp "$WORK/icb.json" "/tmp/$DB.json"
    echo "Kept the database: $PGURL/$DB (manifest /tmp/$DB.json)"
  else
    psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

[[ -n "${REUSE_DB:-}" ]] || psql "$PGURL/postgres" -qc "CREATE DATABASE \"$DB\"" >/dev/null
export DATABASE_URL="${PGURL/postgresql:/postgresql+psycopg:}/$DB"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export BASE_URL="http://127.0.0.1:$PORT" MDT_ENV=development
export SECRET_KEY=${SECRET_KEY:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}
cd "$ROOT"

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  >"$WORK/redis.log" 2>&1 &
PIDS+=($!)

if [[ -n "${REUSE_DB:-}" ]]; then
  cp "${MANIFEST:?set MANIFEST to the kept manifest}" "$WORK/icb.json"
  seed_seconds="(reused $DB)"
else
  echo "== migrations"
  "$BIN/flask" --app wsgi db upgrade >"$WORK/migrate.log" 2>&1
  echo "== seed-scale ${SIZE[*]} (PostgreSQL)"
  start=$(date +%s.%N)
  "$BIN/flask" --app wsgi seed-scale "${SIZE[@]}" --out "$WORK/icb.json"
  end=$(date +%s.%N)
  seed_seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  psql "$PGURL/$DB" -qc "ANALYZE" >/dev/null
  echo "seed-scale took $seed_seconds s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
fi

echo "== gunicorn -w $WEB_WORKERS, one RQ worker"
"$BIN/gunicorn" -w "$WEB_WORKERS" -b "127.0.0.1:$PORT" --access-logfile /dev/null \
  --error-logfile "$WORK/gunicorn.log" wsgi:app &
PIDS+=($!)
"$BIN/python" worker.py >"$WORK/worker.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 60); do
  curl -fs "http://127.0.0.1:$PORT/sign-in" >/dev/null 2>&1 && break
  sleep 1
done

echo "== Locust: $USERS users, $SPAWN/s, $RUN_TIME"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# The one-minute load average every 10 s while Locust runs (before and after say little).
( while sleep 10; do cut -d' ' -f1 /proc/loadavg; done ) >"$WORK/load.txt" &
sampler=$!
status=0
MDT_MANIFEST="$WORK/icb.json" "$LOCUST" -f bench/locustfile.py --headless \
  -H "http://127.0.0.1:$PORT" -u "$USERS" -r "$SPAWN" -t "$RUN_TIME" \
  --csv "$WORK/locust" --only-summary --stop-timeout 10 >"$WORK/locust.log" 2>&1 || status=$?
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
kill "$sampler" 2>/dev/null
load_during=$(awk '{ s += $1; if ($1 > m) m = $1 } END { if (NR) printf "mean %.2f, highest %.2f", s / NR, m }' "$WORK/load.txt")

python3 - "$WORK/locust_stats.csv" "$WORK/locust_failures.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(f"{'endpoint':52} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>6}")
for row in rows:
    name = row["Name"] if row["Type"] != "" else row["Name"]
    label = f"{row['Type']} {name}".strip() if row["Name"] != "Aggregated" else "all"
    print(f"{label[:52]:52} {row['Request Count']:>8} {row['Failure Count']:>6} "
          f"{row['50%']:>7} {row['95%']:>7} {float(row['Requests/s']):6.1f}")
failures = list(csv.DictReader(open(sys.argv[2])))
for row in failures[:10]:
    print(f"  error: {row['Method']} {row['Name']}: {row['Error'][:100]} x{row['Occurrences']}")
EOF
echo "seed: $seed_seconds s; load average before the run $load_before, after $load_after;" \
     "during it (one-minute, every 10 s): $load_during ($(nproc) cores)"
grep -E "Traceback|Error" "$WORK/gunicorn.log" | head -5 || true
sent=$(psql "$PGURL/$DB" -Atc "SELECT status || ' ' || count(*) FROM reminders GROUP BY status" \
       | tr '\n' ' ')
echo "reminders by status after the run: $sent"
exit $status
