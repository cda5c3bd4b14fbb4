"""Forms of the collector's pages. They parse and check the shape of the input; what the input
means (may this contact be logged, is a promise consistent) is decided by the services."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from autocollect.cases.models import FlagKind, InteractionOutcome, OutcomeCode
from autocollect.core import clock
from autocollect.core.bounds import date_problem
from autocollect.core.money import YuanField
from autocollect.portfolio.models import Channel
from autocollect.workbench.services import AGENT_OUTCOMES, LOGGABLE_FLAGS

FLAG_LABELS = dict(FlagKind.choices)
OUTCOME_LABELS = dict(InteractionOutcome.choices)
CHANNEL_LABELS = dict(Channel.choices)
LOG_CHANNELS = ("call", "sms", "email", "visit", "letter")


class DateInput(forms.DateInput):
    input_type = "date"


class LocalDateTimeInput(forms.DateTimeInput):
    """``<input type="datetime-local">``: a wall-clock time without a zone, to the minute."""

    input_type = "datetime-local"
    FORMAT = "%Y-%m-%dT%H:%M"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=self.FORMAT)


# A call may be logged up to this many days after it started (AUTOCOLLECT["CALL_LOG_MAX_DAYS"]);
# a start time this far ahead of the request's clock is still taken as now (clocks differ).
CALL_LOG_MAX_DAYS = 7
CALL_START_TOLERANCE = timedelta(minutes=1)


def call_log_max_days() -> int:
    configured = (getattr(settings, "AUTOCOLLECT", {}) or {}).get("CALL_LOG_MAX_DAYS")
    return int(configured) if configured else CALL_LOG_MAX_DAYS


class OutcomeForm(forms.Form):
    # When the call (visit, message) began, typed on the collector's clock: the current time
    # zone, TIME_ZONE (Asia/Shanghai) unless activated otherwise. Blank means now. The contact
    # gate judges the contact at this moment (services.outcome_log(at=...)).
    started_at = forms.DateTimeField(
        label=_("通话开始时间"), required=False, widget=LocalDateTimeInput
    )
    contact = forms.TypedChoiceField(label=_("联系方式"), coerce=int)
    channel = forms.ChoiceField(
        label=_("渠道"), choices=[(c, CHANNEL_LABELS[c]) for c in LOG_CHANNELS]
    )
    outcome = forms.ChoiceField(
        label=_("联系结果"), choices=[(o, OUTCOME_LABELS[o]) for o in AGENT_OUTCOMES]
    )
    right_party = forms.BooleanField(label=_("联系到本人"), required=False)
    code = forms.ChoiceField(label=_("结果代码"), choices=OutcomeCode.choices)
    # core.money's grammar: 1,234.50 or １２３４．５ yes; 1,50, ١٠٠, 1e3 no (the reason shown).
    promise_amount = YuanField(label=_("承诺金额（元）"), required=False, min_fen=1)
    promise_due_on = forms.DateField(label=_("承诺还款日"), required=False, widget=DateInput)
    next_follow_up_on = forms.DateField(label=_("下次跟进日期"), required=False, widget=DateInput)
    notes = forms.CharField(
        label=_("备注"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    flags = forms.MultipleChoiceField(
        label=_("标记"),
        required=False,
        choices=[(f, FLAG_LABELS[f]) for f in LOGGABLE_FLAGS],
        widget=forms.CheckboxSelectMultiple,
    )

    # Plausible windows (core.bounds) of the dates typed here; the service checks the promise
    # date more narrowly (within PROMISE_MAX_DAYS), with its own message.
    DATE_WINDOWS = {"promise_due_on": "promise.due_on", "next_follow_up_on": "follow_up.on"}

    def __init__(
        self,
        *args: Any,
        contacts: list[tuple[int, str]],
        today: date | None = None,
        now: datetime | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.now = now or clock.now()
        self.today = today or timezone.localdate(self.now)
        started = self.fields["started_at"]
        started.widget.attrs["max"] = timezone.localtime(self.now).strftime(
            LocalDateTimeInput.FORMAT
        )
        started.help_text = _("按您的时钟（%(zone)s）填写；留空即为现在。") % {
            "zone": timezone.get_current_timezone_name()
        }
        contact_field = self.fields["contact"]
        assert isinstance(contact_field, forms.TypedChoiceField)
        contact_field.choices = contacts

    def clean_started_at(self) -> datetime | None:
        """None (now) or a moment from ``CALL_LOG_MAX_DAYS`` days ago to now (a minute ahead
        tolerated). Dates are compared first, so that year 1 or 9999 never reaches arithmetic
        that could overflow."""
        value: datetime | None = self.cleaned_data.get("started_at")
        if value is None:
            return None
        days = call_log_max_days()
        earliest = self.now - timedelta(days=days)
        local_now = timezone.localtime(self.now)
        day = value.date()
        if day > local_now.date() + timedelta(days=1) or value > self.now + CALL_START_TOLERANCE:
            raise forms.ValidationError(
                _("通话开始时间不能晚于当前时间（%(now)s）")
                % {"now": local_now.strftime("%Y-%m-%d %H:%M")}
            )
        if day < local_now.date() - timedelta(days=days + 1) or value < earliest:
            raise forms.ValidationError(
                _("只能记录 %(days)s 天内开始的通话（最早 %(earliest)s）")
                % {
                    "days": days,
                    "earliest": timezone.localtime(earliest).strftime("%Y-%m-%d %H:%M"),
                }
            )
        return value

    def call_started_at(self) -> datetime:
        """The moment the gate judges: the typed start time, or now when left blank."""
        value = self.cleaned_data.get("started_at")
        return value if isinstance(value, datetime) else self.now

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, window in self.DATE_WINDOWS.items():
            value = cleaned.get(name)
            if value is not None:
                problem = date_problem(value, window, today=self.today)
                if problem:
                    self.add_error(name, problem)
        return cleaned

    def promise_amount_fen(self) -> int | None:
        amount = self.cleaned_data.get("promise_amount")
        return amount if isinstance(amount, int) else None


class RevealForm(forms.Form):
    # "national_id" or "contact:<id>"
    field = forms.RegexField(regex=r"^(national_id|contact:\d+)$")
    reason = forms.CharField(required=False, max_length=200)


class ReassignForm(forms.Form):
    agent = forms.TypedChoiceField(label=_("催收员"), coerce=int)
    reason = forms.CharField(label=_("原因"), required=False, max_length=500)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, agents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agent_field = self.fields["agent"]
        assert isinstance(agent_field, forms.TypedChoiceField)
        agent_field.choices = agents


class AlertResolveForm(forms.Form):
    note = forms.CharField(label=_("处理说明"), max_length=1000)
    pause = forms.BooleanField(label=_("批准暂停联系"), required=False)


class PauseReleaseForm(forms.Form):
    note = forms.CharField(label=_("解除原因"), max_length=1000)
