"""Settings packages: ``default`` (SQLite, local), ``test`` and ``production``."""
