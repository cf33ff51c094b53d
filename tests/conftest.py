"""Test-session settings shared by every test module."""

import os
import tempfile

from hypothesis import settings

# Compiled user templates go to a throw-away cache, never the tester's own (psyq.compiled).
os.environ.setdefault("PSYQ_CACHE_DIR", tempfile.mkdtemp(prefix="psyq-test-cache-"))

# No wall-clock deadline per example (hypothesis' default is 200 ms): a busy machine would fail it
# at random (issue 12).  A property that must not hang bounds its work instead (tests/_work.py).
settings.register_profile("psyq", deadline=None)
settings.load_profile("psyq")
