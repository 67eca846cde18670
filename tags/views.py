from django.contrib import messages
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import has_permission, org_permission
from customers.selectors import get_customer_for_org
from tags import services
from tags.forms import MergeForm, TagForm
from tags.models import CustomerTag, Tag
from tags.selectors import tags_by_customer, tags_with_counts

SUGGESTIONS = 8


def tags_box(request, customer) -> dict:
    return {"customer": customer, "tags": tags_by_customer([customer.pk]).get(customer.pk, [])}


def _box_response(request, customer, error: str = ""):
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("customers:profile", org_slug=request.org.slug, pk=customer.pk)
    return render(request, "tags/box.html", {"box": tags_box(request, customer), "error": error})


@require_POST
@org_permission("customers.change")
def customer_tag_add(request, org_slug, pk):
    """Add the tag picked (`tag`), or the one named (`name`), creating it if allowed and asked (`create`)."""
    customer = get_customer_for_org(pk)
    tag_id, name = request.POST.get("tag", ""), " ".join(request.POST.get("name", "").split())[:60]
    tag = Tag.objects.filter(pk=int(tag_id)).first() if tag_id.isdigit() else None
    if tag is None and name:
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None and request.POST.get("create") and has_permission(request.membership, "tags.create"):
            tag = services.tag_save(tag=Tag(name=name), by=request.user)
    if tag is None:
        error = f"There is no tag called “{name}”." if name else "Type or pick a tag."
        if name and not has_permission(request.membership, "tags.create"):
            error += " An admin can create it in Settings → Tags."
        return _box_response(request, customer, error)
    services.tag_add(customer=customer, tag=tag, by=request.user)
    return _box_response(request, customer)


@require_POST
@org_permission("customers.change")
def customer_tag_remove(request, org_slug, pk, tag_pk):
    customer = get_customer_for_org(pk)
    services.tag_remove(customer=customer, tag=get_object_or_404(Tag, pk=tag_pk), by=request.user)
    return _box_response(request, customer)


@org_permission("customers.change")
def tag_suggest(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    name = " ".join(request.GET.get("name", "").split())[:60]
    having = CustomerTag.objects.filter(customer=customer).values("tag_id")
    tags = Tag.objects.exclude(pk__in=having).order_by(Lower("name"))
    if name:
        tags = tags.filter(name__icontains=name)
    suggestions = list(tags[:SUGGESTIONS])
    exact = name and Tag.objects.filter(name__iexact=name).exists()
    may_create = bool(name) and not exact and has_permission(request.membership, "tags.create")
    return render(
        request, "tags/suggestions.html", {"suggestions": suggestions, "name": name, "may_create": may_create}
    )


@org_permission("settings.change")
def tag_list(request, org_slug):
    form = TagForm(request.POST or None)
    if form.is_valid():
        try:
            tag = services.tag_save(tag=form.save(commit=False), by=request.user)
        except services.TagError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, f"Tag “{tag.name}” created.")
            return redirect("tag_settings:list", org_slug=org_slug)
    return render(request, "tags/tag_list.html", {"tags": tags_with_counts(), "form": form})


@org_permission("settings.change")
def tag_edit(request, org_slug, pk):
    tag = get_object_or_404(Tag, pk=pk)
    form = TagForm(request.POST or None, instance=tag)
    if form.is_valid():
        try:
            services.tag_save(tag=form.save(commit=False), by=request.user)
        except services.TagError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, "Tag saved.")
            return redirect("tag_settings:list", org_slug=org_slug)
    count = CustomerTag.objects.filter(tag=tag).count()
    context = {"tag": tag, "form": form, "merge_form": MergeForm(source=tag), "count": count}
    return render(request, "tags/tag_form.html", context)


@require_POST
@org_permission("settings.change")
def tag_merge(request, org_slug, pk):
    source = get_object_or_404(Tag, pk=pk)
    form = MergeForm(request.POST, source=source)
    if not form.is_valid():
        count = CustomerTag.objects.filter(tag=source).count()
        context = {"tag": source, "form": TagForm(instance=source), "merge_form": form, "count": count}
        return render(request, "tags/tag_form.html", context, status=422)
    target = form.cleaned_data["target"]
    moved = services.tag_merge(source=source, target=target, by=request.user)
    messages.success(request, f"“{source.name}” merged into “{target.name}” ({moved} customers gained it).")
    return redirect("tag_settings:list", org_slug=org_slug)


@org_permission("settings.change")
def tag_delete(request, org_slug, pk):
    tag = get_object_or_404(Tag, pk=pk)
    if request.method == "POST":
        count = services.tag_delete(tag=tag, by=request.user)
        messages.success(request, f"Tag “{tag.name}” deleted and taken off {count} customers.")
        return redirect("tag_settings:list", org_slug=org_slug)
    count = CustomerTag.objects.filter(tag=tag).count()
    return render(request, "tags/tag_delete.html", {"tag": tag, "count": count})
