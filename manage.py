#!/usr/bin/env python
"""Django's manage.py; the ``autocollect`` command is the friendlier entry point."""

import sys

from autocollect.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
