"""autocollect: collections platform for car loans."""

__version__ = "0.1.0"
