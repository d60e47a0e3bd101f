"""The real server in a process of its own: gunicorn on a free loopback port, started in
its own session (so a test can signal the whole group), ready once every worker has
loaded the app. Used by the crash test and by bench/morning_peak."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn_gunicorn(target: str, *, port: int, workers: int, env: dict, folder: Path, log: Path,
                   options: tuple = (), timeout: float = 90) -> subprocess.Popen:
    """Starts gunicorn serving `target` and returns once each worker has loaded it: a
    post_worker_init hook in a config written to `folder` leaves one file per worker.
    Output goes to `log`; a server that exits or is not ready in `timeout` s is an error."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "gunicorn.conf.py"
    config.write_text("import os\n\ndef post_worker_init(worker):\n"
                      f"    open(os.path.join({str(folder)!r}, 'worker-%d' % worker.pid), 'w').close()\n")
    command = [sys.executable, "-m", "gunicorn", "--config", str(config), "--chdir", str(ROOT),
               "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
               *options, target]
    with open(log, "ab") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    deadline = time.monotonic() + timeout
    while len([p for p in os.listdir(folder) if p.startswith("worker-")]) < workers:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise RuntimeError(f"gunicorn {target} did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.05)
    return process
