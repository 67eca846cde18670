"""Emails in an organization's own words: staff write subject and body with {{ placeholders }}, and what
customers or staff typed is never markup nor a link in the result."""

from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formatdate, make_msgid

from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.utils.html import escape, format_html, linebreaks

from invites.wording import fill

EIGHT_BIT, QUOTED_PRINTABLE = Charset("utf-8"), Charset("utf-8")
EIGHT_BIT.body_encoding, QUOTED_PRINTABLE.body_encoding = None, QP
SMTP_LINE = 990  # bytes: a longer line must be encoded to travel by SMTP
SMTP_LINES = compat32.clone(linesep="\r\n")  # the mail backends send as_bytes() as it is


class WordedEmail(EmailMessage):
    """A plain-text email with its HTML alternative, made into MIME by the standard library's compat32
    classes: Django's own MIME takes 2.4 ms a message, this 0.4 ms, which is what sending a batch of thousands
    costs (bench/package_invites.py). Every mail backend sends it as any EmailMessage."""

    def __init__(self, *, subject: str, text: str, html: str, to: str):
        super().__init__(subject=subject, body=text, to=[to])
        self.html = html

    def message(self, *, policy=None) -> MIMEMultipart:
        mime = MIMEMultipart("alternative", policy=SMTP_LINES)
        mime["Subject"] = self.subject if self.subject.isascii() else Header(self.subject, "utf-8")
        mime["From"] = self.from_email
        mime["To"] = ", ".join(_ascii_domain(address) for address in self.to)
        mime["Date"] = formatdate(localtime=True)
        mime["Message-ID"] = make_msgid(domain=DNS_NAME)
        for content, subtype in ((self.body, "plain"), (self.html, "html")):
            long = any(len(line.encode()) > SMTP_LINE for line in content.splitlines())
            charset = QUOTED_PRINTABLE if long else EIGHT_BIT
            mime.attach(MIMEText(content, subtype, charset, policy=SMTP_LINES))
        return mime


def _ascii_domain(address: str) -> str:
    """The address with its domain in IDNA (a non-ASCII local part is refused by the mail backend)."""
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.encode('idna').decode()}"


def unlinkable(text: str) -> str:
    """`text` as people read it, with a zero-width space after each ":" and "." so that no mail client
    autolinks it as a web address."""
    return text.replace(":", ":\u200b").replace(".", ".\u200b")


def worded_email(
    *, subject: str, body: str, values: dict[str, str], to: str, reminder: bool = False, typed: tuple = ()
) -> WordedEmail:
    """The email of `subject` and `body` with `values` filled in, plain text and HTML. `values["link"]`
    becomes the HTML's one link; the values named in `typed` (what people typed: names, notes) are defused."""
    values = {name: unlinkable(value) if name in typed else value for name, value in values.items()}
    html_values = {name: escape(value) for name, value in values.items()}
    html_values["link"] = format_html('<a href="{0}">{0}</a>', values["link"])
    subject = ("Reminder: " if reminder else "") + fill(subject, values)
    return WordedEmail(
        subject=" ".join(subject.split()),  # one line: a header with a line break is refused by the mailer
        text=fill(body, values),
        html=linebreaks(fill(escape(body), html_values)),
        to=to,
    )
