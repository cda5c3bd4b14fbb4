from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    name = "autocollect.workbench"
    label = "workbench"
    verbose_name = _("工作台")

    def ready(self) -> None:
        from autocollect.accounts.access import has_permission
        from autocollect.ui.assets import script_register
        from autocollect.ui.menu import MenuItem, menu_register, on_urls

        menu_register(
            MenuItem(
                key="home",
                label=_("概览"),
                url="workbench:home",
                order=10,
                current=on_urls("workbench", "home"),
            ),
            MenuItem(
                key="queue",
                label=_("我的队列"),
                url="workbench:queue",
                order=20,
                visible=lambda user: has_permission(user, "work_cases"),
                current=on_urls("workbench", "queue", "case_detail", "case_log"),
            ),
            MenuItem(
                key="team",
                label=_("组长工作台"),
                url="workbench:team",
                order=30,
                visible=lambda user: has_permission(user, "view_team"),
                current=on_urls("workbench", "team"),
            ),
            MenuItem(
                key="loans",
                label=_("贷款合同"),
                url="workbench:loan_list",
                order=90,
                current=on_urls("workbench", "loan_list", "loan_detail"),
            ),
        )
        # Keyboard shortcuts, on every page: "g q" goes to the queue link of the menu.
        script_register("workbench/workbench.js")
