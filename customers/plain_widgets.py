"""A form renderer that writes the filter panel's widgets in Python, with the markup of Django's widget
templates: the roster draws 20 to 120 of them on every page, and the template engine spent a fifth of the
request on them (a template, an include per option and per attribute list). The panel's loop over its
fields is written here too (`panel_fields`), as the roster's template wrote it."""

from html import escape

from django.forms.renderers import DjangoTemplates
from django.utils.safestring import SafeString

WIDGETS = "django/forms/widgets/"
INPUTS = "text number email url password hidden date datetime time search tel color checkbox"


def _escape(value) -> str:
    """Django's conditional_escape without its lazy-text wrapper: the panel escapes a few hundred values."""
    return value.__html__() if hasattr(value, "__html__") else escape(str(value))


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    return "".join(
        f" {_escape(name)}" if value is True else f' {_escape(name)}="{_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _include(template_name: str, widget: dict) -> str:
    """What {% include template_name %} writes: the part, then the newline(s) its template file ends with."""
    part, newlines = PARTS[template_name]
    return part(widget) + "\n" * newlines


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_escape(str(widget["value"]))}"'
    return (
        f'<input type="{_escape(widget["type"])}" name="{_escape(widget["name"])}"{value}'
        f"{_attrs(widget['attrs'])}>"
    )


def _input_option(widget: dict) -> str:
    if not widget.get("wrap_label"):
        return _include(f"{WIDGETS}input.html", widget)
    label_for = f' for="{_escape(widget["attrs"]["id"])}"' if widget["attrs"].get("id") else ""
    return f"<label{label_for}>{_include(f'{WIDGETS}input.html', widget)} {_escape(widget['label'])}</label>"


def _select_option(widget: dict) -> str:
    return (
        f'<option value="{_escape(str(widget["value"]))}"{_attrs(widget["attrs"])}>'
        f"{_escape(widget['label'])}</option>"
    )


def _select(widget: dict) -> str:
    parts = []
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_escape(group_name)}">')
        parts.extend(f"\n  {_include(option['template_name'], option)}" for option in options)
        if group_name:
            parts.append("\n  </optgroup>")
    return f'<select name="{_escape(widget["name"])}"{_attrs(widget["attrs"])}>{"".join(parts)}\n</select>'


def _multiple_input(widget: dict) -> str:
    attrs = widget["attrs"]
    parts = []
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{_escape(group)}</label>")
        parts.extend(f"<div>\n    {_include(option['template_name'], option)}</div>" for option in options)
        if group:
            parts.append("\n  </div>")
    id_ = f' id="{_escape(attrs["id"])}"' if attrs.get("id") else ""
    class_ = f' class="{_escape(attrs["class"])}"' if attrs.get("class") else ""
    return f"<div{id_}{class_}>{''.join(parts)}\n</div>"


def _range(widget: dict) -> str:
    """customers/range_filter_widget.html: from – to, the second input named by a hidden "to"."""
    low, high = widget["subwidgets"]
    return (
        f'{_include(low["template_name"], low)}<span class="align-self-center" aria-hidden="true">–</span>'
        f'<span id="{_escape(high["attrs"].get("id", ""))}-to" hidden>to</span>'
        f"{_include(high['template_name'], high)}"
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
        label = _escape(field.label)
        if field.name in wide:
            part = WIDE.format(id=_escape(field.id_for_label), label=label, widget=field)
        elif getattr(field.field.widget, "input_type", None) == "checkbox":
            choices = "".join(
                CHECKBOX.format(
                    tag=choice.tag(),
                    id=_escape(choice.id_for_label),
                    label=_escape(choice.choice_label),
                )
                for choice in field
            )
            part = CHECKBOXES.format(label=label, choices=choices)
        else:
            part = LABELLED.format(id=_escape(field.id_for_label), label=label, widget=field)
        errors = "".join(ERROR.format(_escape(error)) for error in field.errors)
        parts.append(f"\n          {part}\n          \n            {errors}\n          </div>\n        ")
    return SafeString("".join(parts))
