"""Voice reminders: the template spoken by espeak-ng's Mandarin voice into a WAV file that the
interaction points to; the dialer is the recording stand-in."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path
from typing import Any

import pytest

from autocollect.cases.models import CollectionCase
from autocollect.channels.models import MessageTemplate, OutboxStatus
from autocollect.channels.voice import SpeechError, espeak_path, render_speech, voice_for
from tests.channels.conftest import enqueue

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        shutil.which("espeak-ng") is None,
        reason="espeak-ng is not installed (Debian package espeak-ng, which the setup installs)",
    ),
]


def _seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as audio:
        assert audio.getnchannels() == 1
        assert audio.getsampwidth() == 2
        return audio.getnframes() / audio.getframerate()


def test_mandarin_text_is_spoken_into_a_wav_file(tmp_path: Path) -> None:
    short = render_speech("您好。", "zh-hans", name="short", out_dir=tmp_path)
    text = "您好，这里是示例汽车金融有限公司的还款提醒。请尽快通过官方App还款。"
    long = render_speech(text, "zh-hans", name="long", out_dir=tmp_path)

    assert long == tmp_path / "voice" / "long.wav"
    assert long.read_bytes()[:4] == b"RIFF"
    # Every character is spoken: the long text lasts several seconds, far more than "您好".
    assert _seconds(long) > 4.0
    assert _seconds(long) > 4 * _seconds(short)
    assert not list(tmp_path.glob("voice/*.part"))


def test_chinese_is_spoken_with_a_mandarin_voice_in_mandarin_tones() -> None:
    voice = voice_for("zh-hans")
    # espeak-ng's phoneme transcription of the words the reminder speaks: Mandarin syllables
    # with tone contours (55, 35, 214, 51), no switch to another language's rules.
    phonemes = subprocess.run(
        [espeak_path(), "-v", voice, "-q", "-x", "-b", "1", "--stdin"],
        input="这里是还款提醒，应还金额三千二百五十六元。".encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()

    assert voice in ("cmn-latn-pinyin", "cmn")
    assert "(en)" not in phonemes
    assert all(tone in phonemes for tone in ("51", "35", "55"))


def test_an_unknown_language_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match="no voice"):
        render_speech("Bonjour", "fr", name="x", out_dir=tmp_path)


def test_a_robot_call_reminder_keeps_its_audio_on_the_message_and_the_interaction(
    media: Path,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(
            case, templates["robot_call_day3", "zh-hans"], to="+8613800138000", key="call-1"
        )

    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.provider_message_id == "recorded:call-1"
    assert message.artifact == "voice/call-1.wav"
    audio = media / message.artifact
    assert _seconds(audio) > 10.0  # the whole day-3 reminder
    interaction = message.interactions.get()
    assert (interaction.channel, interaction.outcome) == ("robot_call", "sent")
    assert "file voice/call-1.wav" in interaction.notes


def test_an_english_reminder_uses_the_english_voice(
    media: Path,
    templates: dict[tuple[str, str], MessageTemplate],
    case: CollectionCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(case, templates["robot_call_day3", "en"], to="+8613800138000", key="c2")

    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert _seconds(media / message.artifact) > 10.0
