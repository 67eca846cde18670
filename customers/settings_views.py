"""Settings for customer data: Custom fields (definitions, options, order) and Required fields (the grid of
rules per field and channel)."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import org_permission
from customers import services
from customers.fields import customer_fields, field_labels, grouped
from customers.forms import CustomFieldForm, OptionFormSet
from customers.models import CHOICE_TYPES, CustomField, CustomFieldValue, FieldRuleChange
from customers.rules import Channel, Rule, allowed, grid_rules, lock_for


def _cells_from_post(post) -> tuple[dict[tuple[str, str], str], list[str]]:
    """The grid's posted cells, and what is wrong with them (unknown fields, values, locked cells)."""
    fields = {field.name: field for field in customer_fields()}
    cells, problems = {}, []
    for key, value in post.items():
        if not key.startswith("rule:"):
            continue
        parts = key.split(":")
        field, channel = (parts[1], parts[2]) if len(parts) == 3 else ("", "")
        if field not in fields or channel not in Channel.values:
            problems.append(f"Unknown cell “{key}”.")
            continue
        where = f"{fields[field].label}, {Channel(channel).label}"
        if value not in Rule.values:
            problems.append(f"“{value}” is not a rule ({where}).")
        elif not allowed(fields[field], channel, value):
            problems.append(f"{where}: {lock_for(fields[field], channel).reason}")
        else:
            cells[(field, channel)] = value
    return cells, problems


@org_permission("settings.change")
def required_fields(request, org_slug):
    if request.method == "POST":
        cells, problems = _cells_from_post(request.POST)
        if problems:
            messages.error(request, "Nothing was saved. " + " ".join(problems))
        else:
            changed = services.field_rules_save(rules=cells, by=request.user)
            messages.success(request, f"Saved ({changed} change{'s' if changed != 1 else ''}).")
    current = grid_rules()
    rows = [
        {
            "field": field,
            "cells": [
                {
                    "channel": channel,
                    "rule": current[(field.name, channel.value)],
                    "lock": lock_for(field, channel.value),
                    "choices": [choice for choice in Rule if allowed(field, channel.value, choice.value)],
                }
                for channel in Channel
            ],
        }
        for field in customer_fields()
    ]
    labels = field_labels()
    history = [
        {
            "change": change,
            "field": labels.get(change.field, change.field),
            "channel": Channel(change.channel).label,
            "before": Rule(change.before).label,
            "after": Rule(change.after).label,
        }
        for change in FieldRuleChange.objects.select_related("changed_by").order_by("-changed_at", "-id")[:50]
    ]
    context = {
        "groups": grouped(rows, lambda row: row["field"].group),
        "channels": list(Channel),
        "history": history,
    }
    template = "customers/required_fields.html#grid" if request.htmx else "customers/required_fields.html"
    return render(request, template, context)


def _custom_field_list(request, status: int = 200):
    fields = list(CustomField.objects.order_by("position", "id"))
    context = {
        "active_fields": [field for field in fields if not field.is_retired],
        "retired_fields": [field for field in fields if field.is_retired],
    }
    template = "customers/custom_fields.html#field_list" if request.htmx else "customers/custom_fields.html"
    return render(request, template, context, status=status)


@org_permission("settings.change")
def custom_fields(request, org_slug):
    """The list of custom fields; a POST saves their order (dragged, or moved with ↑ ↓ buttons)."""
    if request.method == "POST":
        ordered = [int(pk) for pk in request.POST.getlist("field") if pk.isdigit()]
        pk, _, direction = request.POST.get("move", "").partition(":")
        if pk.isdigit() and int(pk) in ordered:
            index = ordered.index(int(pk))
            swap = index - 1 if direction == "up" else index + 1
            if 0 <= swap < len(ordered):
                ordered[index], ordered[swap] = ordered[swap], ordered[index]
        services.custom_fields_reorder(ordered_ids=ordered, by=request.user)
        if not request.htmx:
            return redirect("customer_settings:custom_fields", org_slug=org_slug)
    return _custom_field_list(request)


def _option_rows(formset) -> list[dict]:
    """The options of a valid formset in their posted order (drag and drop sets the positions)."""
    rows = [
        {
            "option": form.instance,
            "retired": form.cleaned_data.get("retired", False),
            "delete": form.cleaned_data.get("DELETE", False),
            "position": form.cleaned_data.get("position"),
        }
        for form in formset.forms
        if form.cleaned_data and (form.instance.pk or form.cleaned_data.get("label"))
    ]
    return sorted(rows, key=lambda row: row["position"] if row["position"] is not None else 10**6)


@org_permission("settings.change")
def custom_field_edit(request, org_slug, pk=None):
    field = get_object_or_404(CustomField, pk=pk) if pk else CustomField()
    form = CustomFieldForm(request.POST or None, instance=field)
    options = OptionFormSet(request.POST or None, instance=field, prefix="options")
    if request.method == "POST" and form.is_valid():
        is_choice = form.cleaned_data.get("type", field.type) in CHOICE_TYPES
        if not is_choice or options.is_valid():
            rows = _option_rows(options) if is_choice else []
            if is_choice and not any(not row["delete"] for row in rows):
                messages.error(request, "Add at least one option.")
            else:
                field = services.custom_field_save(
                    field=form.save(commit=False), options=rows, by=request.user
                )
                messages.success(request, f"“{field.label}” saved.")
                return redirect("customer_settings:custom_fields", org_slug=org_slug)
    usage = {}
    if field.pk:
        counts = CustomFieldValue.objects.filter(field=field).values("option").annotate(n=Count("id"))
        usage = {row["option"]: row["n"] for row in counts}
    for option_form in options.forms:
        option_form.used_by = usage.get(option_form.instance.pk, 0)
    context = {"form": form, "options": options, "field": field, "choice_types": CHOICE_TYPES}
    return render(request, "customers/custom_field_form.html", context)


@require_POST
@org_permission("settings.change")
def custom_field_retire(request, org_slug, pk):
    field = get_object_or_404(CustomField, pk=pk)
    services.custom_field_retire(field=field, by=request.user)
    messages.success(request, f"“{field.label}” retired. Its values are kept; restore it to bring them back.")
    return redirect("customer_settings:custom_fields", org_slug=org_slug)


@require_POST
@org_permission("settings.change")
def custom_field_restore(request, org_slug, pk):
    field = get_object_or_404(CustomField, pk=pk)
    services.custom_field_restore(field=field, by=request.user)
    messages.success(request, f"“{field.label}” restored.")
    return redirect("customer_settings:custom_fields", org_slug=org_slug)
