"""``python -m psyq`` runs the command line."""

from psyq.cli import main

main()
