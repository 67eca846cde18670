from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organizations"

    def ready(self):
        from accounts.audit import register_audit_actions
        from accounts.models import AuditAction
        from accounts.navigation import SETTINGS, Page, register_main_page, register_settings_page

        register_audit_actions(AuditAction)
        register_main_page(Page(SETTINGS, "Settings", "staff:settings", 100, "settings.change"))
        register_settings_page(Page("organization", "Organization", "staff:settings", 0, "settings.change"))
        register_settings_page(Page("staff", "Staff", "staff:staff", 900, "staff.view"))
        register_settings_page(Page("audit", "Audit log", "staff:audit", 950, "audit.view"))
