"""E-mail over real SMTP to a local aiosmtpd server: subject, body, opt-out line, a Message-ID
derived from the idempotency key, one delivery per outbox row, 5xx refusals final."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from autocollect.cases.models import CollectionCase
from autocollect.channels.email import message_id_for
from autocollect.channels.models import MessageTemplate, OutboxStatus
from autocollect.channels.outbox import outbox_dispatch
from tests.channels.conftest import channel_settings, enqueue

pytestmark = pytest.mark.django_db

DOMAIN = "mail.autocollect.test"


class Mailbox:
    """Keeps every message the server accepts; refuses recipients at ``refuse``."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Envelope] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook names
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook names
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.envelopes.append(envelope)
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mailbox(settings: Any, fast_retries: None) -> Iterator[Mailbox]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    channel_settings(
        settings,
        EMAIL={
            "HOST": "127.0.0.1",
            "PORT": port,
            "TIMEOUT": 5,
            "FROM": "示例汽车金融 <noreply@autocollect.test>",
            "MESSAGE_ID_DOMAIN": DOMAIN,
            "UNSUBSCRIBE": "mailto:unsubscribe@autocollect.test",
        },
    )
    try:
        yield box
    finally:
        controller.stop()


def test_an_email_arrives_with_subject_body_opt_out_line_and_a_stable_message_id(
    mailbox: Mailbox,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(
            case, templates["email_reminder", "zh-hans"], to="zhang.wei@example.cn", key="mail-1"
        )

    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert len(mailbox.messages) == 1
    received = mailbox.messages[0]
    assert received["Subject"] == f"还款提醒：合同{case.loan.contract_no}"
    assert received["To"] == "zhang.wei@example.cn"
    # A long header may be folded onto a continuation line (RFC 5322 §2.2.3).
    assert str(received["Message-ID"]).strip() == message_id_for("mail-1", DOMAIN)
    assert message.provider_message_id == message_id_for("mail-1", DOMAIN)
    assert received["List-Unsubscribe"] == "<mailto:unsubscribe@autocollect.test>"
    body = received.get_content()
    assert f"{case.loan.borrower.name}您好" in body
    assert message.payload["variables"]["overdue_amount"] in body
    assert body.rstrip().endswith("如不希望再收到此类邮件，请回复TD退订。")
    assert "回复TD退订" in body
    assert list(message.interactions.values_list("channel", "outcome")) == [("email", "sent")]


def test_a_second_dispatch_of_the_same_row_does_not_send_the_email_again(
    mailbox: Mailbox,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(
            case, templates["email_reminder", "en"], to="zhang.wei@example.cn", key="mail-2"
        )

    again = outbox_dispatch(message.pk)

    assert again.claimed is False
    assert len(mailbox.messages) == 1
    body = mailbox.messages[0].get_content()
    assert "To unsubscribe from these emails, reply STOP." in body
    assert mailbox.messages[0]["Subject"] == f"Payment reminder: contract {case.loan.contract_no}"


def test_the_same_key_always_gives_the_same_message_id() -> None:
    assert message_id_for("mail-3", DOMAIN) == message_id_for("mail-3", DOMAIN)
    assert message_id_for("mail-3", DOMAIN) != message_id_for("mail-4", DOMAIN)
    assert message_id_for("mail-3", DOMAIN).endswith(f"@{DOMAIN}>")


def test_a_recipient_the_server_refuses_for_good_fails_without_retrying(
    mailbox: Mailbox,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    mailbox.refuse.add("gone@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(
            case, templates["email_reminder", "zh-hans"], to="gone@example.cn", key="m5"
        )

    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert "550" in message.last_error
    assert mailbox.messages == []


def test_an_unreachable_smtp_server_is_a_temporary_failure(
    settings: Any,
    fast_retries: None,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    channel_settings(settings, EMAIL={"HOST": "127.0.0.1", "PORT": _free_port(), "TIMEOUT": 2})
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(case, templates["email_reminder", "zh-hans"], to="z@example.cn", key="m6")

    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
