#!/usr/bin/env python3
"""ptydrive.py INPUT CMD...: run CMD on a new pseudo-terminal, type INPUT into it (once the
program has written something and then been quiet for a moment; "\\r" ends a line as a terminal's Enter does, "\\003"
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
    quiet_since = start
    status = None
    while time.time() - start < 30:
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
                # What it wrote is still to be read; a process it left holding the
                # terminal must not keep us waiting for the end of the output.
                start = time.time() - 29.5
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            out += data
            # Answer a cursor position query as a terminal does (busybox ash asks at every
            # prompt and would take typed text for the answer).
            if b"\x1b[6n" in data:
                os.write(fd, b"\x1b[24;1R")
            quiet_since = time.time()
        # Type the next piece once the program has been quiet for 0.3 s after its last
        # output (it waits for input), and not before its time.
        if (pieces and out and time.time() - start > next_at
                and time.time() - quiet_since > 0.3):
            os.write(fd, pieces.pop(0))
            next_at = time.time() - start + 1.0
    # EOF or EIO on the master comes when the last descriptor of the slave is closed, and
    # the kernel closes a process's files on its way out, before the process can be reaped:
    # a waitpid(WNOHANG) right then can still find it running. Wait for it (to the limit).
    while status is None and time.time() - start < 30:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
        else:
            time.sleep(0.01)
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        sys.stdout.write(out.decode(errors="replace"))
        sys.exit(124)
    sys.stdout.write(out.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(status))

main()
