"""`/api/v1/customers/`: the roster through the API. Lists use the roster's own filters and search; writes go
through the Staff Portal's form (its channel's required fields) and the services the staff pages call."""

import copy
import json
from datetime import UTC, date, datetime
from typing import Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError
from django.db.models import Q
from django.http import HttpResponse, QueryDict
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import ConfigDict, StrictBool

from api.auth import scoped
from api.common import (
    IF_MATCH_RESPONSES,
    CursorPage,
    Day,
    FieldErrors,
    Moment,
    PageParams,
    Problem,
    etag_of,
    if_match_check,
    paginate,
)
from api.custom_values import (
    AUDIENCE,
    CustomValue,
    custom_out,
    form_data,
    form_errors,
    staff_custom_fields,
    values_out,
)
from customers import services
from customers.duplicates import possible_duplicates
from customers.fields import custom_values, customer_fields, registry_pinned
from customers.filters import CustomerFilter
from customers.forms import CustomerForm
from customers.models import TEXT_TYPES, Customer, Source
from customers.rules import Channel, channel_rules
from customers.search import custom_field_source, normalize, plan
from customers.selectors import refuse_tombstone

router = Router()
BATCH_MAX = 1000
RACED = "Another customer was just saved with this email or number; check and retry."


# Schemas -------------------------------------------------------------------------------------------------


class CustomerOut(Schema):
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    birthday: date | None
    gender: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    country: str
    emergency_contact_name: str
    emergency_contact_phone: str
    marketing_opt_in: bool
    do_not_solicit: bool
    number: str
    source: str
    archived: bool
    created_at: datetime
    updated_at: datetime
    custom: dict[str, CustomValue] = Field(
        description="Custom field values staff may see, by the field's key (`cf_<id>` for a field without "
        "one): text, a number, true/false, a date (YYYY-MM-DD), an option's label or a list of labels."
    )
    etag: str = Field(description="The version read: send it as `If-Match` to change the customer.")

    @staticmethod
    def resolve_archived(customer) -> bool:
        return customer.archived_at is not None

    @staticmethod
    def resolve_custom(customer) -> dict:
        return custom_out(customer)

    @staticmethod
    def resolve_etag(customer) -> str:
        return customer_etag(customer)


# The columns a list reads: CustomerOut's, and archived_at for `archived`.
LISTED_COLUMNS = [name for name in CustomerOut.model_fields if hasattr(Customer, name)] + ["archived_at"]


class Duplicate(Schema):
    id: int
    name: str
    score: int = Field(description="0–100: how alike the two are (the duplicate finder's score).")
    reasons: list[str] = Field(description="What they share, e.g. “Same email”, “Similar name”.")

    @staticmethod
    def resolve_id(duplicate) -> int:
        return duplicate.customer.pk

    @staticmethod
    def resolve_name(duplicate) -> str:
        return duplicate.customer.full_name


class CustomerCreated(CustomerOut):
    possible_duplicates: list[Duplicate] = Field(
        default=[],
        description="Who may be the same person, as the duplicate finder scores them; saved anyway.",
    )


class CustomerIn(Schema):
    """A customer's fields. Which are required is the Staff Portal column of Settings → Required fields; a
    field hidden there is ignored. On PATCH, only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birthday: Day | None = None
    gender: Literal["female", "male", "non_binary", ""] | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    emergency_contact_name: str | None = None
    emergency_contact_phone: str | None = None
    marketing_opt_in: StrictBool | None = None
    number: str | None = None
    custom: dict[str, CustomValue] = Field(
        default={}, description="Custom field values by key; an option by its label; null clears a value."
    )


class BatchIn(Schema):
    customers: list[CustomerIn] = Field(min_length=1, max_length=BATCH_MAX)


class BatchResult(Schema):
    index: int = Field(description="The item's position in `customers`, from 0.")
    id: int | None = Field(description="The new customer's id, or null when the item was refused.")
    errors: dict[str, list[str]] | None = None


class BatchOut(Schema):
    created: int
    refused: int
    results: list[BatchResult]


class CustomerQuery(Schema):
    q: str = Field("", max_length=200, description="The roster's search: name, email, phone digits, number…")
    archived: Literal["false", "true", "any"] = Field(
        "false", description="Archived customers: no, only, both."
    )
    order: Literal["id", "updated_at"] = Field(
        "id", description="Ascending; `updated_at` with `updated_since` fetches what changed since a sync."
    )
    updated_since: Moment | None = Field(None, description="Only customers changed at or after this time.")
    source: Literal["staff", "online_booking", "online_store", "import", "api", "form", ""] = ""
    birthday_month: int | None = Field(None, ge=1, le=12)
    has_email: bool | None = None
    has_phone: bool | None = None
    do_not_solicit: bool | None = None
    created_min: Day | None = Field(None, description="Created on or after this day.")
    created_max: Day | None = Field(None, description="Created on or before this day.")
    letter: str = Field("", pattern="^[a-z#]?$", description="Last name initial, a–z, or # for the rest.")


LIST_DESCRIPTION = (
    "The roster's customers with its filters and search. Besides the parameters listed, every other filter "
    "of the roster's Filters panel works under the name it has in the roster's URL (custom fields as "
    "`cf_<id>`, tags, families, memberships…). Pages follow `next`; a walk by `id` or `updated_at` never "
    "repeats or misses a customer added meanwhile."
)


# Reads ---------------------------------------------------------------------------------------------------


def customer_etag(customer: Customer) -> str:
    return etag_of(customer.pk, customer.updated_at)


def _customer(customer_id: int, *, for_update: bool = False) -> Customer:
    customers = Customer.objects.select_for_update() if for_update else Customer.objects
    customer = customers.filter(pk=customer_id).first()
    if customer is None:
        refuse_tombstone(customer_id)  # a merged-away customer's id answers where it went
        raise HttpError(404, "No such customer.")
    return customer


def _sent(response: HttpResponse, customer: Customer) -> Customer:
    response["ETag"] = customer_etag(customer)
    return customer


def _filtered(request, query: CustomerQuery):
    own = {"q", "archived", "order", "updated_since", "cursor", "limit"}
    params = QueryDict(mutable=True)
    for name, values in request.GET.lists():
        if name not in own:
            params.setlist(name, values)
    params["status"] = {"false": "active", "true": "archived", "any": "all"}[query.archived]
    customer_filter = CustomerFilter(
        params, queryset=Customer.objects.all(), audience=AUDIENCE, named_only=True
    )
    if not customer_filter.is_valid():
        raise FieldErrors({name: list(messages) for name, messages in customer_filter.errors.items()})
    customers = customer_filter.qs
    if query.updated_since:
        # In UTC: an offset PostgreSQL cannot hold (+23:34) is still a valid ISO time.
        customers = customers.filter(updated_at__gte=query.updated_since.astimezone(UTC))
    if not query.q.strip():
        return customers, ()
    text_fields = [item.custom.pk for item in customer_fields(AUDIENCE) if item.type in TEXT_TYPES]
    search = plan(query.q, [custom_field_source(text_fields)] if text_fields else [])
    if search.extra_values is not None and search.branches:  # paged apart: see paginate
        return customers, [search.builtin_condition, Q(pk__any_of=search.extra_values)]
    return customers.filter(search.condition), ()


def _listed(row: dict, values: dict, fields: dict[str, object]) -> dict:
    """A customer of a list as CustomerOut writes it (tests compare the two), from its row and custom values,
    without pydantic reading 100 customers through ninja's getter: that was a third of a page's time."""
    row["archived"] = row["archived_at"] is not None
    row["custom"] = values_out(values, fields)
    row["etag"] = etag_of(row["id"], row["updated_at"])
    return {name: row[name] for name in CustomerOut.model_fields}


@router.get(
    "",
    response={200: CursorPage[CustomerOut], 403: Problem, 422: Problem},
    summary="List customers",
    description=LIST_DESCRIPTION,
    url_name="customers",
)
def customer_list(request, query: Query[CustomerQuery], page: Query[PageParams]):
    scoped(request, "customers")
    with registry_pinned():  # the custom fields read once for the filters and the page, not per customer
        customers, any_of = _filtered(request, query)
        customers = customers.values(*LISTED_COLUMNS)  # rows, not models: 0.7 ms of CPU a page, not 1.9
        result = paginate(request, customers, page, order=query.order, any_of=any_of)
        values = custom_values([row["id"] for row in result["items"]])
        fields = staff_custom_fields()
        result["items"] = [_listed(row, values[row["id"]], fields) for row in result["items"]]
    # Django's encoder writes dates and times as ninja's does, without its checks for models, URLs and enums.
    return HttpResponse(
        json.dumps(result, cls=DjangoJSONEncoder), content_type="application/json; charset=utf-8"
    )


# Writes --------------------------------------------------------------------------------------------------


def _staff_form(data: dict, *, instance: Customer | None = None, rules: dict | None = None) -> CustomerForm:
    return CustomerForm(data, instance=instance, channel=Channel.STAFF, audience=AUDIENCE, rules=rules)


class BatchForm(CustomerForm):
    """The staff form for one item of a batch: emails and numbers already on the roster are looked up once for
    the whole batch (`on_file`), not once per item."""

    def __init__(self, data: dict, *, rules: dict, on_file: dict):
        super().__init__(data, channel=Channel.STAFF, audience=AUDIENCE, rules=rules)
        self.on_file = on_file

    def for_item(self, data: dict) -> "BatchForm":
        """This form bound to one item's data, sharing its fields: they are built once for the batch (deep
        copies of them per item took a third of a batch's time) and checking an item changes none of them."""
        form = copy.copy(self)
        form.data, form.is_bound, form._errors, form._bound_fields_cache = data, True, None, {}
        form.instance = Customer()
        return form

    def _existing(self, **lookup):
        return self.on_file.get(lookup.get("email_key") or lookup.get("number_key"))

    def validate_constraints(self):
        """Skipped: its queries ask what `on_file` and the batch's own check (`_batch`) already answer."""


def _on_file(items: list[dict]) -> dict:
    """{lowercased email or number key: customer} of customers with an email or number of these items."""
    emails = {str(item["email"]).strip().lower() for item in items if item.get("email")}
    numbers = {normalize(str(item["number"])) for item in items if item.get("number")} - {""}
    # Keys, not LOWER(email): under row-level security only leakproof operators reach an index, and LOWER()
    # is not, so it read every customer of the organization (0.5 s at 500 k); email_key is the saved email.
    lookups = [Customer.objects.filter(email_key__in=emails)] if emails else []
    if numbers:
        lookups.append(Customer.objects.filter(number_key__in=numbers))
    on_file = {}
    for found in lookups:
        for customer in found.only("id", "first_name", "last_name", "email", "number_key"):
            on_file.update({customer.email.lower(): customer, customer.number_key: customer})
    on_file.pop("", None)
    return on_file


@router.post(
    "",
    response={201: CustomerCreated, 403: Problem, 409: Problem, 422: Problem},
    summary="Add a customer",
    description="Checked as the Staff Portal's Add customer form checks it (required fields, an email or "
    "number already on the roster, phone numbers). A possible duplicate does not stop it: it is listed in "
    "`possible_duplicates`. The customer's source is API.",
)
def customer_create(request, response: HttpResponse, body: CustomerIn):
    scoped(request, "customers", write=True)
    data, errors = form_data(body.model_dump(exclude_unset=True))
    form = _staff_form(data)
    if not form.is_valid() or errors:
        raise FieldErrors(errors | form_errors(form))
    try:
        customer = services.customer_create(data=form.cleaned_data, by=None, source=Source.API)
    except IntegrityError as error:
        raise HttpError(409, RACED) from error
    customer.possible_duplicates = possible_duplicates(data=form.cleaned_data, exclude_pk=customer.pk)
    return Status(201, _sent(response, customer))


@router.post(
    "batch/",
    response={200: BatchOut, 403: Problem, 409: Problem, 422: Problem},
    summary="Add up to 1,000 customers",
    description="Each item is checked as `POST /customers/` checks one (an email or number twice in the "
    "batch too) and is added whole or not at all: `results` says, by index, the new id or the errors. "
    "Items that pass are added even when others fail; possible duplicates are not checked.",
)
def customer_batch(request, body: BatchIn):
    scoped(request, "customers", write=True)
    with registry_pinned():
        return _batch(body)


def _batch(body: BatchIn) -> dict:
    rules, payloads = (
        channel_rules(Channel.STAFF),
        [item.model_dump(exclude_unset=True) for item in body.customers],
    )
    blank = BatchForm({}, rules=rules, on_file=_on_file(payloads))
    results, valid, emails, numbers = [], [], set(), set()
    for index, payload in enumerate(payloads):
        data, errors = form_data(payload)
        form = blank.for_item(data)
        if form.is_valid() and not errors:
            email, number = form.cleaned_data.get("email", ""), normalize(form.cleaned_data.get("number", ""))
            if email and email in emails:
                errors["email"] = ["This email is already in this batch."]
            if number and number in numbers:
                errors["number"] = ["This customer number is already in this batch."]
            emails.add(email)
            numbers.add(number)
        else:
            errors |= form_errors(form)
        results.append({"index": index, "id": None, "errors": errors or None})
        if not errors:
            valid.append((index, form.cleaned_data))
    try:
        created = services.customers_create(rows=[data for _, data in valid], by=None, source=Source.API)
    except IntegrityError as error:
        raise HttpError(409, RACED) from error
    for (index, _), customer in zip(valid, created, strict=True):
        results[index]["id"] = customer.pk
    return {"created": len(created), "refused": len(results) - len(created), "results": results}


@router.get(
    "{customer_id}/",
    response={200: CustomerOut, 403: Problem, 404: Problem},
    summary="A customer",
    description="With its `ETag` header (also `etag` in the body), which an update sends back as `If-Match`.",
    url_name="customer",
)
def customer_read(request, response: HttpResponse, customer_id: int):
    scoped(request, "customers")
    return _sent(response, _customer(customer_id))


@router.patch(
    "{customer_id}/",
    response={200: CustomerOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem, **IF_MATCH_RESPONSES},
    summary="Change a customer",
    description="Only the fields sent change; the result is checked as the Staff Portal's edit form checks "
    "it. Send `If-Match: <ETag>` of the version you read: 428 without it, 412 when someone changed it since.",
)
def customer_update(request, response: HttpResponse, customer_id: int, body: CustomerIn):
    scoped(request, "customers", write=True)
    customer = _customer(customer_id, for_update=True)
    if_match_check(request, customer_etag(customer))
    stored = _staff_form(None, instance=copy.copy(customer))
    base = {name: stored.initial.get(name) for name in stored.fields}
    data, errors = form_data(body.model_dump(exclude_unset=True), base=base)
    form = _staff_form(data, instance=copy.copy(customer))
    if not form.is_valid() or errors:
        raise FieldErrors(errors | form_errors(form))
    try:
        services.customer_update(customer=customer, data=form.cleaned_data, by=None)
    except IntegrityError as error:
        raise HttpError(409, RACED) from error
    return _sent(response, customer)


def _state_change(request, customer_id: int) -> Customer:
    """The customer to archive or restore, locked; `If-Match` is checked when sent."""
    scoped(request, "customers", write=True)
    customer = _customer(customer_id, for_update=True)
    if_match_check(request, customer_etag(customer), required=False)
    return customer


@router.post(
    "{customer_id}/archive/",
    response={200: CustomerOut, 403: Problem, 404: Problem, **IF_MATCH_RESPONSES},
    summary="Archive a customer",
    description="Hidden from the roster, kept with its history. `If-Match` is checked when sent.",
)
def customer_archive(request, response: HttpResponse, customer_id: int):
    return _sent(response, services.customer_archive(customer=_state_change(request, customer_id), by=None))


@router.post(
    "{customer_id}/restore/",
    response={200: CustomerOut, 403: Problem, 404: Problem, **IF_MATCH_RESPONSES},
    summary="Restore an archived customer",
    description="Back on the roster. `If-Match` is checked when sent.",
)
def customer_restore(request, response: HttpResponse, customer_id: int):
    return _sent(response, services.customer_restore(customer=_state_change(request, customer_id), by=None))
