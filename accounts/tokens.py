"""Links that prove someone reads an address: the password reset's token generator, made for confirming
a new login's email."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    """Valid until the address is confirmed (single use), its password or email changes, or
    PASSWORD_RESET_TIMEOUT passes; useless as a password reset token (another salt)."""

    key_salt = "accounts.tokens.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.password}{user.email}{user.email_verified_at}{timestamp}"


email_confirmation_tokens = EmailConfirmationTokenGenerator()
