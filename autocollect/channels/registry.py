"""Which adapter carries which channel.

``settings.AUTOCOLLECT["CHANNELS"]["ADAPTERS"]`` maps a channel to the dotted path of a factory
(no arguments, returns a ``ChannelAdapter``); the defaults below are the adapters in this
package. Factories are imported on first use, so that a process that only sends texts never
loads WeasyPrint.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from autocollect.channels.base import ChannelAdapter
from autocollect.core.errors import ApplicationError

DEFAULT_FACTORIES = {
    "sms": "autocollect.channels.sms.build_adapter",
    "email": "autocollect.channels.email.build_adapter",
    "robot_call": "autocollect.channels.voice.build_adapter",
    "letter": "autocollect.channels.letters.build_adapter",
}


def _factories() -> dict[str, str]:
    channels: dict[str, Any] = (getattr(settings, "AUTOCOLLECT", {}) or {}).get("CHANNELS") or {}
    return {**DEFAULT_FACTORIES, **(channels.get("ADAPTERS") or {})}


def adapter_for(channel: str) -> ChannelAdapter:
    path = _factories().get(channel)
    if path is None:
        raise ApplicationError(_("渠道 %(channel)s 没有配置发送适配器") % {"channel": channel})
    return cast(ChannelAdapter, import_string(path)())
