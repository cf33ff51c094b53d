"""Test-session settings shared by every test module."""

import os
import tempfile

# Compiled user templates go to a throw-away cache, never the tester's own (psyq.compiled).
os.environ.setdefault("PSYQ_CACHE_DIR", tempfile.mkdtemp(prefix="psyq-test-cache-"))
