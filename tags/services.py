"""Tag definitions and who carries them. Every change to a customer's tags is an activity event showing the
tags before and after."""

from django.db import IntegrityError, transaction
from django.http import QueryDict

from accounts.audit import audit_record, changes_of
from accounts.models import User
from customers import events
from customers.models import Customer
from customers.services import activities_record
from tags.models import CustomerTag, Tag, TagAudit, TagEvent
from tags.selectors import tag_names


class TagError(ValueError):
    pass


def _tags_change(before: list[str], after: list[str]) -> dict:
    return {"Tags": [", ".join(before), ", ".join(sorted(after, key=str.casefold))]}


def _labels(customers) -> dict[int, str]:
    """{customer_id: name} of these customers (a queryset), as their activity events are labelled."""
    rows = customers.values_list("pk", "first_name", "last_name")
    return {pk: f"{first} {last}".strip() for pk, first, last in rows}


@transaction.atomic
def tag_save(*, tag: Tag, by: User | None) -> Tag:
    """Create or rename/recolor a tag; a name another tag has (in any letter case) is refused."""
    tag.name = " ".join(tag.name.split())
    clash = Tag.objects.filter(name__iexact=tag.name).exclude(pk=tag.pk).first()
    if clash:
        raise TagError(f"There is already a tag called “{clash.name}”.")
    created = tag.pk is None
    changes = changes_of(tag, ["name", "color", "description"])
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError as error:  # saved by someone else a moment ago
        raise TagError(f"There is already a tag called “{tag.name}”.") from error
    if created or changes:
        action = TagAudit.TAG_CREATED if created else TagAudit.TAG_CHANGED
        audit_record(action=action, by=by, target=tag.name, changes=changes)
    return tag


@transaction.atomic
def tag_add(*, customer: Customer, tag: Tag, by) -> bool:
    """Tag one customer; False if they already had it."""
    return tags_apply(tag=tag, customer_ids=[customer.pk], by=by) == 1


@transaction.atomic
def tag_remove(*, customer: Customer, tag: Tag, by) -> bool:
    return tags_apply(tag=tag, customer_ids=[customer.pk], by=by, remove=True) == 1


@transaction.atomic
def tags_apply(*, tag: Tag, customer_ids: list[int], by, remove: bool = False) -> int:
    """Add (or remove) `tag` on these customers of the current organization in a few statements, one activity
    event per customer that changed; returns how many changed. Ids of another organization match nothing."""
    labels = _labels(Customer.objects.filter(pk__in=customer_ids))
    names = tag_names(list(labels))
    changing = [pk for pk in labels if (tag.name in names[pk]) == remove]
    if not changing:
        return 0
    if remove:
        CustomerTag.objects.filter(tag=tag, customer_id__in=changing).delete()
    else:
        CustomerTag.objects.bulk_create(
            [CustomerTag(customer_id=pk, tag=tag, added_by=by) for pk in changing], ignore_conflicts=True
        )
    activities_record(
        labels={pk: labels[pk] for pk in changing},
        by=by,
        kind=TagEvent.TAGS,
        changes={
            pk: _tags_change(
                names[pk],
                [name for name in names[pk] if name != tag.name] if remove else [*names[pk], tag.name],
            )
            for pk in changing
        },
    )
    if not remove:
        tagged = Customer.objects.filter(pk__in=changing).only("id", "first_name", "last_name", "email")
        tagged = tagged.order_by("pk")
        events.publish_each(
            events.TAG_ADDED, customers=tagged, data={"tag": {"id": tag.pk, "name": tag.name}}
        )
    return len(changing)


def _tags_replaced(*, tag: Tag, by: User, detail: str, replacement: Tag | None = None) -> int:
    """One activity event for each customer who has `tag`, whose tags become theirs without it (and with
    `replacement`); call before taking it off. Returns how many customers had it."""
    tagged = CustomerTag.objects.filter(tag=tag).values("customer_id")
    labels = _labels(Customer.objects.filter(pk__in=tagged))
    names = tag_names(list(labels))
    changes = {}
    for pk in labels:
        after = [name for name in names[pk] if name != tag.name]
        if replacement is not None and replacement.name not in after:
            after.append(replacement.name)
        changes[pk] = _tags_change(names[pk], after)
    activities_record(labels=labels, by=by, kind=TagEvent.TAGS, detail=detail, changes=changes)
    return len(labels)


@transaction.atomic
def tag_merge(*, source: Tag, target: Tag, by: User) -> int:
    """Give everyone tagged `source` the tag `target`, then delete `source`; saved segments that filtered by
    `source` now filter by `target`. Returns how many customers gained `target`."""
    if source.pk == target.pk:
        raise TagError("Choose a different tag to merge into.")
    detail = f"“{source.name}” merged into “{target.name}”"
    had = _tags_replaced(tag=source, by=by, detail=detail, replacement=target)
    already = CustomerTag.objects.filter(tag=target).values("customer_id")
    moved = CustomerTag.objects.filter(tag=source).exclude(customer_id__in=already).update(tag=target)
    _segments_retarget(source.pk, target.pk)
    source.delete()
    audit_record(
        action=TagAudit.TAG_MERGED,
        by=by,
        target=f"{source.name} → {target.name}",
        detail=f"{had} customer{'s' if had != 1 else ''} had “{source.name}”; {moved} gained “{target.name}”",
    )
    return moved


@transaction.atomic
def tag_delete(*, tag: Tag, by: User) -> int:
    """Delete a tag and take it off everyone; returns how many customers had it."""
    count = _tags_replaced(tag=tag, by=by, detail=f"Tag “{tag.name}” deleted")
    _segments_retarget(tag.pk, None)
    tag.delete()
    detail = f"Taken off {count} customer{'s' if count != 1 else ''}"
    audit_record(action=TagAudit.TAG_DELETED, by=by, target=tag.name, detail=detail)
    return count


def _segments_retarget(old_id: int, new_id: int | None) -> None:
    from customers.models import Segment

    for segment in Segment.objects.filter(query__contains="tag="):
        params = QueryDict(segment.query, mutable=True)
        ids = params.getlist("tag")
        if str(old_id) in ids:
            kept = [value for value in ids if value != str(old_id)]
            if new_id is not None and str(new_id) not in kept:
                kept.append(str(new_id))
            params.setlist("tag", kept)
            segment.query = params.urlencode()
            segment.save(update_fields=["query"])
