import calendar

import django_filters
from django import forms
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual
from django.http import QueryDict

from customers.extend import RosterFilters, registered
from customers.fields import customer_fields
from customers.models import KEY_LENGTH, TEXT_TYPES, Customer, CustomFieldValue, FieldType, Source
from customers.plain_widgets import PlainWidgets
from customers.search import normalize


class RangeInputs(django_filters.widgets.RangeWidget):
    """From – to. The roster's label (id "<id>_0-label") names the first input; the second is named by it
    and a hidden "to", so a screen reader says "Created between to"."""

    template_name = "customers/range_filter_widget.html"

    def id_for_label(self, id_):
        return f"{id_}_0" if id_ else ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if id_ := context["widget"]["attrs"].get("id"):
            high = context["widget"]["subwidgets"][1]
            high["attrs"] = {**high["attrs"], "aria-labelledby": f"{id_}_0-label {id_}_1-to"}
        return context


# Plain widgets with Bootstrap classes: the panel is drawn on every roster page, so it stays cheap.
SELECT = forms.Select(attrs={"class": "form-select filter-input"})
YES_NO = forms.Select(
    choices=[("", "Any"), ("true", "Yes"), ("false", "No")], attrs={"class": "form-select filter-input"}
)
DATE_RANGE = RangeInputs(attrs={"type": "date", "class": "form-control filter-input"})
NUMBER_RANGE = RangeInputs(attrs={"type": "number", "step": "any", "class": "form-control filter-input"})
LETTERS = [(letter, letter.upper()) for letter in "abcdefghijklmnopqrstuvwxyz"] + [("#", "#")]


class LetterField(django_filters.fields.ChoiceField):
    """The A–Z bar's letter, in either case: a typed or bookmarked `?letter=S` is the bar's `s`."""

    def to_python(self, value):
        return super().to_python(value).lower()


class LetterFilter(django_filters.ChoiceFilter):
    field_class = LetterField


class ListedChoices(forms.models.ModelChoiceIterator):
    """A model choice list read in one query: Django's iterator() opens a server-side cursor, three round
    trips (declare, fetch, close) for a list of a few dozen names drawn on every roster page."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from map(self.choice, self.queryset.all())  # read afresh each time, as iterator() does


class ListedModelChoiceField(forms.ModelChoiceField):
    iterator = ListedChoices


class ListedModelChoiceFilter(django_filters.ModelChoiceFilter):
    """A roster filter choosing one row of a short list (an import, a package): see ListedChoices."""

    field_class = ListedModelChoiceField


class PanelForm(forms.Form):
    default_renderer = PlainWidgets


class OwnFields(dict):
    """A filter set's form fields, built (or deep-copied from the class's filters) for that instance alone:
    its form takes them as they are instead of deep-copying them again (~1 ms a roster page)."""

    def __deepcopy__(self, memo):
        return dict(self)


class CustomerFilter(django_filters.FilterSet):
    """The roster's filter panel and A–Z bar. Archived customers are hidden unless asked for."""

    status = django_filters.ChoiceFilter(
        choices=[("active", "Active"), ("archived", "Archived"), ("all", "All")],
        empty_label=None,
        label="Status",
        method="filter_status",
        widget=SELECT,
    )
    letter = LetterFilter(choices=LETTERS, method="filter_letter", widget=forms.HiddenInput)
    created = django_filters.DateFromToRangeFilter(
        field_name="created_at__date", label="Created between", widget=DATE_RANGE
    )
    birthday_month = django_filters.ChoiceFilter(
        field_name="birthday__month",
        label="Birthday month",
        choices=[(number, calendar.month_name[number]) for number in range(1, 13)],
        empty_label="Any month",
        widget=SELECT,
    )
    has_email = django_filters.BooleanFilter(method="filter_has_email", label="Has email", widget=YES_NO)
    has_phone = django_filters.BooleanFilter(method="filter_has_phone", label="Has phone", widget=YES_NO)
    source = django_filters.ChoiceFilter(choices=Source.choices, empty_label="Any source", widget=SELECT)
    do_not_solicit = django_filters.BooleanFilter(label="Do not solicit", widget=YES_NO)

    class Meta:
        model = Customer
        fields = []
        form = PanelForm

    def __init__(self, data=None, *args, audience: str, named_only: bool = False, **kwargs):
        """`named_only` keeps only the filters the data names (and the status), for a caller that draws no
        panel: the form builds a field for those alone, and a feature app's filters (each reads its choices)
        are built only when the data names one of them (`_names_any`)."""
        if named_only:  # FilterSet deep-copies its filters for each instance: ~0.7 ms for all of them
            self.data = data or QueryDict()
            named = [name for name in self.base_filters if name == "status" or self._names(name)]
            self.base_filters = {name: self.base_filters[name] for name in named}
        super().__init__(data, *args, **kwargs)
        for extra in registered(RosterFilters):
            if named_only and not self._names_any(extra):
                continue
            for name, item in extra.filters(audience).items():
                item.model, item.parent = Customer, self
                self.filters[name] = item
        for field in customer_fields(audience):
            if field.custom and (not named_only or self._names(field.name)):
                self.filters[field.name] = _custom_filter(field)
        if named_only:
            self.filters = {
                name: item for name, item in self.filters.items() if name == "status" or self._names(name)
            }

    def _names(self, name: str) -> bool:
        """Whether a parameter of the data may be the filter's: a range's ends come as <name>_<suffix>."""
        return any(param == name or param.startswith(f"{name}_") for param in self.data)

    def _names_any(self, extra: RosterFilters) -> bool:
        """Whether the data names one of `extra`'s filters (for one that does not list their names: any filter
        but the built-in ones and the custom fields')."""
        if extra.names:
            return any(self._names(name) for name in extra.names)
        return not self.names_only_own(self.data)

    @classmethod
    def names_only_own(cls, params) -> bool:
        """Whether every parameter is one of the built-in filters' (a range's ends by their suffixes) or a
        custom field's, so the feature apps' filters have nothing to read."""
        own = set()
        for name, item in cls.base_filters.items():
            suffixes = getattr(item.field.widget, "suffixes", ())
            own |= {f"{name}_{suffix}" for suffix in suffixes} if suffixes else {name}
        return all(name in own or name.startswith("cf_") for name in params)

    def get_form_class(self):
        form_class = super().get_form_class()
        form_class.base_fields = OwnFields(form_class.base_fields)
        return form_class

    @property
    def wide_fields(self) -> set[str]:
        """Filters drawn as two inputs (from – to)."""
        # Classes, not instances: a model choice field can't be built without its queryset.
        fields = self.filters.items()
        return {name for name, item in fields if issubclass(item.field_class, forms.MultiValueField)}

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(archived_at=None)
        return super().filter_queryset(queryset)

    def filter_status(self, queryset, name, value):
        return {
            "active": queryset.filter(archived_at=None),
            "archived": queryset.exclude(archived_at=None),
        }.get(value, queryset)

    def filter_letter(self, queryset, name, value):
        if value == "#":  # names not starting with a letter; comparisons stay index-friendly under RLS
            return queryset.filter(Q(last_key__lt="a") | Q(last_key__gte="{"))
        return queryset.filter(last_key__prefix=value)

    def filter_has_email(self, queryset, name, value):
        return queryset.exclude(email="") if value else queryset.filter(email="")

    def filter_has_phone(self, queryset, name, value):
        return queryset.exclude(phone_digits="") if value else queryset.filter(phone_digits="")

    @property
    def active_filter_count(self) -> int:
        data = self.form.cleaned_data if self.form.is_bound and self.form.is_valid() else {}
        # A mode beside another filter (the tags' any/all/none) does not count on its own.
        ignored = {"letter", "status"} | {
            name for name, item in self.filters.items() if getattr(item, "mode_of", "")
        }
        return sum(
            1 for name, value in data.items() if name not in ignored and value not in (None, "", [])
        ) + (data.get("status") not in (None, "", "active"))


def _has_value(field_id: int, **condition) -> Q:
    """Customers with a value of this custom field meeting `condition`: an index range of the value table."""
    return Q(pk__in=CustomFieldValue.objects.filter(field_id=field_id, **condition).values("customer_id"))


def _range(column: str, value: slice) -> dict:
    bounds = {f"{column}__gte": value.start, f"{column}__lte": value.stop}
    return {lookup: bound for lookup, bound in bounds.items() if bound is not None}


def _custom_filter(field) -> django_filters.Filter:
    """The filter a custom field gets in the panel, by its type."""
    field_id, label = field.custom.pk, field.label
    match field.type:
        case FieldType.CHOICE | FieldType.MULTIPLE_CHOICE:
            return django_filters.MultipleChoiceFilter(
                label=f"{label} (any of)",
                choices=[(str(option.pk), option.label) for option in field.options],
                widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input filter-input"}),
                method=lambda queryset, name, value: queryset.filter(
                    _has_value(field_id, option_id__in=[int(option) for option in value])
                ),
            )
        case FieldType.YES_NO:
            return django_filters.BooleanFilter(
                label=label,
                widget=YES_NO,
                method=lambda queryset, name, value: queryset.filter(_has_value(field_id, flag=value)),
            )
        case FieldType.DATE:
            return django_filters.DateFromToRangeFilter(
                label=f"{label} between",
                widget=DATE_RANGE,
                method=lambda queryset, name, value: queryset.filter(
                    _has_value(field_id, **_range("date", value))
                ),
            )
        case FieldType.NUMBER:
            return django_filters.RangeFilter(
                label=f"{label} from – to",
                widget=NUMBER_RANGE,
                method=lambda queryset, name, value: queryset.filter(
                    _has_value(field_id, **_range("number", value))
                ),
            )
    assert field.type in TEXT_TYPES
    return django_filters.CharFilter(
        label=f"{label} contains",
        widget=forms.TextInput(attrs={"class": "form-control filter-input"}),
        method=lambda queryset, name, value: queryset.filter(_contains(field_id, value.strip())),
    )


def _contains(field_id: int, value: str) -> Q:
    """Customers whose value of this text field contains `value`, case and accents aside: a LIKE on the
    normalized keys, read from the key index alone (LIKE is not leakproof, so under row-level security it
    can't be an index condition, trigram or not: reading keys without the table is what stays cheap), plus
    the text of the few values too long for their key."""
    values = CustomFieldValue.objects.filter(field_id=field_id).values("customer_id")
    short = values.exclude(key="").filter(key__contains=normalize(value))
    long = values.filter(GreaterThanOrEqual(Length("key"), KEY_LENGTH), text__icontains=value)
    return Q(pk__in=short.union(long, all=True))  # ALL: no sort to drop duplicates IN ignores
