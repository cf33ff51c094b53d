"""The one error type psyq raises for problems a person can fix, and the exit codes of the CLI."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit statuses shared by every command (documented in README and docs/cli.md)."""

    OK = 0
    FAILURE = 1  # an answer graded wrong, lint found problems, a submission below the pass mark
    USAGE = 2  # bad options, unreadable answer, unknown template
    UNREADABLE = 3  # a submission unreadable as a whole (psyq grade)
    INTERRUPTED = 130  # Ctrl-C


class PsyqError(Exception):
    """An error with a one-line message meant for a person.

    ``where`` says which file/line/key or which token the problem is at; ``hint`` says how to fix it.
    """

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text.translate(_LINE_BREAKS)  # one line, even when it quotes a key with a newline


# Characters at which text breaks into lines (str.splitlines), shown escaped in messages.
_LINE_BREAKS = str.maketrans({c: repr(c)[1:-1] for c in
                              "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


class TemplateError(PsyqError):
    """A template (or assignment/exam file) that cannot be loaded: names file, line and key."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 key: str | None = None, hint: str | None = None):
        parts = [p for p in (file, str(line) if line else None) if p]
        where = ":".join(parts) if parts else None
        if key:
            where = f"{where}: key '{key}'" if where else f"key '{key}'"
        super().__init__(message, where=where, hint=hint)
        self.file, self.line, self.key = file, line, key


class InputError(PsyqError):
    """Typed text (an answer, a --given value, an expression) that cannot be read.

    ``position`` is the 0-based offset of the offending token in ``text``; ``pointer()`` draws the
    text with a caret under it, as a compiler would.
    """

    def __init__(self, message: str, *, text: str = "", position: int | None = None,
                 hint: str | None = None):
        super().__init__(message, hint=hint)
        self.text = text
        self.position = position

    def pointer(self) -> str:
        if self.position is None or not self.text or len(self.text) > 200:
            return ""
        shown = self.text.replace("\n", " ").replace("\t", " ")
        return f"  {shown}\n  {' ' * min(self.position, len(shown))}^"


class PsyqWarning(UserWarning):
    """Something a person should know that does not stop the command (the CLI prints it on stderr)."""
