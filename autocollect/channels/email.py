"""E-mail over real SMTP (Django's SMTP backend, to the host and port of ``CHANNELS["EMAIL"]``).

Every e-mail ends with an opt-out line (回复TD退订 / reply STOP; 12 CFR 1006.6(e) requires one
in the US) and, when ``UNSUBSCRIBE`` is set, a ``List-Unsubscribe`` header. Its Message-ID is
derived from the outbox idempotency key: SMTP has no idempotency of its own, but a copy sent
again after a crash carries the same Message-ID, which mail systems use to drop duplicates.
"""

from __future__ import annotations

import hashlib
import smtplib

from django.core.mail import EmailMessage, get_connection

from autocollect.channels.base import OutboundMessage, SendResult, SendStatus
from autocollect.channels.conf import EmailConfig, email_config
from autocollect.channels.templating import opt_out_line

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def message_id_for(idempotency_key: str, domain: str) -> str:
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}.autocollect@{domain}>"


def with_opt_out(body: str, language: str) -> str:
    line = opt_out_line("email", language)
    if not line or line in body:
        return body
    return f"{body.rstrip()}\n\n{line}\n"


class SmtpEmailAdapter:
    channel = "email"

    def __init__(self, config: EmailConfig) -> None:
        self.config = config

    def build(self, message: OutboundMessage) -> EmailMessage:
        headers = {
            "Message-ID": message_id_for(message.idempotency_key, self.config.message_id_domain)
        }
        if self.config.unsubscribe:
            headers["List-Unsubscribe"] = f"<{self.config.unsubscribe}>"
        return EmailMessage(
            subject=message.subject,
            body=with_opt_out(message.body, message.language),
            from_email=self.config.from_address,
            to=[message.to],
            headers=headers,
        )

    def send(self, message: OutboundMessage) -> SendResult:
        email = self.build(message)
        message_id = email.extra_headers["Message-ID"]
        connection = get_connection(
            SMTP_BACKEND,
            host=self.config.host,
            port=self.config.port,
            username=self.config.username or None,
            password=self.config.password or None,
            use_tls=self.config.use_tls,
            use_ssl=self.config.use_ssl,
            timeout=self.config.timeout,
            fail_silently=False,
        )
        try:
            connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = {code for code, _ in exc.recipients.values()}
            status: SendStatus = "failed" if all(500 <= c < 600 for c in codes) else "retry"
            return SendResult(status, detail=f"recipient refused: {exc.recipients}")
        except smtplib.SMTPResponseException as exc:
            # 5xx is permanent (RFC 5321 §4.2.1), 4xx temporary.
            code: SendStatus = "failed" if 500 <= exc.smtp_code < 600 else "retry"
            return SendResult(code, detail=f"SMTP {exc.smtp_code}: {exc.smtp_error!r}")
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            return SendResult("retry", detail=f"{type(exc).__name__}: {exc}")
        return SendResult("accepted", provider_message_id=message_id, detail="SMTP 250")


def build_adapter() -> SmtpEmailAdapter:
    return SmtpEmailAdapter(email_config())
