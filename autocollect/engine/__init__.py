"""The engine: pure Polars over the whole portfolio. Never imports Django.

Apps load frames from the database (column contracts in ``frames.py``), call the engine and
write the results back in bulk. A partition of loans is self-contained: every function here
gives the same answer on a subset of loans as on the whole book, restricted to that subset.
"""
