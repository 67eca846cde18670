"""The customer portal's own records: online sign-ups waiting for their link to be opened."""

from django.db import models

from accounts.emails import EmailAddressField
from accounts.tenancy import TenantModel


class SignupRequest(TenantModel):
    """A visitor's online sign-up, waiting for them to open the link we emailed. Nothing on the roster and
    no login exists until they do: an address nobody has proven never becomes an identity. `details` holds
    the form as posted (without the password), checked again when it is confirmed."""

    email = EmailAddressField()
    channel = models.CharField(max_length=20)
    password = models.CharField(max_length=128, help_text="Hashed, as a login keeps it.")
    details = models.JSONField(default=dict)
    token_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["organization", "token_hash"], name="signup_request_token_idx")]

    def __str__(self):
        return f"{self.email} (sign-up)"
