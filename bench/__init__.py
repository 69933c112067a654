"""`make bench`: the app's hot paths measured at scale, against the static-file limit.

Run ``python -m bench --help``. Everything runs in one process against a throwaway
database (PostgreSQL when ``DATABASE_URL`` points at one, else SQLite under ``var/``),
and the figures land in ``var/bench.json`` under stable flat keys. See README "Benchmarks".
"""
