"""Spots of a package with a capacity kept for one customer for a while (a waitlist offer): no one else may
buy them until the hold ends."""

from django.db import models
from django.utils import timezone

from accounts.tenancy import TenantManager, TenantModel
from billing.models.packages import Package
from billing.models.sales import Purchase
from customers.models import Customer


class SpotHoldQuerySet(models.QuerySet):
    def live(self):
        """Holds that still keep their spot: neither used, let go, nor past their time."""
        return self.filter(purchase=None, released_at=None, expires_at__gt=timezone.now())


class SpotHold(TenantModel):
    """One spot of `package` kept for `customer` until `expires_at`. It ends bought (`purchase`), let go
    (`released_at`: declined, cancelled) or expired."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="holds")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", help_text="For whom.")
    expires_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    purchase = models.OneToOneField(
        Purchase, on_delete=models.SET_NULL, null=True, blank=True, related_name="hold"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager.from_queryset(SpotHoldQuerySet)()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="spot_hold_organization_id_unique"),
        ]
        indexes = [
            # What a package's capacity counts: its holds not used nor let go.
            models.Index(
                fields=["organization", "package", "expires_at"],
                condition=models.Q(purchase=None, released_at=None),
                name="spot_hold_live_idx",
            ),
        ]

    def __str__(self):
        return f"Spot of {self.package_id} for {self.customer_id} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.purchase_id is None and self.released_at is None and self.expires_at > timezone.now()
