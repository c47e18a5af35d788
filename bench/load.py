"""Simulated users against the real UI server: latency, errors, and whether memory and disk stay bounded.

Usage:  python -m bench.load [--users 20] [--seconds 300] [--data-dir DIR] [--collection DIR]

Starts ``app.py serve`` on a free 127.0.0.1 port (loopback only, no login: nothing leaves the
machine) in its own process, with its own temporary folder (``TMPDIR`` and ``GRADIO_TEMP_DIR``)
so every file it leaves behind can be counted. After one warm-up answer, ``--users`` threads each
hold one browser-like session (``gradio_client``, one session per user, so every user's chat gets
long and follow-ups carry history) and ask the dev questions in turn, extractive mode, until
``--seconds`` have passed. Users and time are capped (50 users, 30 minutes) so a typo cannot
run the machine into the ground.

Reported: answers, errors, p50/p95 of the time from submit to the final answer, the server's
RSS after warm-up and at the end (sampled every 15 s in between, with the answers so far), growth
per answer over the whole run and over its second half (after warm-up, the figure that says
whether memory is bounded), the load average when the users start and stop (the bench and the
server count in it), and the files left in the server's temporary folder. A row is appended to
``bench/results/load.md`` (or ``--results``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench import machine
from eval.metrics import percentile
from eval.records import load_questions

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "load.md"
MAX_USERS = 50
MAX_SECONDS = 1800
START_TIMEOUT_S = 300  # loading the embedding model and the index on a busy 2-core machine
ANSWER = "/answer"  # the chat's submit event (Gradio names it after the callback)


def rss_mb(pid: int) -> float:
    """Resident memory of the server process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def second_half_growth_kb(samples: list[tuple[float, int, float]]) -> float:
    """RSS growth per answer over the run's second half (KB): the least-squares slope of RSS
    against answers so far, over the samples taken after the midpoint.

    ``samples`` are (seconds, answers so far, RSS MB). The first half holds the warm-up (caches
    filling, every session's chat getting long); a bounded server shows ~0 here. A fit rather
    than last minus middle, because the server's periodic heap trim makes RSS a sawtooth.
    """
    late = [(n, rss) for t, n, rss in samples if t >= samples[-1][0] / 2]
    if len(late) < 3 or late[-1][0] == late[0][0]:
        return float("nan")
    mean_n = sum(n for n, _ in late) / len(late)
    mean_rss = sum(rss for _, rss in late) / len(late)
    covariance = sum((n - mean_n) * (rss - mean_rss) for n, rss in late)
    variance = sum((n - mean_n) ** 2 for n, _ in late)
    return covariance / variance * 1024


def count_files(root: Path) -> tuple[int, int]:
    """(files, folders) under ``root``: what the server left on disk."""
    files = folders = 0
    for _, dirs, names in os.walk(root):
        folders += len(dirs)
        files += len(names)
    return files, folders


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, temp: Path, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    """``app.py serve`` on 127.0.0.1:``port`` with a private temporary folder; waits until it answers."""
    env = {**os.environ, "TMPDIR": str(temp), "GRADIO_TEMP_DIR": str(temp / "gradio")}
    env.pop("PARTYDOCS_UI__USERNAME", None)
    env.pop("PARTYDOCS_UI__PASSWORD", None)
    if args.data_dir:
        env["PARTYDOCS_DATA_DIR"] = str(Path(args.data_dir).resolve())
    if args.collection:
        env["PARTYDOCS_COLLECTION_PATH"] = str(Path(args.collection).resolve())
    log = (temp / "server.log").open("wb")
    command = [sys.executable, str(ROOT / "app.py"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited ({server.returncode}); see {temp / 'server.log'}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/config", timeout=5).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(1)
    server.terminate()
    raise RuntimeError(f"the server did not start within {START_TIMEOUT_S} s; see {temp / 'server.log'}")


class Load:
    """The shared tallies of all simulated users."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.timings_ms: list[float] = []
        self.errors: list[str] = []

    def user(self, url: str, questions: list[str], offset: int, stop_at: float) -> None:
        """One browser session asking question after question until time is up."""
        from gradio_client import Client

        try:
            client = Client(url, verbose=False)
        except Exception as error:  # a failed connection is an error to count, not a crash
            with self.lock:
                self.errors.append(f"connect: {error!r}")
            return
        n = offset
        while time.monotonic() < stop_at:
            question = questions[n % len(questions)]
            n += 1
            started = time.perf_counter()
            try:
                client.predict(question, "extractive", [], [], [], "vi", api_name=ANSWER)
            except Exception as error:  # every failure is counted and reported
                with self.lock:
                    self.errors.append(repr(error)[:300])
                continue
            with self.lock:
                self.timings_ms.append((time.perf_counter() - started) * 1000)
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--data-dir", help="index to serve (default: the settings' data_dir)")
    parser.add_argument("--collection", help="collection the index was built from (default: the settings')")
    parser.add_argument("--questions", default=str(ROOT / "eval" / "questions" / "dev.jsonl"))
    parser.add_argument("--note", default="", help="what was served, for the results row")
    parser.add_argument("--results", default=str(RESULTS), help="Markdown file the row is appended to")
    args = parser.parse_args()
    if not 1 <= args.users <= MAX_USERS or not 1 <= args.seconds <= MAX_SECONDS:
        parser.error(f"--users must be 1..{MAX_USERS} and --seconds 1..{MAX_SECONDS}")
    questions = [q["question"] for q in load_questions(Path(args.questions))]
    machine_line = machine()
    temp = Path(tempfile.mkdtemp(prefix="partydocs-load-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = start_server(port, temp, args)
    try:
        from gradio_client import Client

        warm = Client(url, verbose=False)
        warm.predict(questions[0], "extractive", [], [], [], "vi", api_name=ANSWER)
        warm.close()
        rss_before = rss_mb(server.pid)
        files_before = count_files(temp)
        load = Load()
        load_start = os.getloadavg()[0]
        started = time.monotonic()
        stop_at = started + args.seconds
        users = [
            threading.Thread(target=load.user, args=(url, questions, i * 7, stop_at), daemon=True)
            for i in range(args.users)
        ]
        for thread in users:
            thread.start()
        samples = [(0.0, 0, rss_before)]  # (seconds, answers so far, RSS MB)
        while any(thread.is_alive() for thread in users):
            time.sleep(15)
            samples.append((time.monotonic() - started, len(load.timings_ms), rss_mb(server.pid)))
            print(f"{samples[-1][1]} answers, {len(load.errors)} errors, RSS {samples[-1][2]:.0f} MB", flush=True)
        load_end = os.getloadavg()[0]
        rss_after = rss_mb(server.pid)
        files_after = count_files(temp)
    finally:
        server.terminate()
        server.wait(timeout=60)
    files_at_exit = count_files(temp / "gradio") if (temp / "gradio").exists() else (0, 0)
    answers = len(load.timings_ms)
    p50 = percentile(load.timings_ms, 50) if answers else float("nan")
    p95 = percentile(load.timings_ms, 95) if answers else float("nan")
    growth_kb = (rss_after - rss_before) * 1024 / answers if answers else float("nan")
    late_kb = second_half_growth_kb(samples)
    line = (
        f"| {datetime.now(UTC):%Y-%m-%d %H:%M} | {args.users} | {args.seconds} | {answers} | {len(load.errors)} | "
        f"{p50:.0f} | {p95:.0f} | {rss_before:.0f} | {max([s[2] for s in samples] + [rss_after]):.0f} | "
        f"{rss_after:.0f} | {growth_kb:.1f} | {late_kb:.1f} | {load_start:.1f} → {load_end:.1f} | "
        f"{files_before[0]}/{files_before[1]} → {files_after[0]}/{files_after[1]} "
        f"(exit: {files_at_exit[0]}/{files_at_exit[1]}) | {args.note} |"
    )
    trace = " ".join(f"{rss:.0f}/{n}" for _, n, rss in samples)
    print(line)
    print("RSS MB / answers so far, every 15 s:", trace)
    for error in load.errors[:5]:
        print("error:", error)
    results = Path(args.results)
    if not results.exists():
        results.write_text(
            "# Load: simulated users against the UI server\n\nWritten by `python -m bench.load`; extractive mode, "
            "server on 127.0.0.1, one `gradio_client` session per user asking the dev questions in turn.\n"
            "Latency is submit to final answer (queueing included). RSS is the server process's after a "
            "warm-up answer (before), its peak, and at the end; growth per answer over the run and over its "
            "second half. Load: 1-minute load average when the users start → stop (bench and server "
            "included). Temp files: files/folders in the server's private temporary folder after warm-up → "
            "at the end (exit: left in Gradio's cache after shutdown).\n\n"
            "| date (UTC) | users | seconds | answers | errors | p50 ms | p95 ms | RSS before MB | RSS peak MB | "
            "RSS after MB | growth KB/answer | 2nd half KB/answer | load | temp files/folders | served |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
            encoding="utf-8",
        )
    with results.open("a", encoding="utf-8") as handle:
        handle.write(line + f" <!-- {machine_line}; RSS MB/answers every 15 s: {trace} -->\n")
    shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
