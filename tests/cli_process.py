"""``python -m synthgen ARGS`` for tests that run the command line many times, without paying
Python's start and synthgen's imports on each run.

One helper process imports the command line's modules once; each run is a ``fork`` of it that
runs ``synthgen/__main__.py`` as ``python -m synthgen`` does (``runpy``, ``sys.argv`` set), in its own
working folder, its stdout and stderr written to files and its exit status reported. Each run is
still a process of its own: what it changes (the working folder, module state, warning filters, a
crash) dies with it, and one that runs past its timeout is killed. The imports it skips are those
any run makes first (numpy, omegaconf, OpenCV, Pillow, pycocotools and synthgen's config, engine and
formats), about 0.3 s of CPU a run. The environment is the one the helper started with.
"""

from __future__ import annotations

import atexit
import json
import subprocess
import sys
import threading
from pathlib import Path

# the helper process: read one JSON request a line, fork a run, answer one JSON line
HELPER = r"""
import json, os, runpy, signal, sys, tempfile, time, traceback

import numpy, omegaconf, cv2, PIL.Image, pycocotools.mask  # noqa: F401  what every run imports first
import synthgen.cli, synthgen.config.load, synthgen.engine, synthgen.formats, synthgen.registries  # noqa: F401

folder = tempfile.mkdtemp(prefix="synthgen-cli-")
requests, answers = sys.stdin, os.fdopen(os.dup(1), "w")
for line in requests:
    request = json.loads(line)
    out, err = os.path.join(folder, "stdout"), os.path.join(folder, "stderr")
    pid = os.fork()
    if pid == 0:  # the run: as `python -m synthgen ARGS` in request["cwd"]
        code = 1
        try:
            os.close(answers.fileno())  # the helper's answers are not the run's to write
            os.chdir(request["cwd"])
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
            os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
            sys.stdin = open(0, closefd=False)
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
            sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
            sys.argv = ["synthgen", *request["args"]]
            runpy.run_module("synthgen", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:  # what the interpreter does with it
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code & 0xFF)
    deadline = time.monotonic() + request["timeout"]
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.005)
    code = os.waitstatus_to_exitcode(status)
    with open(out, encoding="utf-8", errors="replace") as f:
        stdout = f.read()
    with open(err, encoding="utf-8", errors="replace") as f:
        stderr = f.read()
    answers.write(json.dumps({"returncode": code, "stdout": stdout, "stderr": stderr}) + "\n")
    answers.flush()
"""


class CliProcess:
    """Runs ``python -m synthgen ARGS`` as forks of one helper process (see the module doc)."""

    def __init__(self):
        self._helper: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def _start(self) -> subprocess.Popen:
        if self._helper is None or self._helper.poll() is not None:
            self._helper = subprocess.Popen(
                [sys.executable, "-c", HELPER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
        return self._helper

    def run(self, args: list[str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
        """The result of ``python -m synthgen *args`` in ``cwd``, as ``subprocess.run`` with
        ``capture_output=True, text=True`` gives it; a run past ``timeout`` seconds is killed
        (return code -9)."""
        with self._lock:
            helper = self._start()
            request = {"args": [str(a) for a in args], "cwd": str(cwd), "timeout": timeout}
            helper.stdin.write(json.dumps(request) + "\n")
            helper.stdin.flush()
            answer = helper.stdout.readline()
        if not answer:
            raise RuntimeError(f"the synthgen command-line helper died (exit {helper.wait()})")
        result = json.loads(answer)
        return subprocess.CompletedProcess(
            ["python", "-m", "synthgen", *args], result["returncode"], result["stdout"], result["stderr"]
        )

    def close(self) -> None:
        if self._helper is not None and self._helper.poll() is None:
            self._helper.stdin.close()
            self._helper.wait(timeout=30)
        self._helper = None


CLI = CliProcess()
atexit.register(CLI.close)
