"""Every URL of the resolver, filled with the real ids of a fuzz world (tests/fuzz_world.py): which object
fills each path parameter, and the pool of both organizations' ids a form must refuse when not its own."""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from tests.fuzz_world import World

# Which object of the world fills each path parameter, by URL name (default: the customer for `pk`).
PARAMETERS = {
    "staff:membership_role": {"pk": "membership"},
    "staff:membership_remove": {"pk": "membership"},
    "staff:invitation_resend": {"pk": "invitation"},
    "staff:invitation_revoke": {"pk": "invitation"},
    "portal:staff_join": {"token": "staff_token"},
    "portal:claim": {"token": "claim_token"},
    "package_invite:open": {"token": "package_invite_token"},
    "package_invite:accept": {"token": "package_invite_token"},
    "package_invite:reject": {"token": "package_invite_token"},
    "package_invites:package": {"pk": "package"},
    "package_invites:cancel_all": {"pk": "package"},
    "package_invites:cancel": {"pk": "package"},
    "portal:family_member": {"pk": "dependant"},
    "intake:form": {"form_slug": "form_slug"},
    "intake:thanks": {"form_slug": "form_slug"},
    "accounts:password_reset_confirm": {"uidb64": "uidb64", "token": "reset_token"},
    "customers:bulk_progress": {"pk": "bulk"},
    "customers:segment_count": {"pk": "segment"},
    "customers:segment_delete": {"pk": "segment"},
    "customer_settings:custom_field_edit": {"pk": "custom_field"},
    "customer_settings:custom_field_retire": {"pk": "custom_field"},
    "customer_settings:custom_field_restore": {"pk": "custom_field"},
    "intake_settings:form_edit": {"pk": "intake_form"},
    "package_settings:edit": {"pk": "package"},
    "package_settings:archive": {"pk": "package"},
    "package_settings:restore": {"pk": "package"},
    "families:link_edit": {"pk": "link"},
    "families:link_remove": {"pk": "link"},
    "families:affiliation_remove": {"pk": "affiliation"},
    "families:organization": {"pk": "affiliated"},
    "tag_settings:edit": {"pk": "tag"},
    "tag_settings:merge": {"pk": "tag"},
    "tag_settings:delete": {"pk": "tag"},
    "api_keys:revoke": {"pk": "api_key"},
    "webhooks:detail": {"pk": "webhook_endpoint"},
    "webhooks:ping": {"pk": "webhook_endpoint"},
    "webhooks:rotate": {"pk": "webhook_endpoint"},
    "webhooks:delete": {"pk": "webhook_endpoint"},
    "webhooks:resend": {"pk": "webhook_endpoint"},
    "reports_scheduled:edit": {"pk": "scheduled_report"},
    "reports_scheduled:pause": {"pk": "scheduled_report"},
    "reports_scheduled:send": {"pk": "scheduled_report"},
    "reports_scheduled:delete": {"pk": "scheduled_report"},
    "metric_settings:edit": {"pk": "metric"},
    "metric_settings:archive": {"pk": "metric"},
    "metric_settings:restore": {"pk": "metric"},
    "profile_metrics:correct": {"pk": "metric_entry"},
    "metrics:report": {"pk": "metric"},
    "metrics:distribution_csv": {"pk": "metric"},
    "metrics:trend_csv": {"pk": "metric"},
    "booking_settings:room_edit": {"pk": "room"},
    "booking_settings:room_archive": {"pk": "room"},
    "booking_settings:package_edit": {"pk": "party"},
    "metrics:values_csv": {"pk": "metric"},
    "waiver_settings:edit": {"pk": "waiver_template"},
    "waiver_settings:signatures": {"pk": "waiver_template"},
    "waiver_settings:archive": {"pk": "waiver_template"},
    "waiver_settings:restore": {"pk": "waiver_template"},
    "waivers:link": {"token": "waiver_token"},
    "customer_settings:duplicates_scan_progress": {"pk": "duplicate_scan"},
    "customer_settings:not_duplicate": {"pk": "duplicate_pair"},
    "customers:merge": {"other_pk": "other_customer"},
    "profile_privacy:download": {"pk": "person_export"},
    "privacy_settings:certificate_pdf": {"pk": "erasure"},
    "privacy_settings:certificate_json": {"pk": "erasure"},
}
NAMESPACE_PK = {"imports": "import_job", "bookings": "booking", "book": "booking"}
COMMON = {
    "customer_id": "customer",
    "field_id": "custom_field",
    "metric_id": "metric",
    "segment_id": "segment",
    "tag_id": "tag",
    "note_pk": "note",
    "payment_pk": "payment",
    "entry_pk": "credit_entry",
    "card_pk": "punch_card",
    "punch_pk": "punch",
    "subscription_pk": "subscription",
    "external_pk": "external_subscription",
    "invite_pk": "package_invite",
    "package_id": "waitlisted_package",
    "party_id": "party",
    "waitlist_entry_pk": "waitlist_entry",
    "course_pk": "course",
    "session_pk": "session",
    "registration_pk": "registration",
    "tag_pk": "tag",
    "template_pk": "waiver_template",
    "signature_pk": "waiver_signature",
    "change_pk": "change",
    "delivery_pk": "webhook_delivery",
    "merge_pk": "merge",
    "job_id": "import_job",
    "pk": "customer",
    "uidb64": "uidb64",
    "token": "claim_token",  # a link of another kind must be refused like an unknown one
}
FIXED = {"file_format": "csv", "channel_slug": "booking"}
SKIPPED = {"admin"}  # the platform admin is Django's own, for superusers only


@dataclass(frozen=True)
class Route:
    route: str
    name: str
    parameters: tuple[str, ...]

    def url(self, slug: str, world: World) -> str:
        def value(match):
            parameter = match.group(1)
            if parameter == "org_slug":
                return slug
            if parameter in FIXED:
                return FIXED[parameter]
            namespace = self.name.split(":")[0]
            key = (
                PARAMETERS.get(self.name, {}).get(parameter)
                or (parameter == "pk" and NAMESPACE_PK.get(namespace))
                or COMMON.get(parameter)
            )
            assert key, f"{self.name}: say in tests/fuzz_routes.py which object fills <{parameter}>"
            return str(world.ids[key])

        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, self.route)


def routes() -> list[Route]:
    """Every URL of the resolver with its namespaced name (regex patterns of Django's admin left out)."""

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                if pattern.namespace not in SKIPPED:
                    yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
                yield Route(route, name, tuple(re.findall(r"<(?:\w+:)?(\w+)>", route)))

    return list(walk(get_resolver().url_patterns, "", ""))


def id_pool(*worlds: World) -> list[str]:
    """Ids, tokens and emails of both organizations: what a form must refuse when they are not its own."""
    return sorted(
        {str(value) for world in worlds for value in world.ids.values()}
        | {email for world in worlds for email in world.emails}
    )
