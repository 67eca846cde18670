"""Emails in an organization's own words: staff write subject and body with {{ placeholders }}, and what
customers or staff typed is never markup nor a link in the result."""

from django.core.mail import EmailMultiAlternatives
from django.utils.html import escape, format_html, linebreaks

from invites.wording import fill


def unlinkable(text: str) -> str:
    """`text` as people read it, with a zero-width space after each ":" and "." so that no mail client
    autolinks it as a web address."""
    return text.replace(":", ":\u200b").replace(".", ".\u200b")


def worded_email(
    *, subject: str, body: str, values: dict[str, str], to: str, reminder: bool = False, typed: tuple = ()
) -> EmailMultiAlternatives:
    """The email of `subject` and `body` with `values` filled in, plain text and HTML. `values["link"]`
    becomes the HTML's one link; the values named in `typed` (what people typed: names, notes) are defused."""
    values = {name: unlinkable(value) if name in typed else value for name, value in values.items()}
    html_values = {name: escape(value) for name, value in values.items()}
    html_values["link"] = format_html('<a href="{0}">{0}</a>', values["link"])
    subject = ("Reminder: " if reminder else "") + fill(subject, values)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # one line: a header with a line break is refused by the mailer
        body=fill(body, values),
        to=[to],
    )
    message.attach_alternative(linebreaks(fill(escape(body), html_values)), "text/html")
    return message
