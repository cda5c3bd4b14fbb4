"""Session expiry: 8 hours after login at most, and 30 minutes without a request.

``SESSION_COOKIE_AGE`` alone is not absolute once the session is written again, and does not
notice idleness; this middleware keeps both times in the session and logs the user out when
either has passed. Settings: ``SESSION_COOKIE_AGE`` (absolute, seconds) and
``SESSION_IDLE_TIMEOUT`` (seconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

LOGIN_AT = "autocollect_login_at"
SEEN_AT = "autocollect_seen_at"
# Write the last-seen time at most this often, so that most requests leave the session as is.
SEEN_RESOLUTION = 60


def session_started(request: HttpRequest) -> None:
    """Called at login: the session's clock starts now."""
    now = int(time.time())
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            login_at = int(request.session.get(LOGIN_AT, now))
            seen_at = int(request.session.get(SEEN_AT, now))
            idle = int(getattr(settings, "SESSION_IDLE_TIMEOUT", 30 * 60))
            if now - login_at >= settings.SESSION_COOKIE_AGE or now - seen_at >= idle:
                # Logging out sends ``user_logged_out`` (audited) and replaces the session;
                # the view then sees an anonymous user (login page, or 401 for the API).
                logout(request)
            else:
                if LOGIN_AT not in request.session:
                    request.session[LOGIN_AT] = login_at
                if now - seen_at >= SEEN_RESOLUTION or SEEN_AT not in request.session:
                    request.session[SEEN_AT] = now
        return self.get_response(request)
