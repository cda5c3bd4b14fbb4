"""File sinks for texts and e-mails where no carrier or mail server is configured (the local
settings and ``autocollect demo``).

A sink is a provider that keeps what it is given: the SMS sink writes the exact signed request
body the HTTP adapter would post (``sms/<key>.json``), the e-mail sink the exact RFC 5322
message the SMTP adapter would hand to the server (``email/<key>.eml``, opens in any mail
client), both under the channels' media directory. They go through the same outbox, gate,
retries and interactions as the real adapters, and are idempotent on the message's key like a
real provider: the same key again returns the first file. Deployments configure a gateway and
an SMTP server instead (docs/channels.md).
"""

from __future__ import annotations

from pathlib import Path

from autocollect.channels.base import OutboundMessage, SendResult, artifact_name
from autocollect.channels.conf import email_config, media_dir, sms_config
from autocollect.channels.email import SmtpEmailAdapter
from autocollect.channels.sms import HttpSmsAdapter


def _keep(relative: Path, data: bytes) -> SendResult:
    path = media_dir() / relative
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(data)
        partial.replace(path)
    return SendResult(
        "delivered", provider_message_id=relative.name, detail="file sink", artifact=str(relative)
    )


class SmsFileSink:
    channel = "sms"

    def __init__(self) -> None:
        self.http = HttpSmsAdapter(sms_config())

    def send(self, message: OutboundMessage) -> SendResult:
        return _keep(
            artifact_name("sms", message.idempotency_key, ".json"),
            self.http.request_body(message),
        )


class EmailFileSink:
    channel = "email"

    def __init__(self) -> None:
        self.smtp = SmtpEmailAdapter(email_config())

    def send(self, message: OutboundMessage) -> SendResult:
        return _keep(
            artifact_name("email", message.idempotency_key, ".eml"),
            self.smtp.build(message).message().as_bytes(),
        )


def build_sms_sink() -> SmsFileSink:
    return SmsFileSink()


def build_email_sink() -> EmailFileSink:
    return EmailFileSink()
