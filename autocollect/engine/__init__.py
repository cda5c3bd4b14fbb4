"""The engine: pure Python, Polars and NumPy over the whole portfolio.

It imports neither Django nor any other autocollect package (``tests/engine/test_purity.py``
holds it to that). Apps load frames from the database (column contracts in ``frames.py``), call
the engine and write the results back in bulk. A partition of loans is self-contained: every
function here gives the same answer on a subset of loans as on the whole book, restricted to
that subset. Beside the whole-book steps it holds the pure rules the apps apply one case at a
time: the contact gate and its policies, loan math, arrangement terms, depreciation.
"""
