"""The login form: username and password, and the TOTP code for users with a device."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device


class LoginForm(AuthenticationForm):
    otp_token = forms.CharField(
        label=_("动态口令"),
        required=False,
        max_length=8,
        help_text=_("已启用双因素认证的账号请输入验证器中的 6 位数字"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "otp_required": _("此账号已启用双因素认证，请输入动态口令。"),
        "otp_invalid": _("动态口令不正确或已使用。"),
    }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = self.get_user()
        if user is None or not user_has_device(user, confirmed=True):
            return cleaned
        token = (cleaned.get("otp_token") or "").strip()
        if not token:
            raise forms.ValidationError(self.error_messages["otp_required"], code="otp_required")
        with transaction.atomic():
            device = next(
                (
                    d
                    for d in devices_for_user(user, confirmed=True, for_verify=True)
                    if d.verify_token(token)
                ),
                None,
            )
        if device is None:
            # A wrong code counts as a failed login: audited, and towards the lockout.
            user_login_failed.send(
                sender=__name__,
                credentials={"username": user.get_username()},
                request=self.request,
                reason="bad one-time code",
            )
            raise forms.ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")
        # django_otp marks the session verified at login when the user carries the device.
        user.otp_device = device  # type: ignore[attr-defined]
        return cleaned
