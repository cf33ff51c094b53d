"""Files psyq reads and writes, done safely: bounded reads of regular files, atomic contained writes.

Why one module: a template folder, a roster, a grades file or a student's ``answers.yaml`` may be a
FIFO (reading blocks forever), a symlink to ``/dev/zero`` (reading never ends) or to
``/proc/self/fd/1`` (reading waits on the terminal).  Git keeps symlinks, so a student's repository
can hold any of these.  :func:`read_regular` refuses everything that is not a regular file *before*
reading a byte, and never reads more than the caller's limit.

Writes: a rerun that fails half-way (disk full, an exception, Ctrl-C) must leave the previous
``grades.json`` intact, so :func:`write_atomic` writes a temporary file in the target folder,
fsyncs it and renames it over the target (``os.replace`` is atomic on POSIX and Windows).  With
``root=`` the target must stay inside that folder even after symlinks are followed, so a symlink
planted in ``--out`` cannot redirect a key or a sheet elsewhere.  The final name itself is never
followed: the rename replaces a symlink, not the file it points at.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from psyq.errors import PsyqError

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class FileError(PsyqError):
    """A file that cannot be read or written; the message is one line and names the file.

    ``file`` is the path as shown; ``message`` says what is wrong without it (callers that report
    errors their own way, e.g. as a :class:`~psyq.errors.TemplateError`, use the two apart).
    """

    def __init__(self, message: str, *, file: str, hint: str | None = None):
        super().__init__(message, where=file, hint=hint)
        self.file = file


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def display(path: str | os.PathLike) -> str:
    """A path safe to print: bytes that are not UTF-8 (surrogate escapes) shown as \\xNN."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    return "".join(f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF
                   else f"\\u{ord(c):04x}" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


def read_regular(path: str | os.PathLike, limit: int, *, what: str = "file", head: bool = False,
                 follow_symlinks: bool = True) -> bytes:
    """The bytes of a regular file, at most ``limit`` of them; anything else is a one-line error.

    ``head=True``: return the first ``limit`` bytes of a longer file instead of refusing it.
    ``follow_symlinks=False``: a symlink is refused whatever it points at (a student's answers
    file: a link could point at another student's file or at a file of the grading machine).
    A symlink is followed only to a regular file (``os.stat`` first, so a link to a FIFO or a device
    is refused before it is opened); the file is opened non-blocking and checked again with
    ``fstat``, so a file swapped for a FIFO in between cannot block the read.
    """
    file = display(path)

    def fail(message: str, hint: str | None = None) -> FileError:
        return FileError(message, file=file, hint=hint)

    if not follow_symlinks and os.path.islink(path):
        raise fail(f"{what} is a symlink, not a regular file", "commit the file itself, not a link to it")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise fail(f"{what} is a symlink to nothing (dangling)") from None
        raise fail(f"no such {what}") from None
    except OSError as exc:
        raise fail(f"cannot read the {what}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise fail(f"{what} is {_kind(st.st_mode)}, not a regular file")
    if st.st_size > limit and not head:
        raise fail(f"{what} is too large ({st.st_size:,} bytes; at most {limit:,})")
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | _BINARY | (0 if follow_symlinks else _NOFOLLOW))
    except OSError as exc:
        raise fail(f"cannot read the {what}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise fail(f"{what} is {_kind(st.st_mode)}, not a regular file")
        chunks: list[bytes] = []
        got = 0
        while got <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    except OSError as exc:
        raise fail(f"cannot read the {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if head:  # the first ``limit`` bytes are all the caller wants
        return data[:limit]
    if len(data) > limit:  # grew after the stat
        raise fail(f"{what} is too large (more than {limit:,} bytes)")
    return data


def read_text(path: str | os.PathLike, limit: int, *, what: str = "file", encoding: str = "utf-8") -> str:
    data = read_regular(path, limit, what=what)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileError(f"{what} is not UTF-8 text (byte {exc.start})", file=display(path)) from None


def contained(path: Path, root: Path) -> bool:
    """True when ``path``'s folder, with every symlink followed, lies inside ``root``'s."""
    try:
        folder = path.parent.resolve()
        base = root.resolve()
    except (OSError, RuntimeError):
        return False
    return folder == base or base in folder.parents


def write_atomic(path: str | os.PathLike, data: bytes | str, *, root: str | os.PathLike | None = None) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A reader sees the old file or the new one, never a fragment; a failure leaves the old file as it
    was and removes the temporary file.  ``root``: refuse when the target's folder (symlinks
    followed) is outside that folder.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    where = display(path)
    try:
        if root is not None:
            root = Path(root)
            root.mkdir(parents=True, exist_ok=True)
            # walk down from root, refusing any symlinked folder that leads out of it
            if not contained(path, root):
                raise FileError("refusing to write outside the output folder (a symlink leads out of "
                                f"{display(root)})", file=where, hint="remove the symlink or choose another --out")
        path.parent.mkdir(parents=True, exist_ok=True)
        if root is not None and not contained(path, root):
            raise FileError(f"refusing to write outside the output folder {display(root)}", file=where)
        if path.is_dir() and not path.is_symlink():
            raise FileError("is a folder; cannot write a file here", file=where)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:100]}.", suffix=".tmp", dir=path.parent)
    except FileError:
        raise
    except OSError as exc:
        raise FileError(f"cannot write: {exc.strerror or exc}", file=where) from None
    try:
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
        except OSError as exc:
            raise FileError(f"cannot write: {exc.strerror or exc}", file=where,
                            hint="the previous file, if any, is unchanged") from None
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
