"""A child process in a real pseudo-terminal, started without forking the test process.

pexpect.spawn forks the pytest process with ``pty.fork()``; when threads are alive in the parent
(pytest plugins, the history writer) Python 3.12+ warns that a forked child may deadlock.  Here the
pty pair is made first and the child is started with ``subprocess.Popen`` (fork + exec in C, no
Python code between them); a tiny launcher makes the pty its controlling terminal, so Ctrl-C
typed into the pty reaches the child as SIGINT, as it would for a person at a terminal.  pexpect's
``fdspawn`` then reads the pty's master side, so tests keep pexpect's ``expect`` API.
"""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import termios
from typing import Sequence

from pexpect import fdpexpect

# Runs in the child before psyq: become a session leader, take the pty on stdin as the controlling
# terminal, then replace itself with the real program (argv from the command line).
_LAUNCHER = (
    "import fcntl, os, sys, termios\n"
    "fcntl.ioctl(0, termios.TIOCSCTTY, 0)\n"
    "os.execv(sys.argv[1], sys.argv[1:])\n"
)


class PtyChild(fdpexpect.fdspawn):
    """pexpect's expect/send over a pty whose other end is a ``Popen`` child."""

    def __init__(self, argv: Sequence[str], *, env: dict[str, str], dimensions=(24, 80),
                 timeout: float = 30, encoding: str = "utf-8"):
        master, slave = os.openpty()
        rows, cols = dimensions
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, *argv],
            stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.pid = self.proc.pid
        self.exitstatus: int | None = None
        self.signalstatus: int | None = None
        super().__init__(master, timeout=timeout, encoding=encoding)

    def sendintr(self) -> None:
        """Type the terminal's interrupt character (Ctrl-C)."""
        self.send(chr(termios.tcgetattr(self.child_fd)[6][termios.VINTR][0]))

    def kill(self, sig: int) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, sig)

    def isalive(self) -> bool:
        return self.proc.poll() is None

    def close(self, force: bool = True) -> None:  # noqa: ARG002 - pexpect's signature
        if self.child_fd != -1:
            try:
                os.close(self.child_fd)
            except OSError:
                pass
            self.child_fd = -1
            self.closed = True
        try:
            code = self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if code < 0:
            self.signalstatus = -code
        else:
            self.exitstatus = code


def spawn_python(args: Sequence[str], **kw) -> PtyChild:
    """``python ARGS…`` (this interpreter) in a pty."""
    return PtyChild([sys.executable, *args], **kw)


__all__ = ["PtyChild", "spawn_python"]
