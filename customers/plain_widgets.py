"""A form renderer that writes the filter panel's widgets in Python, with the markup of Django's widget
templates: the roster draws 20 to 120 of them on every page, and the template engine spent a fifth of the
request on them (a template, an include per option and per attribute list). The panel's loop over its
fields is written here too (`panel_fields`), as the roster's template wrote it."""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString

WIDGETS = "django/forms/widgets/"
INPUTS = "text number email url password hidden date datetime time search tel color checkbox"


def _attrs(attrs: dict) -> SafeString:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    return _join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value))
        for name, value in attrs.items()
        if value is not False
    )


def _join(parts) -> SafeString:
    """Markup parts (each already escaped) run together."""
    return format_html_join("", "{}", ((part,) for part in parts))


def _include(template_name: str, widget: dict) -> SafeString:
    """What {% include template_name %} writes: the part, then the newline(s) its template file ends with."""
    part, newlines = PARTS[template_name]
    return part(widget) + SafeString("\n" * newlines)


def _input(widget: dict) -> SafeString:
    value = "" if widget["value"] is None else format_html(' value="{}"', str(widget["value"]))
    return format_html(
        '<input type="{}" name="{}"{}{}>', widget["type"], widget["name"], value, _attrs(widget["attrs"])
    )


def _input_option(widget: dict) -> SafeString:
    if not widget.get("wrap_label"):
        return _include(f"{WIDGETS}input.html", widget)
    label_for = format_html(' for="{}"', widget["attrs"]["id"]) if widget["attrs"].get("id") else ""
    return format_html(
        "<label{}>{} {}</label>", label_for, _include(f"{WIDGETS}input.html", widget), widget["label"]
    )


def _select_option(widget: dict) -> SafeString:
    return format_html(
        '<option value="{}"{}>{}</option>', str(widget["value"]), _attrs(widget["attrs"]), widget["label"]
    )


def _select(widget: dict) -> SafeString:
    parts = []
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', group_name))
        parts.extend(format_html("\n  {}", _include(option["template_name"], option)) for option in options)
        if group_name:
            parts.append(SafeString("\n  </optgroup>"))
    return format_html(
        '<select name="{}"{}>{}\n</select>', widget["name"], _attrs(widget["attrs"]), _join(parts)
    )


def _multiple_input(widget: dict) -> SafeString:
    attrs = widget["attrs"]
    parts = []
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(format_html("\n  <div><label>{}</label>", group))
        parts.extend(
            format_html("<div>\n    {}</div>", _include(option["template_name"], option))
            for option in options
        )
        if group:
            parts.append(SafeString("\n  </div>"))
    return format_html(
        "<div{}{}>{}\n</div>",
        format_html(' id="{}"', attrs["id"]) if attrs.get("id") else "",
        format_html(' class="{}"', attrs["class"]) if attrs.get("class") else "",
        _join(parts),
    )


def _range(widget: dict) -> SafeString:
    """customers/range_filter_widget.html: from – to, the second input named by a hidden "to"."""
    low, high = widget["subwidgets"]
    return format_html(
        '{}<span class="align-self-center" aria-hidden="true">–</span><span id="{}-to" hidden>to</span>{}',
        _include(low["template_name"], low),
        high["attrs"].get("id", ""),
        _include(high["template_name"], high),
    )


def _including(template_name: str):
    return lambda widget: _include(template_name, widget)


# template name → (what it writes, the newlines its file ends with)
PARTS = {
    f"{WIDGETS}input.html": (_input, 1),
    **{f"{WIDGETS}{name}.html": (_including(f"{WIDGETS}input.html"), 1) for name in INPUTS.split()},
    f"{WIDGETS}select.html": (_select, 1),
    f"{WIDGETS}select_option.html": (_select_option, 1),
    f"{WIDGETS}multiple_input.html": (_multiple_input, 1),
    f"{WIDGETS}checkbox_select.html": (_including(f"{WIDGETS}multiple_input.html"), 1),
    f"{WIDGETS}radio.html": (_including(f"{WIDGETS}multiple_input.html"), 1),
    f"{WIDGETS}input_option.html": (_input_option, 1),
    f"{WIDGETS}checkbox_option.html": (_including(f"{WIDGETS}input_option.html"), 1),
    f"{WIDGETS}radio_option.html": (_including(f"{WIDGETS}input_option.html"), 1),
    "customers/range_filter_widget.html": (_range, 1),
}


class PlainWidgets(DjangoTemplates):
    """Draws the widgets above in Python; any other template (a feature app's own widget) as Django does."""

    def render(self, template_name, context, request=None):
        if template_name in PARTS:  # stripped, as Django's renderers strip what a template writes
            return PARTS[template_name][0](context["widget"]).strip()
        return super().render(template_name, context, request)


# A field of the panel: a range (from – to) with a label naming its first input, a fieldset of checkboxes or
# a labelled widget; then its errors.
WIDE = (
    '\n          <div class="col-sm-12 col-lg-4">'
    '\n            <label class="form-label" id="{id}-label" for="{id}">{label}</label>'
    '\n            <div class="d-flex gap-1 filter-range">{widget}</div>'
)
CHECKBOXES = (
    '\n          <div class="col-sm-6 col-lg-2">'
    '\n            <fieldset><legend class="form-label fs-6">{label}</legend>'
    '\n              <div class="filter-choices">{choices}</div>'
    "\n            </fieldset>"
)
CHECKBOX = '<div class="form-check">{tag}<label class="form-check-label" for="{id}">{label}</label></div>'
LABELLED = (
    '\n          <div class="col-sm-6 col-lg-2">'
    '\n            <label class="form-label" for="{id}">{label}</label>'
    "\n            {widget}"
)
ERROR = '<div class="invalid-feedback d-block">{}</div>'


def panel_fields(customer_filter) -> SafeString:
    """The filter panel's fields, each in its column, as the loop of customers/roster.html wrote them."""
    wide = customer_filter.wide_fields
    parts = []
    for field in customer_filter.form.visible_fields():
        label = conditional_escape(field.label)
        if field.name in wide:
            part = WIDE.format(id=conditional_escape(field.id_for_label), label=label, widget=field)
        elif getattr(field.field.widget, "input_type", None) == "checkbox":
            choices = "".join(
                CHECKBOX.format(
                    tag=choice.tag(),
                    id=conditional_escape(choice.id_for_label),
                    label=conditional_escape(choice.choice_label),
                )
                for choice in field
            )
            part = CHECKBOXES.format(label=label, choices=choices)
        else:
            part = LABELLED.format(id=conditional_escape(field.id_for_label), label=label, widget=field)
        errors = "".join(ERROR.format(conditional_escape(error)) for error in field.errors)
        parts.append(f"\n          {part}\n          \n            {errors}\n          </div>\n        ")
    return SafeString("".join(parts))
