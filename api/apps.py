from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.audit import register_audit_actions
        from api.models import ApiKeyAudit

        register_audit_actions(ApiKeyAudit)
