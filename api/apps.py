from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.audit import register_audit_actions
        from accounts.navigation import Page, register_settings_page
        from api.models import ApiKeyAudit

        register_audit_actions(ApiKeyAudit)
        register_settings_page(Page("api_keys", "API keys", "api_keys:list", 60, "settings.change"))
