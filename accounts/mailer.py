"""Mail out through SMTP, to every address the product accepts (accounts.emails)."""

import email.policy
import smtplib

from django.core.mail.backends import smtp


class EmailBackend(smtp.EmailBackend):
    """Django's SMTP backend, but a message to someone with a letter of another script before the @
    (müller@example.de) goes out with SMTPUTF8 (RFC 6531), which mail servers offer; Django's own refuses
    such an address. A server without SMTPUTF8 refuses it as an SMTP error (retried, then reported)."""

    def _send(self, email_message):
        recipients = [self.prep_address(address, force_ascii=False) for address in email_message.recipients()]
        if all(address.rpartition("@")[0].isascii() for address in recipients):
            return super()._send(email_message)
        message = email_message.message(policy=email.policy.SMTPUTF8)
        sender = self.prep_address(email_message.from_email)
        try:
            self.connection.sendmail(sender, recipients, message.as_bytes(), mail_options=["SMTPUTF8"])
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
