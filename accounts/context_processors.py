from django.utils.functional import SimpleLazyObject

from accounts.navigation import SETTINGS, main_pages, settings_namespaces, settings_pages
from accounts.permissions import ROLE_PERMISSIONS
from accounts.selectors import memberships_for_user


def workspace(request):
    """The shell's context: the current organization, the user's role there, the menus' pages it may open,
    and the switcher list."""
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    perms = ROLE_PERMISSIONS[membership.role] if membership else frozenset()
    return {
        "org": getattr(request, "org", None),
        "membership": membership,
        "org_perms": perms,
        "main_pages": [(page, _marked(page, request)) for page in main_pages() if page.permission in perms],
        "settings_pages": [page for page in settings_pages() if page.permission in perms],
        "my_memberships": SimpleLazyObject(
            lambda: memberships_for_user(user) if user is not None and user.is_authenticated else []
        ),
    }


def _marked(page, request) -> bool:
    """Whether the page being shown belongs to this main menu entry (Settings: any Settings tab's page)."""
    match = getattr(request, "resolver_match", None)
    namespace = match.namespace if match else ""
    return page.marks(namespace) or (page.key == SETTINGS and namespace in settings_namespaces())
