"""``autocollect token create --user NAME [--name LABEL] [--days N]``, ``token list`` and
``token revoke ID|PREFIX``: personal API tokens (docs/roles.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autocollect.accounts.models import ApiToken, User
from autocollect.accounts.tokens import token_create, token_find, token_revoke
from autocollect.core import clock
from autocollect.core.errors import ApplicationError


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = "Create, list and revoke personal API tokens. 个人 API 令牌。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token; it is printed once")
        create.add_argument("--user", required=True, help="username")
        create.add_argument("--name", default="", help="a label, e.g. the client's name")
        create.add_argument("--days", type=_positive, default=None, help="expires after N days")
        create.add_argument("--actor", default="cli")
        listing = sub.add_parser("list", help="list tokens (never their secrets)")
        listing.add_argument("--user", default=None, help="only this user's tokens")
        revoke = sub.add_parser("revoke", help="revoke a token by id or prefix")
        revoke.add_argument("token", help="the id or the prefix (ac_…) shown by `token list`")
        revoke.add_argument("--reason", default="")
        revoke.add_argument("--actor", default="cli")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

    def _create(self, options: dict[str, Any]) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user {options['user']!r}")
        new = token_create(
            user=user, name=options["name"], days=options["days"], actor=options["actor"]
        )
        expires = new.token.expires_at.isoformat() if new.token.expires_at else "never"
        self.stdout.write(
            f"Token {new.token.pk} for {user.get_username()} ({new.token.name or 'no name'}), "
            f"expires {expires}. Shown once, store it now:"
        )
        self.stdout.write(new.secret)

    def _list(self, options: dict[str, Any]) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("id")
        if options["user"]:
            tokens = tokens.filter(user__username=options["user"])
        now = clock.now()
        for token in tokens:
            if token.revoked_at is not None:
                state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}"
            elif token.expires_at is not None and token.expires_at <= now:
                state = "expired"
            else:
                state = "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            expires = f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "-"
            self.stdout.write(
                f"{token.pk}\t{token.prefix}\t{token.user.get_username()}\t{token.name or '-'}\t"
                f"created {token.created_at:%Y-%m-%d}\tused {used}\texpires {expires}\t{state}"
            )

    def _revoke(self, options: dict[str, Any]) -> None:
        token = token_revoke(
            token=token_find(options["token"]), actor=options["actor"], reason=options["reason"]
        )
        self.stdout.write(f"Token {token.pk} ({token.prefix}) revoked at {token.revoked_at}.")
