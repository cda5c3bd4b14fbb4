"""Every form that changes something carries the one-time submission token, so that sending it
twice does the work once (autocollect/ui/submissions.py, docs/workbench.md "Submitting twice").

Exempt: the sign-in form (before there is a user to claim a token for) and the page frame's
sign-out and language forms, whose repeat changes nothing."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent.parent / "autocollect"
EXEMPT = {"accounts/templates/accounts/login.html", "ui/templates/ui/base.html"}
POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", re.S | re.I)


def test_every_post_form_carries_a_submission_token() -> None:
    missing: list[str] = []
    checked = 0
    for template in sorted(PACKAGE.glob("*/templates/**/*.html")):
        name = template.relative_to(PACKAGE).as_posix()
        if name in EXEMPT:
            continue
        text = template.read_text(encoding="utf-8")
        for number, form in enumerate(POST_FORM.findall(text), start=1):
            checked += 1
            if "{% submission_token %}" not in form:
                missing.append(f"{name}: form {number}")
    assert checked >= 40, checked
    assert missing == []
