"""The endpoint each organization's Stripe account delivers its events to: POST /stripe/webhooks/<org>/.
The tenant middleware has entered the organization named in the address (404 for an unknown one); the
delivery proves itself with the signature made with that organization's webhook secret. Answers: 200 once the
event is stored (again for a repeated delivery, which changes nothing), 400 for a delivery that does not
prove itself (nothing stored), 404 for an organization without payments connected."""

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.http.request import RawPostDataException
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import account, account_services, gateway


@csrf_exempt  # Stripe signs its deliveries instead; it has no session or CSRF token
@require_POST
def stripe_webhook(request, org_slug):
    try:
        secret = account.webhook_secret_for_org()
    except account.PaymentsNotConnected:
        raise Http404("This organization takes no payments through Stripe.") from None
    try:
        body = request.body
    except RawPostDataException:  # a form upload, already read as one: no Stripe event
        return HttpResponseBadRequest("Not a Stripe event.", content_type="text/plain")
    try:
        event = gateway.event_from_payload(body, request.headers.get("Stripe-Signature", ""), secret)
    except gateway.WebhookRejected as rejection:
        return HttpResponseBadRequest(str(rejection), content_type="text/plain")
    account_services.stripe_event_receive(event=event)
    return HttpResponse("Received.", content_type="text/plain")
