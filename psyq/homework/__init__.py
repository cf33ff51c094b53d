"""Homework: per-student variants of an assignment, answer files, CI grading and class reports.

The pieces, one module per job:

* :mod:`psyq.homework.assignment` — the assignment file (YAML, schema in psyq/schemas/);
* :mod:`psyq.homework.seeds` — per-student seeds, HMAC-SHA256(secret, assignment ‖ student ‖ item);
* :mod:`psyq.homework.roster` — roster.csv;
* :mod:`psyq.homework.sheets` — problem sheets, blank answer files and keys;
* :mod:`psyq.homework.submission` — reading a student's ``answers.yaml`` without trusting it;
* :mod:`psyq.homework.grading` — per-part verdicts, points and totals;
* :mod:`psyq.homework.outputs` — JSON, JUnit XML, PrairieLearn results.json, GitHub Classroom;
* :mod:`psyq.homework.report` — the class report over graded JSON.

See docs/homework.md for the instructor's walk-through and the trust model.
"""
