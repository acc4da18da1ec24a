"""Runs Emscripten's own emcc driver for many compiles from one process.

Most of a small `emcc` run is Python starting and importing emcc's modules
(about 0.2 s of 0.3 s here). This imports emcc.py once, from the directory of
the `emcc` on PATH, then forks a child per job: each child runs emcc's
`main` with the job's arguments exactly as `emcc ARGS...` would, on a fresh
copy of the imported state, and exits with its status.

Protocol, one line each way per job: stdin gets a log path (which receives
the job's stdout and stderr) and emcc's arguments, separated by NUL bytes;
stdout answers the job's exit status as a decimal line.
"""

import os
import shutil
import sys
import traceback

emcc_path = shutil.which("emcc")
if emcc_path is None:
    sys.exit("emcc is not on PATH")
emscripten_dir = os.path.dirname(os.path.realpath(emcc_path))
driver = os.path.join(emscripten_dir, "emcc.py")
sys.path.insert(0, emscripten_dir)
sys.argv = [driver]
import emcc  # noqa: E402  (the path above is where it lives)


def run_job(log_path, args):
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    argv = [driver] + args
    sys.argv = argv
    try:
        status = emcc.main(argv)
    except SystemExit as exit:
        status = exit.code if isinstance(exit.code, int) else 1
    except BaseException:
        traceback.print_exc()
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status or 0)


for line in sys.stdin:
    log_path, *args = line.rstrip("\n").split("\0")
    child = os.fork()
    if child == 0:
        run_job(log_path, args)
    _, wait_status = os.waitpid(child, 0)
    print(os.waitstatus_to_exitcode(wait_status), flush=True)
