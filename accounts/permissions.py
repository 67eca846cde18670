"""What each staff role may do, and the one decorator every staff view uses to check it."""

from functools import wraps

from django.core.exceptions import PermissionDenied

from accounts.models import Role

STAFF_PERMISSIONS = frozenset(
    {"customers.view", "customers.change", "families.view", "families.change", "payments.take"}
)
ADMIN_PERMISSIONS = STAFF_PERMISSIONS | {
    "audit.view",
    "customers.export",
    "customers.merge",
    "customers.delete",
    "imports.run",
    "settings.change",
    "staff.view",
    "staff.invite",
    "tags.create",
    "notes.manage",
    "payments.refund",
    "reports.view",
}
OWNER_PERMISSIONS = ADMIN_PERMISSIONS | {"organization.change", "payments.connect", "staff.manage_owners"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(OWNER_PERMISSIONS),
    Role.ADMIN: frozenset(ADMIN_PERMISSIONS),
    Role.STAFF: STAFF_PERMISSIONS,
}


def has_permission(membership, permission: str) -> bool:
    return membership is not None and permission in ROLE_PERMISSIONS[membership.role]


def org_permission(permission: str):
    """Staff view decorator: the tenant middleware has found the membership; refuse without `permission`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_permission(getattr(request, "membership", None), permission):
                raise PermissionDenied(f"Your role may not do this ({permission}).")
            return view(request, *args, **kwargs)

        wrapped.required_permission = permission
        return wrapped

    return decorator
