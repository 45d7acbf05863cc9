#!/usr/bin/env python3
"""Runs a command in a pseudo-terminal and answers its prompts, for tests of interactive flows.

usage: pty_drive.py [--answer PROMPT_TEXT=REPLY]... -- COMMAND [ARGS...]

Each --answer waits (up to 20 s) until PROMPT_TEXT has appeared in the output, then types REPLY
and Enter. Prints everything the command wrote, then exits with the command's exit status.
"""
import os
import pty
import select
import sys
import time


def main() -> int:
    args = sys.argv[1:]
    answers = []
    while args and args[0] == "--answer":
        prompt, _, reply = args[1].partition("=")
        answers.append((prompt.encode(), reply.encode()))
        args = args[2:]
    if not args or args[0] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    command = args[1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    output = b""
    seen = 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if answers and answers[0][0] in output[seen:]:
            seen = output.index(answers[0][0], seen) + len(answers[0][0])
            os.write(fd, answers[0][1] + b"\r")
            answers.pop(0)
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(output.decode(errors="replace"))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
