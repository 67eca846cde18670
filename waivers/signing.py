"""The one signing step every page shares (portal, front desk, emailed link): the form bound to the request,
the service called with what it checked, and the refusal shown beside the form."""

from accounts.ratelimit import client_ip
from waivers import services
from waivers.forms import SignForm
from waivers.models import WaiverRequest, WaiverTemplate


def sign_form(
    request, template: WaiverTemplate, *, signers: list, people: list, ticked: list[int] | None = None
) -> SignForm:
    data = request.POST if request.method == "POST" else None
    return SignForm(data, version=template.current_version, signers=signers, people=people, ticked=ticked)


def sign_from_form(
    request,
    form: SignForm,
    *,
    template: WaiverTemplate,
    channel: str,
    by=None,
    link: WaiverRequest | None = None,
) -> list | None:
    """Sign with a valid form's answers; None (the refusal added to the form) when the service refuses."""
    try:
        return services.waiver_sign(
            template=template,
            version=form.cleaned_data["version"],
            signer=form.signer_choice,
            people=form.people_chosen,
            typed_name=form.cleaned_data["typed_name"],
            signature_png=form.cleaned_data["signature"],
            channel=channel,
            ip=client_ip(request) or None,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            by=by,
            request=link,
        )
    except services.WaiverError as refusal:
        form.add_error(None, str(refusal))
        return None
