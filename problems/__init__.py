"""The built-in template bank (ships inside the installed package as psyq.problems)."""
