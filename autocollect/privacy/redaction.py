"""No clear national ID or phone number in a log line (docs/privacy.md).

Code does not log personal data to begin with; this is the net under it, for what comes from
elsewhere: an exception message of a library that quotes the address it failed on, a request
line of the development server with a national ID in its query string. Every log record is
made by a factory that masks resident ID numbers, phone numbers and e-mail addresses in the
formatted message and in the formatted exception, before any handler sees the record.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from autocollect.core.masking import mask_email, mask_national_id, mask_phone

# An 18-character resident ID (17 digits and a digit or X), not inside a longer run.
_NATIONAL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
# A mainland mobile (with or without +86/86) or any E.164 number.
_PHONE = re.compile(r"(?<![0-9A-Za-z+])(?:(?:\+|00)?86[ -]?)?1[3-9]\d{9}(?!\d)|\+\d{8,15}(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def redact(text: str) -> str:
    """``text`` with every resident ID, phone number and e-mail address masked."""
    if not text:
        return text
    text = _NATIONAL_ID.sub(lambda m: mask_national_id(m.group()), text)
    text = _PHONE.sub(lambda m: mask_phone(m.group()), text)
    return _EMAIL.sub(lambda m: mask_email(m.group()), text)


class RedactedLogRecord(logging.LogRecord):
    def getMessage(self) -> str:  # noqa: N802 - the logging API's name
        return redact(super().getMessage())


_installed = False


def install() -> None:
    """Make every log record of this process a redacting one (idempotent)."""
    global _installed
    if _installed:
        return
    previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if type(record) is logging.LogRecord:
            record.__class__ = RedactedLogRecord
        else:  # another library's record class: keep it, wrap its message
            message = record.getMessage
            record.getMessage = lambda: redact(message())  # type: ignore[method-assign]
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
