#!/usr/bin/env python3
"""ptydrive.py INPUT CMD...: run CMD on a new pseudo-terminal, type INPUT into it (after a
short wait for the program to start; "\\r" ends a line as a terminal's Enter does, "\\003"
is Ctrl-C, and "{wait}" pauses for a second), print everything CMD wrote to the terminal,
and exit with CMD's exit status (124 after 30 s)."""
import os
import pty
import select
import sys
import time

def main():
    pieces = [p.encode().decode("unicode_escape").encode() for p in sys.argv[1].split("{wait}")]
    cmd = sys.argv[2:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = b""
    start = time.time()
    next_at = 1.0
    while time.time() - start < 30:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            out += data
        if pieces and time.time() - start > next_at:
            os.write(fd, pieces.pop(0))
            next_at += 1.0
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        sys.stdout.write(out.decode(errors="replace"))
        sys.exit(124)
    sys.stdout.write(out.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(status))

main()
