"""A provider boundary for the strategy tests: every send is accepted and remembered."""

from __future__ import annotations

from autocollect.channels.base import OutboundMessage, SendResult

SENT: list[OutboundMessage] = []


class FakeAdapter:
    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, message: OutboundMessage) -> SendResult:
        SENT.append(message)
        return SendResult(status="delivered", provider_message_id=f"fake-{message.id}")


def sms() -> FakeAdapter:
    return FakeAdapter("sms")


def email() -> FakeAdapter:
    return FakeAdapter("email")


def robot_call() -> FakeAdapter:
    return FakeAdapter("robot_call")


def letter() -> FakeAdapter:
    return FakeAdapter("letter")
