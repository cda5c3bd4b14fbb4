"""The shared pages of ``autocollect/ui``: the menu the apps register is the one ``base.html``
named before (same links, order, visibility per role, ``aria-current``); the 500 page renders
with no context and no database, in the active language; ``{{ fen|yuan }}`` and the pager."""

from __future__ import annotations

import re

import pytest
from django.core.paginator import Paginator
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from tests.accounts.conftest import World, build_world

HOME, QUEUE, TEAM, APPROVALS = "概览", "我的队列", "组长工作台", "方案审批"
LEGAL, DEADLINES, SCRIPTS, LOANS, API, ADMIN = (
    "法务",
    "法务期限",
    "话术库",
    "贷款合同",
    "API 文档",
    "管理后台",
)
REPORTS, REPORT = "违规举报处理", "违规举报"

# What base.html showed each role before the menu became a registry.
MENU: dict[str | None, list[str]] = {
    None: [HOME, LOANS, API, ADMIN],
    Role.COLLECTOR: [HOME, QUEUE, SCRIPTS, REPORT, LOANS, API, ADMIN],
    Role.TEAM_LEAD: [HOME, QUEUE, TEAM, APPROVALS, SCRIPTS, REPORT, LOANS, API, ADMIN],
    Role.LEGAL: [HOME, LEGAL, DEADLINES, SCRIPTS, REPORT, LOANS, API, ADMIN],
    Role.RISK: [HOME, APPROVALS, SCRIPTS, REPORT, LOANS, API, ADMIN],
    Role.COMPLIANCE: [HOME, APPROVALS, SCRIPTS, REPORTS, LOANS, API, ADMIN],
    Role.ADMIN: [
        HOME,
        QUEUE,
        TEAM,
        APPROVALS,
        LEGAL,
        DEADLINES,
        SCRIPTS,
        REPORTS,
        LOANS,
        API,
        ADMIN,
    ],
}
NAV_LINK = re.compile(r'<a href="([^"]*)" data-nav="[^"]*"( aria-current="page")?>([^<]*)</a>')


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def menu(client: Client, url: str) -> list[tuple[str, str, bool]]:
    """(label, href, current) of each menu link on the page at ``url``."""
    response = client.get(url)
    assert response.status_code == 200, url
    nav = response.content.decode().split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]
    return [(label, href, bool(current)) for href, current, label in NAV_LINK.findall(nav)]


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", list(MENU))
def test_each_role_sees_the_links_it_saw_before_in_the_same_order(
    world: World, role: str | None
) -> None:
    user = None if role is None else world.users[role]
    page = reverse("accounts:login") if role is None else reverse("workbench:loan_list")

    links = menu(client_for(user), page)

    assert [label for label, _, _ in links] == MENU[role]
    hrefs = dict((label, href) for label, href, _ in links)
    assert hrefs[HOME] == "/"
    assert hrefs[LOANS] == "/loans/"
    assert hrefs[API] == "/api/docs"
    assert hrefs[ADMIN] == "/admin/"


@pytest.mark.parametrize(
    ("url", "current"),
    [
        ("/", HOME),
        ("/queue/", QUEUE),
        ("/team/", TEAM),
        ("/arrangements/", APPROVALS),
        ("/legal/", LEGAL),
        ("/legal/deadlines/", LEGAL),  # the deadlines link itself is never marked, as before
        ("/scripts/", SCRIPTS),
        ("/conduct/", REPORTS),
        ("/loans/", LOANS),
    ],
)
def test_the_current_page_marks_its_menu_entry(world: World, url: str, current: str) -> None:
    links = menu(client_for(world.users[Role.ADMIN]), url)

    assert [label for label, _, is_current in links if is_current] == [current]


def test_the_case_page_marks_the_queue(world: World) -> None:
    links = menu(client_for(world.users[Role.COLLECTOR]), f"/cases/{world.own_case.pk}/")
    assert [label for label, _, is_current in links if is_current] == [QUEUE]


def test_the_500_page_renders_with_no_context_and_no_database() -> None:
    # No django_db mark: pytest-django fails any query, as a broken database would.
    chinese = render_to_string("500.html")
    with translation.override("en"):
        english = render_to_string("500.html")

    assert "服务器出错" in chinese
    assert "/static/ui/ui.css" in chinese
    assert '<html lang="en">' in english
    assert "Server error" in english
    assert not re.search(r"[\u4e00-\u9fff]", english.replace("车贷催收系统", ""))


def test_the_403_page_shows_a_general_reason_for_a_bare_permission_denied(world: World) -> None:
    from django.core.exceptions import PermissionDenied

    from autocollect.ui.views import permission_denied

    request = RequestFactory().get("/")
    request.user = world.users[Role.COLLECTOR]
    request.session = {}  # type: ignore[assignment]

    response = permission_denied(request, PermissionDenied("internal detail, not for users"))

    assert response.status_code == 403
    text = response.content.decode()
    assert "您没有执行此操作的权限。" in text
    assert "internal detail" not in text


@pytest.mark.parametrize(
    ("fen", "shown"), [(123456, "¥1,234.56"), (0, "¥0.00"), (-5, "¥-0.05"), (None, "—")]
)
def test_the_yuan_filter_formats_fen(fen: int | None, shown: str) -> None:
    assert Template("{% load ui %}{{ fen|yuan }}").render(Context({"fen": fen})) == shown


def test_the_pager_keeps_the_query_and_moves_the_page() -> None:
    request = RequestFactory().get("/loans/", {"q": "张 伟", "page": "2"})
    page = Paginator(list(range(120)), 50).get_page(2)

    html = render_to_string("ui/_pager.html", {"page": page, "request": request})

    assert 'href="?q=%E5%BC%A0+%E4%BC%9F&amp;page=1" rel="prev"' in html
    assert 'href="?q=%E5%BC%A0+%E4%BC%9F&amp;page=3" rel="next"' in html
    assert "第 2 / 3 页" in html
