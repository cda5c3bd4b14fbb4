"""Forms of the misconduct channel."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from autocollect.accounts.models import User
from autocollect.cases.models import CollectionCase
from autocollect.conduct.models import Category, ReportState
from autocollect.conduct.selectors import reportable_users


class _UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = f"{obj.last_name}{obj.first_name}".strip()
        return f"{name}（{obj.username}）" if name else str(obj.username)


class ReportForm(forms.Form):
    subject = _UserChoice(label=_("被举报人"), queryset=User.objects.none())
    category = forms.ChoiceField(label=_("违规类型"), choices=Category.choices)
    case_id = forms.IntegerField(
        label=_("相关案件编号"),
        required=False,
        min_value=1,
        help_text=_("选填：违规发生在哪个案件上。"),
    )
    description = forms.CharField(
        label=_("情况描述"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text=_("发生了什么、何时、在哪个渠道（电话、短信、上门）、有无录音或其他证据。"),
    )
    anonymous = forms.BooleanField(
        label=_("匿名举报"),
        required=False,
        help_text=_(
            "匿名举报不记录举报人，任何人（包括合规）都无法得知是谁举报。提交后您会得到一个"
            "查询码（只显示一次），凭码可查看处理进度和合规给您的留言。"
        ),
    )

    def __init__(self, *args: Any, reporter: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["subject"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = reportable_users(reporter)

    def clean_case_id(self) -> CollectionCase | None:
        case_id = self.cleaned_data.get("case_id")
        if case_id is None:
            return None
        case = CollectionCase.objects.filter(pk=case_id).first()
        if case is None:
            raise forms.ValidationError(_("没有这个案件编号。"))
        return case


class TransitionForm(forms.Form):
    to_state = forms.ChoiceField(label=_("新状态"), choices=ReportState.choices)
    outcome = forms.CharField(
        label=_("结论 / 说明"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("调查记录"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
    )


class ReporterMessageForm(forms.Form):
    body = forms.CharField(
        label=_("给举报人的留言（举报人可见）"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
    )


class FollowUpForm(forms.Form):
    """The code of an anonymous report, always in a POST body: never in a URL, so never in an
    access log or the browser's history. An empty code is not a form error: it gets the same
    answer as a wrong one."""

    code = forms.CharField(
        label=_("查询码"),
        required=False,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "XXXX-XXXX-…"}
        ),
    )
    message = forms.CharField(
        label=_("补充信息或回复（选填）"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
    )
