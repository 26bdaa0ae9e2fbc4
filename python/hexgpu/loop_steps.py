"""The loop's child processes and its files: a child dies with the loop (so a rerun never
races an orphan), SIGINT/SIGTERM end the child and the loop, JSON is written atomically."""
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from typing import Dict, List, Optional

PR_SET_PDEATHSIG = 1


class StepFailed(Exception):
    """A child exited non-zero: (command, exit code, the tail of its log)."""


class Stopped(Exception):
    """SIGINT or SIGTERM reached the loop."""


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _raise_stopped(signum, frame):
    raise Stopped(signal.Signals(signum).name)


def catch_stop_signals() -> None:
    signal.signal(signal.SIGTERM, _raise_stopped)
    signal.signal(signal.SIGINT, _raise_stopped)


def run(command: List[str], log_path: str, env: Optional[Dict[str, str]] = None, echo: bool = False) -> str:
    """Runs command with its stdout and stderr appended to log_path (and echoed to ours when
    echo); returns its stdout. A stop signal terminates the child and is re-raised."""
    with open(log_path, "ab") as log:
        log.write(f"$ {' '.join(command)}\n".encode())
        log.flush()
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT if not echo else None,
                                 env=env, preexec_fn=_die_with_parent)
        out = []
        try:
            for line in child.stdout:
                out.append(line)
                log.write(line)
                log.flush()
                if echo:
                    sys.stdout.write(line.decode(errors="replace"))
                    sys.stdout.flush()
            code = child.wait()
        except BaseException:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            raise
    text = b"".join(out).decode(errors="replace")
    if code != 0:
        tail = "\n".join(text.strip().splitlines()[-5:])
        raise StepFailed(f"{command[0]} {command[1] if len(command) > 1 else ''} exited {code} (log: {log_path})"
                         + (f":\n{tail}" if tail else ""))
    return text


def write_json(path: str, value) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=1, sort_keys=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_json(path: str):
    with open(path) as f:
        return json.load(f)


def elo_of(wins: float, games: float) -> float:
    """Elo of a score with half a win added to each side (finite for 0 or all wins), for
    the curve; the match's own interval is kept beside it."""
    import math
    score = (wins + 0.5) / (games + 1.0)
    return -400.0 * math.log10(1.0 / score - 1.0)


class Timer:
    def __init__(self):
        self.start = time.monotonic()

    def seconds(self) -> float:
        return round(time.monotonic() - self.start, 1)
