"""Turning one row of text into customer values, with the rules of the staff form: the same field types,
lengths, phone and email checks, birthday bounds, choice options and required fields (the Staff Portal
column of Required Customer Fields). Each column gets a converter once per file; rows then only call them."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django import forms
from django.utils import timezone

from accounts.emails import validate_email_address
from customers.fields import BUILTIN_NAMES, CustomerField, customer_fields
from customers.forms import PHONE_HELP, check_birthday
from customers.models import Audience, Customer, FieldType, Gender
from customers.rules import Channel, Rule, channel_rules
from customers.search import phone_to_digits
from imports.dates import CellError, guess_date_order, parse_date
from imports.mapping import FULL_NAME, NOTE, TAGS

NOTE_LIMIT = 10_000
YES = {"yes", "y", "true", "t", "1", "x", "on", "subscribed", "opted in"}
NO = {"no", "n", "false", "f", "0", "off", "unsubscribed", "opted out", ""}
GENDER_WORDS = {
    Gender.FEMALE: {"f", "female", "woman", "girl", "w"},
    Gender.MALE: {"m", "male", "man", "boy"},
    Gender.NON_BINARY: {"non-binary", "non binary", "nonbinary", "nb", "x", "other"},
    Gender.UNDISCLOSED: {"prefer not to say", "undisclosed", "unknown", "n/a"},
}
_LIST_SPLIT = re.compile(r"\s*[,;|]\s*")


def parse_yes_no(text: str) -> bool:
    word = text.casefold()
    if word in YES:
        return True
    if word in NO:
        return False
    raise CellError(f"“{text[:40]}” is not yes or no.")


def split_list(text: str) -> list[str]:
    return [" ".join(item.split()) for item in _LIST_SPLIT.split(text) if item.strip()]


Converter = Callable[[str], object]


def _text(limit: int) -> Converter:
    def convert(text: str) -> str:
        if len(text) > limit:
            raise CellError(f"Longer than {limit} characters.")
        return text

    return convert


def _email_value(text: str) -> str:
    text = text.lower()
    try:
        validate_email_address(text)
    except forms.ValidationError as error:
        raise CellError(f"“{text[:60]}” is not an email address.") from error
    if len(text) > 254:
        raise CellError("Longer than 254 characters.")
    return text


def _phone_value(text: str) -> str:
    try:
        phone_to_digits(text)
    except Exception as error:  # phonenumbers raises its own parse errors
        raise CellError(f"“{text[:40]}”: {PHONE_HELP}") from error
    if len(text) > 40:
        raise CellError("Longer than 40 characters.")
    return text


def _birthday(order: str) -> Converter:
    today = timezone.localdate()  # once a file, not once a row (imports.kept re-reads a file on another day)

    def convert(text: str) -> date:
        value = parse_date(text, order)
        try:
            return check_birthday(value, today)
        except forms.ValidationError as error:
            raise CellError(error.messages[0]) from error

    return convert


def _gender(text: str) -> str:
    word = text.casefold()
    for value, words in GENDER_WORDS.items():
        if word in words or word == value or word == value.label.casefold():
            return value
    raise CellError(f"“{text[:40]}” is not one of: {', '.join(Gender.labels)}.")


def _custom(item: CustomerField, order: str) -> Converter:
    """Through the staff form's own field for this custom field, after reading labels, dates and yes/no."""
    form_field = item.formfield()
    labels = {option.label.casefold(): option.pk for option in item.options if option.retired_at is None}

    def option_id(text: str) -> str:
        try:
            return str(labels[text.casefold()])
        except KeyError:
            options = ", ".join(option.label for option in item.options if option.retired_at is None)
            raise CellError(f"“{text[:40]}” is not an option of {item.label} ({options}).") from None

    def convert(text: str):
        match item.type:
            case FieldType.CHOICE:
                raw = option_id(text)
            case FieldType.MULTIPLE_CHOICE:
                raw = [option_id(part) for part in split_list(text)]
            case FieldType.DATE:
                raw = parse_date(text, order)
            case FieldType.YES_NO:
                raw = "true" if parse_yes_no(text) else "false"
            case _:
                raw = text
        try:
            return form_field.clean(raw)
        except forms.ValidationError as error:
            raise CellError(" ".join(error.messages)) from error

    return convert


def _builtin(name: str, order: str) -> Converter:
    match name:
        case "email":
            return _email_value
        case "phone" | "emergency_contact_phone":
            return _phone_value
        case "birthday":
            return _birthday(order)
        case "gender":
            return _gender
        case "marketing_opt_in":
            return parse_yes_no
    return _text(Customer._meta.get_field(name).max_length)


@dataclass
class Parsed:
    """One row as customer values, or its errors ([(column header, message)])."""

    row: int
    builtin: dict = field(default_factory=dict)
    custom: dict = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    note: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)

    def copy(self) -> "Parsed":
        """One to plan: planning edits what it plans."""
        builtin, custom, errors = dict(self.builtin), dict(self.custom), list(self.errors)
        return Parsed(self.row, builtin, custom, list(self.tags), self.note, errors)


class RowReader:
    """Reads rows with one file's mapping: {column index: target}."""

    def __init__(self, headers: list[str], mapping: list[str], date_format: str, date_samples: list[str]):
        order = guess_date_order(date_samples) if date_format == "auto" else date_format
        registry = {item.name: item for item in customer_fields(Audience.ADMIN)}
        self.headers = headers
        self.columns: list[tuple[int, str, Converter | None]] = []
        for index, target in enumerate(mapping):
            if not target:
                continue
            if target in BUILTIN_NAMES:
                converter = _builtin(target, order)
            elif target in registry:
                converter = _custom(registry[target], order)
            elif target == NOTE:
                converter = _text(NOTE_LIMIT)
            else:
                converter = None  # tags and full name are split, not converted
            self.columns.append((index, target, converter))
        rules = channel_rules(Channel.STAFF)
        self.required = [name for name, rule in rules.items() if rule == Rule.REQUIRED]
        self.column_names = {target: headers[index] for index, target, _ in self.columns}

    def column_of(self, name: str) -> str:
        """The header of the column a field's value came from (a full name column for either name)."""
        if name in ("first_name", "last_name") and name not in self.column_names:
            name = FULL_NAME
        return self.column_names.get(name, "")

    def read(self, number: int, cells: list[str]) -> Parsed:
        parsed = Parsed(row=number)
        for index, target, converter in self.columns:
            text = cells[index] if index < len(cells) else ""
            if not text:
                continue
            try:
                if target == TAGS:
                    parsed.tags = [name[:60] for name in split_list(text)]
                elif target == FULL_NAME:
                    first, _, last = text.rpartition(" ")
                    parsed.builtin.setdefault("first_name", (first or last)[:100])
                    parsed.builtin.setdefault("last_name", last[:100] if first else "")
                elif target == NOTE:
                    parsed.note = converter(text)
                elif target in BUILTIN_NAMES:
                    parsed.builtin[target] = converter(text)
                else:
                    parsed.custom[target] = converter(text)
            except CellError as error:
                parsed.errors.append((self.headers[index] if index < len(self.headers) else "", str(error)))
        return parsed

    def missing_required(self, parsed: Parsed, labels: dict[str, str]) -> None:
        """A new customer needs every required field."""
        for name in self.required:
            value = parsed.builtin.get(name) if name in BUILTIN_NAMES else parsed.custom.get(name)
            if value in (None, "", []):
                parsed.errors.append(
                    (self.column_of(name), f"{labels.get(name, name)} is required to add a customer.")
                )
