"""Sign in and sign out. Thin: Django's views with our form and templates."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from autocollect.accounts.forms import LoginForm


@method_decorator(sensitive_post_parameters("password", "otp_token"), name="dispatch")
class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = False


class LogoutView(auth_views.LogoutView):
    """POST only (Django's rule since 5.0): a link or an image cannot sign anyone out."""
