"""What tags add to the customers app: the Tags box on the profile, the roster's Tags column and filter, the
Tags export column, the bulk actions that add or remove a tag, and their events in the Activity Log."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils.html import format_html, format_html_join

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_settings_page
from customers.extend import (
    EMPTY_CELL,
    ActivityKinds,
    BulkAction,
    BulkActionError,
    ExportColumn,
    MergeHandler,
    PersonData,
    PersonErasure,
    ProfileBox,
    RosterColumn,
    RosterFilters,
    read_once,
    register,
)
from customers.merge import unless_taken
from tags import privacy
from tags.models import CustomerTag, Tag, TagAudit, TagEvent
from tags.selectors import tag_choices, tag_names, with_tags
from tags.services import tags_apply
from tags.views import tags_box

TAG_MODES = [("", "have any of"), ("all", "have all of"), ("none", "have none of")]


class TagFilter(django_filters.MultipleChoiceFilter):
    """Customers with any, all or none of the ticked tags, as the `tag_mode` beside it says. Each tag is an
    index range of (organization, tag, customer)."""

    def filter(self, queryset, value):
        if not value:
            return queryset
        ids = [int(pk) for pk in value]
        mode = self.parent.form.cleaned_data.get("tag_mode")
        having = CustomerTag.objects.values("customer_id")
        if mode == "all":
            for tag_id in ids:
                queryset = queryset.filter(pk__in=having.filter(tag_id=tag_id))
            return queryset
        if mode == "none":  # an anti-join: NOT IN over a large subquery cannot hash past work_mem
            return queryset.exclude(
                Exists(CustomerTag.objects.filter(customer_id=OuterRef("pk"), tag_id__in=ids))
            )
        return queryset.filter(pk__in=having.filter(tag_id__in=ids))


def _tags_cell(customer) -> str:
    """The first two tags as chips, and how many more (all of them named in its title)."""
    tags = customer.tag_list
    chips = format_html_join(
        "",
        '<span class="tag-chip tag-{}" title="{}">{}</span>',
        ((t.color, t.name, t.name) for t in tags[:2]),
    )
    more = (
        format_html(
            '<span class="small text-body-secondary" title="{}">+{}</span>',
            ", ".join(tag.name for tag in tags),
            len(tags) - 2,
        )
        if len(tags) > 2
        else ""
    )
    return format_html('<span class="roster-tags">{}{}</span>', chips or EMPTY_CELL, more)


def _tag_choices() -> list[tuple[str, str]]:
    return read_once(tag_choices)  # the panel's filter and the bulk bar's control: one query per roster page


def _tag_filters(audience: str) -> dict:
    choices = _tag_choices()
    if not choices:
        return {}
    mode = django_filters.ChoiceFilter(
        choices=TAG_MODES,
        empty_label=None,
        label="Customers who",
        method=lambda queryset, name, value: queryset,  # read by the tag filter
        widget=forms.Select(attrs={"class": "form-select filter-input"}),
    )
    mode.mode_of = "tag"
    return {
        "tag_mode": mode,
        "tag": TagFilter(
            label="Tags",
            choices=choices,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input filter-input"}),
        ),
    }


def _bulk(remove: bool):
    def apply(*, customer_ids: list[int], by, params: dict) -> int:
        tag = Tag.objects.filter(pk=params["tag"]).first()
        return tags_apply(tag=tag, customer_ids=customer_ids, by=by, remove=remove) if tag else 0

    return apply


def _bulk_params(post) -> dict:
    tag_id = post.get("tag", "")
    tag = Tag.objects.filter(pk=int(tag_id)).first() if tag_id.isdigit() else None
    if tag is None:
        raise BulkActionError("Choose a tag first.")
    return {"tag": tag.pk, "tag_name": tag.name}


def _describe(params: dict) -> str:
    return f" (“{params['tag_name']}”)"


def _export(customer_ids: list[int], membership) -> dict[int, str]:
    return {customer_id: ", ".join(names) for customer_id, names in tag_names(customer_ids).items()}


register(
    ProfileBox("tags", "tags/box.html", tags_box, order=20),
    RosterColumn("tags", "Tags", "name", _tags_cell, lambda rows, membership: with_tags(rows), order=10),
    RosterFilters("tags", _tag_filters, order=20, names=("tag", "tag_mode")),
    ExportColumn("tags", "Tags", _export, order=30),
    BulkAction(
        "add_tag",
        "Add tag",
        "tagged",
        _bulk(remove=False),
        order=40,
        params=_bulk_params,
        describe=_describe,
        control="tags/bulk_control.html",
        control_context=_tag_choices,
    ),
    BulkAction(
        "remove_tag",
        "Remove tag",
        "untagged",
        _bulk(remove=True),
        order=41,
        params=_bulk_params,
        describe=_describe,
        control="",
    ),
    ActivityKinds("tags", "Tags", dict(TagEvent.choices), order=20),
)
register_audit_actions(TagAudit)
register_settings_page(Page("tags", "Tags", "tag_settings:list", 40, "settings.change"))
register(
    MergeHandler(
        "tags",
        "Tags",
        (("tags.CustomerTag", "customer"),),
        order=110,
        move=unless_taken("tags.CustomerTag", "customer", ("tag",)),  # the same tag on both is kept once
    ),
    PersonData("tags", "Tags", privacy.tag_rows, order=31, describe="The tags on them."),
    PersonErasure("tags", "Tags", privacy.tags_erase, order=31, covers=("tags.CustomerTag.customer",)),
)
