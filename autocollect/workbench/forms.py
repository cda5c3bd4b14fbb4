"""Forms of the collector's pages. They parse and check the shape of the input; what the input
means (may this contact be logged, is a promise consistent) is decided by the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
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


class OutcomeForm(forms.Form):
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
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or clock.localdate()
        contact_field = self.fields["contact"]
        assert isinstance(contact_field, forms.TypedChoiceField)
        contact_field.choices = contacts

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
