"""The follow-up code of an anonymous report, and the throttle on wrong codes
(docs/misconduct.md, "Following an anonymous report").

* **The code**: 20 characters drawn by ``secrets`` from Crockford's base-32 alphabet (no I, L,
  O, U: nothing to misread), 100 random bits, shown in groups of four (``K7QF-9M2X-…``).
  Typing is forgiving: case, spaces and dashes do not matter, and O, I, L read as 0, 1, 1.
* **What is stored**: HMAC-SHA256 of the normalised code under the blind-index key
  (``autocollect.core.crypto.blind_index``, its own purpose label), never the code. Whoever
  reads the database without the key cannot test a guess at all; with it, a guess is one HMAC,
  but 100 random bits leave nothing to guess. A slow salted hash (``make_password``) protects
  low-entropy passwords and would force a scan of every report per lookup; a random code needs
  neither, and the keyed hash is found by an index like any blind index.
* **The throttle**: at most ``FAILURE_LIMIT`` wrong codes per user within ``COOL_DOWN``; after
  that every attempt, right or wrong, is refused unchecked until the oldest failure is older
  than the cool-down. A per-user counter rather than django-axes: axes throttles the login (a
  lockout would lock the user out of the whole system) and writes the username and address of
  every attempt, which would put a name beside the follow-up page.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import transaction

from autocollect.conduct.models import FollowUpFailure
from autocollect.core import clock
from autocollect.core.crypto import blind_index

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
CODE_LENGTH = 20  # 100 bits
GROUP = 4
FAILURE_LIMIT = 5
COOL_DOWN = timedelta(minutes=15)
# Purpose labels of the keyed hashes: a code's hash never equals any other blind index.
CODE_PURPOSE = "conduct_followup_code"
USER_PURPOSE = "conduct_followup_user"
# Crockford's reading of the letters it leaves out.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def code_generate() -> str:
    """A new follow-up code, grouped for reading."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def code_normalise(text: str) -> str:
    """The code as typed, reduced to its 20 characters; "" when it cannot be a code."""
    if len(text) > 4 * CODE_LENGTH:
        return ""
    compact = "".join(text.split()).replace("-", "").upper().translate(_READ_AS)
    if len(compact) != CODE_LENGTH or any(c not in ALPHABET for c in compact):
        return ""
    return compact


def code_digest(code: str) -> str:
    """The keyed hash stored for ``code`` (grouped or not); "" when it is not a code."""
    normalised = code_normalise(code)
    return blind_index(normalised, CODE_PURPOSE) if normalised else ""


def _user_key(user_id: int) -> str:
    return blind_index(str(user_id), USER_PURPOSE)


def throttled_until(user_id: int, *, now: datetime | None = None) -> datetime | None:
    """When ``user_id`` may try a code again, or None if they may now. Forgets failures older
    than the cool-down (the table keeps no history)."""
    now = now or clock.now()
    key = _user_key(user_id)
    FollowUpFailure.objects.filter(at__lte=now - COOL_DOWN).delete()
    recent = list(
        FollowUpFailure.objects.filter(user_key=key).order_by("-at").values_list("at", flat=True)
    )
    if len(recent) < FAILURE_LIMIT:
        return None
    return recent[FAILURE_LIMIT - 1] + COOL_DOWN


@transaction.atomic
def failure_record(user_id: int) -> None:
    """Count one wrong (or empty) code against ``user_id``."""
    FollowUpFailure.objects.create(user_key=_user_key(user_id), at=clock.now())
