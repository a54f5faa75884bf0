"""Run many ``onramp`` command lines, each in its own forked process, after one import.

Usage: ``python fork_runner.py < cases.json`` with a JSON list of argv lists; prints a JSON
list of ``{"argv", "exit_code", "stderr"}``. Each case is a real process (its own exit code
and file descriptors 1 and 2, so anything written to stderr by any library is seen), but
the CLI's imports (pandas, boto3, moto...) are paid once instead of once per case.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback


def run_in_child(argv: list[str]) -> None:
    """The child's body: run the CLI like ``python -m onramp``, then exit with its code."""
    from onramp.cli import main

    code = 1
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def run_case(argv: list[str]) -> dict[str, object]:
    """Fork, run ``argv`` in the child with fresh stdout/stderr files, collect the outcome."""
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        pid = os.fork()
        if pid == 0:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            run_in_child(argv)
        _, status = os.waitpid(pid, 0)
        err.seek(0)
        return {
            "argv": argv,
            "exit_code": os.waitstatus_to_exitcode(status),
            "stderr": err.read().decode("utf-8", errors="replace"),
        }


def main() -> None:
    """Read the cases from stdin, print the outcomes as JSON on stdout."""
    import onramp.cli

    onramp.cli.build_parser()  # import every command module once, before forking
    cases = json.load(sys.stdin)
    print(json.dumps([run_case(argv) for argv in cases]))


if __name__ == "__main__":
    main()
