"""Old links to a merged-away customer lead to the customer they were merged into."""

from django.http import HttpResponseRedirect
from django_htmx.http import HttpResponseClientRedirect

from customers.selectors import CustomerMergedAway


class MergedCustomerMiddleware:
    """A staff page of a tombstone (/app/<org>/customers/<id>/…) redirects to the same page of its survivor.
    302, not 301: the merge can be undone for 30 days, after which the old link must work again; a POST
    (an action on a customer who is gone) lands on the survivor's profile instead of being replayed. An htmx
    request (a tab, an action in one) loads the whole page there: swapped into the gone customer's page, the
    survivor's tab would sit under the wrong name."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, CustomerMergedAway):
            return None
        old, new = f"/customers/{exception.pk}/", f"/customers/{exception.survivor_id}/"
        if old not in request.path:
            return None
        redirect = HttpResponseClientRedirect if request.htmx else HttpResponseRedirect
        head = request.path.split(old, 1)[0]
        if request.method not in ("GET", "HEAD"):
            return redirect(f"{head}{new}")
        query = request.META.get("QUERY_STRING", "")
        return redirect(request.path.replace(old, new, 1) + (f"?{query}" if query else ""))
