"""The content checker on hostile input: long runs of digits, Chinese numerals and mixed text,
in both rule languages. A rule whose pattern backtracks over a run (``\\d+`` that may start at
every digit) turns a 20,000-character text into seconds of work; this prints the seconds so that
such a rule shows.

    .venv/bin/python benchmarks/lint_hostile_bench.py [--length 20000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from autocollect.compliance.content import lint_text  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--length", type=int, default=20_000)
    n = parser.parse_args().length
    texts = {
        "digits": "1" * n,
        "Chinese numerals": "一" * n,
        "digit and space": "1 " * (n // 2),
        "letter and digit": "a1" * (n // 2),
        "words": "word " * (n // 5),
    }
    print(f"{'text':18} {'zh':>8} {'en':>8}   ({n:,} characters)")
    for name, text in texts.items():
        seconds = []
        for lang in ("zh", "en"):
            start = time.perf_counter()
            lint_text(text, audience="borrower", lang=lang)
            seconds.append(time.perf_counter() - start)
        print(f"{name:18} {seconds[0]:7.2f}s {seconds[1]:7.2f}s")


if __name__ == "__main__":
    main()
