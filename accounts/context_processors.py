from accounts.navigation import SETTINGS, main_pages, settings_namespaces, settings_pages
from accounts.permissions import ROLE_PERMISSIONS


def workspace(request):
    """The shell's context: the current organization, the user's role there, and the menus' pages it may
    open. The switcher's list of organizations comes when opened (accounts.views.organization_switcher)."""
    membership = getattr(request, "membership", None)
    perms = ROLE_PERMISSIONS[membership.role] if membership else frozenset()
    return {
        "org": getattr(request, "org", None),
        "membership": membership,
        "org_perms": perms,
        "main_pages": [(page, _marked(page, request)) for page in main_pages() if page.permission in perms],
        "settings_pages": [page for page in settings_pages() if page.permission in perms],
    }


def _marked(page, request) -> bool:
    """Whether the page being shown belongs to this main menu entry (Settings: any Settings tab's page)."""
    match = getattr(request, "resolver_match", None)
    namespace = match.namespace if match else ""
    return page.marks(namespace) or (page.key == SETTINGS and namespace in settings_namespaces())
