"""Per-student seeds without a database: HMAC-SHA256(secret, assignment id ‖ student id ‖ item index).

The derivation, exactly (stable across psyq versions; tests pin it with golden values)::

    message = UTF-8(assignment id) ‖ 0x00 ‖ UTF-8(student id) ‖ 0x00 ‖ ASCII(item index, decimal, from 1)
    digest  = HMAC-SHA256(key = UTF-8(secret), message)
    seed    = (first 8 bytes of digest, read as a big-endian unsigned integer) >> 1      # 0 ≤ seed < 2^63

The 0x00 byte separates the fields (ids cannot contain it), so ("ab", "c") and ("a", "bc") differ.
Student ids are used as written after Unicode NFC normalisation and trimming of surrounding spaces.

The secret comes from an environment variable (``PSYQ_SECRET`` unless ``--secret-env`` names
another).  Without one the key is the empty string: seeds then follow from the assignment and the
student alone, and anyone with psyq can compute every student's variant and key — fine for practice,
not for summative work.  See docs/homework.md, "Trust model".
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata

DEFAULT_SECRET_ENV = "PSYQ_SECRET"
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
NO_SECRET_WARNING = (
    "${var} is not set: every student's variant follows from the assignment and student ids alone, "
    "so students can compute each other's keys. Fine for practice; for graded work set ${var} in "
    "an instructor-controlled pipeline (docs/homework.md, 'Trust model')."
)


def normalise_id(student_id: str) -> str:
    return unicodedata.normalize("NFC", student_id).strip()


def item_seed(secret: str | bytes | None, assignment_id: str, student_id: str, item_index: int) -> int:
    """The seed of item ``item_index`` (1-based) of an assignment for one student.

    >>> item_seed("s3cret", "hw1", "alice", 1) == item_seed("s3cret", "hw1", "alice", 1)
    True
    """
    if item_index < 1:
        raise ValueError("item indices start at 1")
    key = secret.encode("utf-8") if isinstance(secret, str) else (secret or b"")
    message = b"\x00".join([assignment_id.encode("utf-8"),
                            normalise_id(student_id).encode("utf-8"),
                            str(int(item_index)).encode("ascii")])
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1


MIN_SECRET_BYTES = 16  # 128 bits: out of reach of a search over students' guesses
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_hex(16))"'
FINGERPRINT_MESSAGE = b"psyq secret fingerprint v1"


def secret_from_env(var: str = DEFAULT_SECRET_ENV, environ=None) -> str | None:
    """The secret held in environment variable ``var``; None when unset or empty.

    One trailing newline is removed (``PSYQ_SECRET=$(cat secret.txt)`` keeps none, a secrets store
    pasted with Enter keeps one): without this the same course secret would give other variants.
    A secret shorter than :data:`MIN_SECRET_BYTES` is refused.  ``var`` is never echoed unless it
    is a valid name: a value passed by mistake (``--secret-env "$PSYQ_SECRET"``) stays out of logs.
    """
    from psyq.errors import InputError

    if not ENV_NAME.match(var or ""):
        raise InputError("--secret-env takes the NAME of an environment variable (not its value)",
                         hint="e.g. --secret-env PSYQ_SECRET; the value given is not shown")
    value = (environ if environ is not None else os.environ).get(var, "")
    if value.endswith("\r\n"):
        value = value[:-2]
    elif value.endswith("\n"):
        value = value[:-1]
    if not value.strip():
        return None
    if len(value.encode("utf-8", "surrogateescape")) < MIN_SECRET_BYTES:
        raise InputError(f"${var} is shorter than {MIN_SECRET_BYTES} bytes: too easy to guess",
                         hint=f"make one with: {MAKE_SECRET}")
    return value


def fingerprint(secret: str | None) -> str:
    """A short public tag of the secret (8 hex digits of an HMAC; the secret cannot be found from it).

    It goes on every sheet and answers.yaml, so answers issued under one secret and graded under
    another (or none) are reported as such instead of scoring 0.  ``none`` without a secret.
    """
    if not secret:
        return "none"
    return hmac.new(secret.encode("utf-8", "surrogateescape"), FINGERPRINT_MESSAGE,
                    hashlib.sha256).hexdigest()[:8]


def no_secret_warning(var: str) -> str:
    return NO_SECRET_WARNING.replace("${var}", f"${var}")
