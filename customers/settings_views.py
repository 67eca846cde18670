"""Settings → Required fields: the grid of rules per customer field and channel."""

from django.contrib import messages
from django.shortcuts import render

from accounts.permissions import org_permission
from customers import services
from customers.fields import customer_fields, grouped
from customers.models import FieldRuleChange
from customers.rules import Channel, Rule, allowed, grid_rules, lock_for


def _cells_from_post(post) -> tuple[dict[tuple[str, str], str], list[str]]:
    """The grid's posted cells, and what is wrong with them (unknown fields, values, locked cells)."""
    labels = {field.name: field.label for field in customer_fields()}
    cells, problems = {}, []
    for key, value in post.items():
        if not key.startswith("rule:"):
            continue
        parts = key.split(":")
        field, channel = (parts[1], parts[2]) if len(parts) == 3 else ("", "")
        if field not in labels or channel not in Channel.values:
            problems.append(f"Unknown cell “{key}”.")
        elif value not in Rule.values:
            problems.append(f"“{value}” is not a rule ({labels[field]}, {Channel(channel).label}).")
        elif not allowed(field, channel, value):
            problems.append(f"{labels[field]}, {Channel(channel).label}: {lock_for(field, channel).reason}")
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
                    "lock": lock_for(field.name, channel.value),
                    "choices": [
                        choice for choice in Rule if allowed(field.name, channel.value, choice.value)
                    ],
                }
                for channel in Channel
            ],
        }
        for field in customer_fields()
    ]
    labels = {field.name: field.label for field in customer_fields()}
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
