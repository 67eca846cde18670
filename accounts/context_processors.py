from django.utils.functional import SimpleLazyObject

from accounts.permissions import ROLE_PERMISSIONS
from accounts.selectors import memberships_for_user


def workspace(request):
    """The shell's context: the current organization, the user's role there, and the switcher list."""
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    return {
        "org": getattr(request, "org", None),
        "membership": membership,
        "org_perms": ROLE_PERMISSIONS[membership.role] if membership else frozenset(),
        "my_memberships": SimpleLazyObject(
            lambda: memberships_for_user(user) if user is not None and user.is_authenticated else []
        ),
    }
