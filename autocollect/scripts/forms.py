"""The form compliance uses to write a script (a new script, or a new version of one)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from autocollect.scripts.models import Audience, Language, Stage


class ScriptForm(forms.Form):
    code = forms.SlugField(label=_("话术代码"), max_length=60)
    stage = forms.ChoiceField(label=_("阶段"), choices=Stage.choices)
    language = forms.ChoiceField(label=_("语言"), choices=Language.choices)
    audience = forms.ChoiceField(
        label=_("对象"),
        choices=Audience.choices,
        help_text=_("可能被借款人以外的人听到的话术（语音留言、号码可能易主）请选择“第三方”。"),
    )
    position = forms.IntegerField(label=_("排序"), min_value=0, max_value=999, initial=0)
    title = forms.CharField(label=pgettext_lazy("script", "标题"), max_length=120)
    body = forms.CharField(
        label=_("话术正文"),
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=_("用 {{ 变量名 }} 插入案件信息，可用变量见下方。"),
    )
    notes = forms.CharField(
        label=_("使用提示"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
    )

    def __init__(self, *args: Any, fixed_identity: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if fixed_identity:
            # A new version keeps the script's code and language (that is what makes it one).
            self.fields["code"].disabled = True
            self.fields["language"].disabled = True
