"""``op|action_fields``: the fields of one small stage-action form on the referral page, as
``(name, caption, kind)`` rows (``legal/_action.html`` renders them).

The captions are defined here, wrapped with ``gettext_lazy``, so that ``makemessages`` finds
them and they show in the active language; a caption written inside a template string could
be neither extracted nor checked (``tests/house/test_i18n_catalogues.py``)."""

from __future__ import annotations

from django import template
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

register = template.Library()

# (input name, caption, kind); kind "date" renders a required date input, "text" a text input.
ActionField = tuple[str, str | Promise, str]

# The posted names are those the view's handler in ``views.ACTIONS`` reads for the same ``op``.
ACTION_FIELDS: dict[str, tuple[ActionField, ...]] = {
    "mediation_start": (
        ("mediator", _("调解员"), "text"),
        ("organisation", _("调解组织"), "text"),
    ),
    "jc_apply": (
        ("court", _("法院"), "text"),
        ("applied_on", _("申请日"), "date"),
    ),
    "jc_accept": (("accepted_on", _("受理日"), "date"),),
    "litigation_file": (
        ("court", _("法院"), "text"),
        ("case_no", _("案号"), "text"),
        ("filed_on", _("立案日"), "date"),
    ),
    "hearing_add": (
        ("scheduled_on", _("开庭日期"), "date"),
        ("court", _("法院"), "text"),
        ("notes", _("备注"), "text"),
    ),
    "judgment": (
        ("judgment_on", _("判决日"), "date"),
        ("effective_on", _("生效日"), "date"),
        ("amount_yuan", _("判决金额（元）"), "text"),
        ("summary", _("判决摘要"), "text"),
    ),
    "enforcement_apply": (
        ("applied_on", _("申请日"), "date"),
        ("case_no", _("执行案号"), "text"),
    ),
    "recovery": (("amount_yuan", _("金额（元）"), "text"),),
}


@register.filter
def action_fields(op: str) -> tuple[ActionField, ...]:
    return ACTION_FIELDS[op]
