"""Settings shared by every environment.

The database comes from ``DATABASE_URL`` when it is set (PostgreSQL in production and CI);
otherwise each environment module picks its own SQLite default.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Runtime files (SQLite database, import rejects, generated documents) live here by default.
VAR_DIR = Path(os.environ.get("AUTOCOLLECT_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    # django.contrib.admin with our admin site (administrators only, TOTP when enrolled).
    "autocollect.accounts.admin_config.AutocollectAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "ninja",
    "huey.contrib.djhuey",
    "autocollect.core",
    "autocollect.ui",
    "autocollect.privacy",
    "autocollect.accounts",
    "autocollect.documents",
    "autocollect.portfolio",
    "autocollect.audit",
    "autocollect.cases",
    "autocollect.delinquency",
    "autocollect.compliance",
    "autocollect.channels",
    "autocollect.strategy",
    "autocollect.workbench",
    "autocollect.scripts",
    "autocollect.conduct",
    "autocollect.arrangements",
    "autocollect.hardship",
    "autocollect.evidence",
    "autocollect.legal",
    "autocollect.hardcases",
    "autocollect.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "autocollect.accounts.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A form sent twice does its work once (autocollect/ui/submissions.py).
    "autocollect.ui.submissions.SubmissionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTH_USER_MODEL = "accounts.User"

# --- authentication and sessions (docs/roles.md) ----------------------------------------------

# django-axes first: it refuses a locked-out username+address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "autocollect.accounts.backends.RoleBackend",
]
# Argon2id for new and changed passwords; the others only verify (and upgrade) older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lock out after 5 failed logins for the same username from the same address, for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

# A session ends 8 hours after login, or after 30 minutes without a request, whichever is
# first (autocollect.accounts.middleware).
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_IDLE_TIMEOUT = 30 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# TOTP devices show this issuer in the authenticator app.
OTP_TOTP_ISSUER = "autocollect"

# --- security headers ---------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp) under every settings module: scripts, styles, fonts and
# requests only from this site, no inline script or style, no eval (htmx's is switched off in
# ui/base.html), no framing, forms post only here. docs/architecture.md, "Security headers".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The menu and page scripts of ui/base.html (autocollect/ui/menu.py).
                "autocollect.ui.context_processors.ui",
            ],
        },
    },
]


def database_from_env(default_sqlite: Path) -> dict[str, object]:
    """``DATABASE_URL`` when set, else the given SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if url:
        config = dict(dj_database_url.parse(url, conn_max_age=60))
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(default_sqlite)}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL and a busy timeout let the web server read while an import or cycle writes.
        config["OPTIONS"] = {
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    return config


AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "autocollect" / "locale"]
USE_I18N = True
USE_TZ = True
# Stored times are UTC; rules are decided in the debtor's zone (see docs/architecture.md).
TIME_ZONE = "Asia/Shanghai"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Huey: SQLite storage next to the database by default; Redis in production.
HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": "autocollect",
    "filename": str(VAR_DIR / "huey.sqlite3"),
    "immediate": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Lockouts are warnings; every successful login at INFO is noise (logins are audited).
        "axes": {"level": "WARNING"},
        # WeasyPrint narrates every step of every PDF at INFO; letters are recorded anyway.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

AUTOCOLLECT: dict[str, object] = {
    # Where import rejects files are written when the caller does not choose.
    "REJECTS_DIR": VAR_DIR / "rejects",
    # The audit trail's checkpoints and signing keys (docs/audit.md); its chain keys are
    # AUTOCOLLECT_AUDIT_KEYS, set per environment below the field keys.
    "AUDIT": {
        "CHECKPOINT_PATH": os.environ.get("AUTOCOLLECT_AUDIT_CHECKPOINT_PATH")
        or VAR_DIR / "audit" / "checkpoints.jsonl",
        "CHECKPOINT_EVERY": int(os.environ.get("AUTOCOLLECT_AUDIT_CHECKPOINT_EVERY", "100")),
        "SIGNING_KEY_PATH": os.environ.get("AUTOCOLLECT_AUDIT_SIGNING_KEY") or None,
        "VERIFY_KEY_PATH": os.environ.get("AUTOCOLLECT_AUDIT_VERIFY_KEY") or None,
        "LEGACY_EVENTS": int(os.environ.get("AUTOCOLLECT_AUDIT_LEGACY_EVENTS", "0")),
    },
}
