from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organizations"

    def ready(self):
        from accounts.audit import register_audit_actions
        from accounts.models import AuditAction

        register_audit_actions(AuditAction)
