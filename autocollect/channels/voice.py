"""Voice reminders (机器人外呼): the message spoken by an offline engine, played by a dialer.

``render_speech`` turns the rendered text into a WAV file with Debian's ``espeak-ng`` (Mandarin
for zh-Hans, ``-v en`` for English) — no network, no cloud TTS account. The Mandarin voice is
``cmn-latn-pinyin`` where espeak-ng has it, else ``cmn``: both are espeak-ng's Mandarin, but in
espeak-ng 1.51 (Debian 12's package) plain ``cmn`` reads the tone numbers of its own pinyin
dictionary as English words for many characters (这 → "zhe four"); ``cmn-latn-pinyin`` does not.
The file is kept under the media dir and linked from the outbox row and the interaction, so that
QA hears exactly what the borrower heard.

The dialer is a boundary (a call-centre platform, a SIP trunk): ``DialerAdapter``.
``RecordingDialer`` only keeps the audio and reports ``accepted``; a real one reports the call's
result later through a receipt (answered, no answer), which is what the contact gate counts as
an effective call.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from autocollect.channels.base import OutboundMessage, SendResult, artifact_name
from autocollect.channels.conf import espeak_binary, media_dir
from autocollect.core.errors import ApplicationError

# Preferred voices first; the first one the installed espeak-ng has is used.
VOICES: dict[str, tuple[str, ...]] = {
    "zh-hans": ("cmn-latn-pinyin", "cmn"),
    "zh": ("cmn-latn-pinyin", "cmn"),
    "en": ("en",),
}
# Words per minute: a little slower than espeak-ng's default 175, for numbers and dates.
SPEED = "150"


class SpeechError(ApplicationError):
    """The speech engine is missing or failed; the message says which and why."""


@lru_cache(maxsize=4)
def _installed_voices(binary: str) -> frozenset[str]:
    listing = subprocess.run(
        [binary, "--voices"], capture_output=True, timeout=30, check=False, text=True
    ).stdout
    # Columns: Pty Language Age/Gender VoiceName File Other-languages.
    return frozenset(
        line.split()[1].lower() for line in listing.splitlines()[1:] if len(line.split()) > 1
    )


def espeak_path() -> str:
    binary = shutil.which(espeak_binary())
    if binary is None:
        raise SpeechError(f"{espeak_binary()} is not installed (Debian package espeak-ng)")
    return binary


def voice_for(language: str) -> str:
    """The espeak-ng voice for a template language."""
    choices = VOICES.get(language)
    if choices is None:
        raise SpeechError(f"no voice for language {language!r}")
    installed = _installed_voices(espeak_path())
    return next((voice for voice in choices if voice in installed), choices[-1])


def render_speech(text: str, language: str, *, name: str, out_dir: Path | None = None) -> Path:
    """Speak ``text`` into ``<media>/voice/<name>.wav``; returns the file's path."""
    voice = voice_for(language)
    binary = espeak_path()
    root = out_dir or media_dir()
    path = root / artifact_name("voice", name, ".wav")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    # -b 1: the input is UTF-8; --stdin keeps the text off the command line (and out of ps).
    command = [binary, "-v", voice, "-s", SPEED, "-b", "1", "-w", str(partial), "--stdin"]
    try:
        done = subprocess.run(
            command, input=text.encode("utf-8"), capture_output=True, timeout=120, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise SpeechError("espeak-ng took longer than 120 s") from exc
    if done.returncode != 0 or not partial.exists() or partial.stat().st_size <= 44:
        partial.unlink(missing_ok=True)
        error = done.stderr.decode("utf-8", "replace").strip()
        raise SpeechError(f"espeak-ng -v {voice} failed ({done.returncode}): {error}")
    partial.replace(path)
    return path


class DialerAdapter(Protocol):
    def dial(self, *, to: str, audio: Path, idempotency_key: str) -> SendResult: ...


class RecordingDialer:
    """Keeps the audio where ``render_speech`` wrote it and reports ``accepted``: the stand-in
    until a call platform is connected (docs/channels.md)."""

    def dial(self, *, to: str, audio: Path, idempotency_key: str) -> SendResult:
        return SendResult(
            "accepted", provider_message_id=f"recorded:{idempotency_key}", detail="audio recorded"
        )


class VoiceReminderAdapter:
    channel = "robot_call"

    def __init__(self, dialer: DialerAdapter, *, out_dir: Path | None = None) -> None:
        self.dialer = dialer
        self.out_dir = out_dir

    def send(self, message: OutboundMessage) -> SendResult:
        root = self.out_dir or media_dir()
        try:
            audio = render_speech(
                message.body, message.language, name=message.idempotency_key, out_dir=root
            )
        except SpeechError as exc:
            return SendResult("retry", detail=exc.message)
        result = self.dialer.dial(
            to=message.to, audio=audio, idempotency_key=message.idempotency_key
        )
        return replace(result, artifact=str(audio.relative_to(root)))


def build_adapter() -> VoiceReminderAdapter:
    return VoiceReminderAdapter(RecordingDialer())
