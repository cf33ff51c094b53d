"""psyq: generate and grade quantitative psychopharmacology problems.

The library is importable without the CLI: ``psyq.bank`` finds templates, ``psyq.instance`` builds
seeded instances, ``psyq.grading`` grades typed answers.  Importing this package is deliberately
cheap (no sympy, numpy or pint) so that ``psyq --help`` starts fast.
"""

__version__ = "0.1.0"
