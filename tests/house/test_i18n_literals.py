"""Every message a user reads is translated (DESIGN.md, style rules 7 and 12).

The production code's syntax tree is walked for the calls that carry a message to a person —
the refusal (``Refused``, ``refuse``), invalid input (``ApplicationError``,
``FieldValidationError``'s reason), the API's ``HttpError(status, message)``, Django's
``PermissionDenied`` and form ``ValidationError``, and ``messages.error/success/warning/info``
— and a message written as a bare string literal or f-string (or a literal formatted with ``%``,
``+`` or ``.format``) fails the test, naming the file and line. A translated message is a call
(``_("…")``, ``_("…") % {…}``) or a variable.

Not user-facing, so not checked: programming errors (``ValueError``, ``RuntimeError``), and
the errors of files an operator loads on the command line (policy packs, scenarios, import
files), which have their own exception types.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
PRODUCTION = (ROOT / "autocollect", ROOT / "config")

# Call name → index of the positional argument that is the message.
MESSAGE_ARGUMENT = {
    "ApplicationError": 0,
    "Refused": 0,
    "refuse": 0,
    "PermissionDenied": 0,
    "ValidationError": 0,
    "FieldValidationError": 1,  # (field, reason): the field is a name, the reason is read
    "HttpError": 1,  # (status, message)
}
MESSAGE_KEYWORDS = {"message", "reason"}
FLASH = {"debug", "info", "success", "warning", "error"}


def _literal(node: ast.expr) -> bool:
    """A message that cannot have been translated: a string literal, an f-string, or one of
    them formatted."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(node.value)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return _literal(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format" and _literal(node.func.value)
    return False


def _message_arguments(call: ast.Call) -> list[ast.expr]:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "messages"
        and name in FLASH
    ):
        index: int | None = 1  # messages.error(request, message)
    else:
        index = MESSAGE_ARGUMENT.get(name)
    if index is None:
        return []
    found = list(call.args[index : index + 1])
    found += [k.value for k in call.keywords if k.arg in MESSAGE_KEYWORDS]
    return found


def untranslated_messages(source: str, filename: str) -> list[str]:
    """``filename:line: call(message)`` for each user-facing message left untranslated."""
    problems = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if not isinstance(node, ast.Call):
            continue
        for argument in _message_arguments(node):
            if _literal(argument):
                problems.append(
                    f"{filename}:{node.lineno}: {ast.unparse(node.func)}({ast.unparse(argument)})"
                )
    return problems


def production_files() -> list[Path]:
    return sorted(
        path
        for folder in PRODUCTION
        for path in folder.rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    )


@pytest.mark.parametrize(
    "source",
    [
        'raise ApplicationError("amounts: must not be negative")',
        'raise ApplicationError(f"kind: unknown kind {kind!r}")',
        'raise ApplicationError("%s" % x, extra={"field": "x"})',
        'raise Refused("no")',
        'refuse("sign in to report")',
        'raise PermissionDenied(f"one of {perms} required")',
        'raise HttpError(404, f"no plan for {day}")',
        'raise forms.ValidationError("bad {}".format(x))',
        'raise FieldValidationError("letter", "required")',
        'messages.error(request, "saved")',
        'messages.success(request, message="saved")',
    ],
)
def test_the_checker_finds_an_untranslated_message(source: str) -> None:
    assert len(untranslated_messages(source, "example.py")) == 1


@pytest.mark.parametrize(
    "source",
    [
        'raise ApplicationError(_("金额不能为负数"), extra={"field": "amount_fen"})',
        'raise ApplicationError(_("未知的操作：%(op)s") % {"op": op})',
        "raise ApplicationError(exc.message) from exc",
        "refuse(permission_refusal(user, *perms))",
        'refuse("")',
        "raise PermissionDenied",
        'raise HttpError(404, _("案件 %(id)s 不存在") % {"id": case_id})',
        'raise FieldValidationError("letter", _("必填"))',
        'messages.error(request, _("已保存。"))',
        'raise ValueError(f"unknown permission {perm!r}")',
        'logger.error("failed: %s", exc)',
    ],
)
def test_the_checker_passes_a_translated_message_and_other_errors(source: str) -> None:
    assert untranslated_messages(source, "example.py") == []


def test_every_user_facing_message_in_the_code_is_translated() -> None:
    files = production_files()
    assert len(files) > 100  # the walk found the code
    problems = [
        problem
        for path in files
        for problem in untranslated_messages(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))
        )
    ]
    if problems:
        pytest.fail(
            f"{len(problems)} user-facing messages are untranslated literals; wrap each in "
            "gettext with a Chinese msgid and add its English to the app's "
            "locale/en/LC_MESSAGES/django.po:\n  " + "\n  ".join(problems)
        )
