"""Which column goes into which customer field: the choices (the field registry plus tags, a note and a full
name to split), and a first guess from the headers and, failing that, from the values."""

import re
from collections import Counter
from dataclasses import dataclass

from customers.fields import customer_fields, field_labels
from customers.models import Audience
from customers.rules import Channel, Rule, channel_rules
from customers.search import normalize
from imports.dates import is_date
from imports.models import ImportJob

FULL_NAME, TAGS, NOTE = "full_name", "tags", "note"
EXTRA_TARGETS = {
    FULL_NAME: "Full name (split into first and last)",
    TAGS: "Tags (names separated by commas)",
    NOTE: "Note",
}

# Headers other systems export, normalized (see `header_key`), for each target.
SYNONYMS = {
    "first_name": "first, firstname, first name, given name, given, forename, fname, prenom",
    "last_name": "last, lastname, last name, surname, family name, lname, child last name",
    FULL_NAME: "name, full name, customer name, client name, contact name, member name, display name",
    "email": "email, e mail, email address, e mail address, mail, primary email",
    "phone": "phone, mobile, cell, telephone, tel, phone number, mobile phone, cell phone, mobile number",
    "birthday": "birthday, dob, date of birth, birth date, birthdate, bday",
    "gender": "gender, sex",
    "address_line1": "address, address 1, address1, street, street address, address line 1, address line1",
    "address_line2": "address 2, address2, address line 2, address line2, apt, suite, unit",
    "city": "city, town",
    "region": "state, province, region, county, state province, state region",
    "postal_code": "zip, zip code, zipcode, postal code, postcode, post code",
    "country": "country",
    "emergency_contact_name": "emergency contact, emergency contact name, emergency name",
    "emergency_contact_phone": "emergency phone, emergency contact phone, emergency number",
    "marketing_opt_in": "marketing, marketing opt in, opt in, optin, newsletter, accepts marketing",
    "number": "number, customer number, customer id, customer no, member id, member number, client id, id",
    TAGS: "tags, tag, labels, groups",
    NOTE: "note, notes, comment, comments, remarks",
}

# The same in the languages lists most often come in that are not English (German, Spanish, French).
OTHER_LANGUAGES = {
    "first_name": "vorname, nombre, nombres",
    "last_name": "nachname, familienname, apellido, apellidos, apellido s, nom, nom de famille",
    FULL_NAME: "nombre completo, nom complet, vollstandiger name",
    "email": "e mail adresse, correo, correo electronico, courriel, adresse e mail, adresse email",
    "phone": "telefon, handy, mobil, telefonnummer, telefono, movil, celular, portable, numero de telephone",
    "birthday": "geburtsdatum, geburtstag, fecha de nacimiento, cumpleanos, date de naissance, anniversaire",
    "gender": "geschlecht, sexo, genero, sexe, genre",
    "address_line1": "strasse, adresse, anschrift, direccion, calle, adresse postale",
    "city": "ort, stadt, wohnort, ciudad, localidad, ville",
    "region": "bundesland, provincia, estado, departement",
    "postal_code": "plz, postleitzahl, codigo postal, cp, code postal",
    "country": "land, pais, pays",
    NOTE: "notiz, notizen, bemerkung, bemerkungen, nota, notas, comentarios, remarque, remarques",
}
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_SHAPE = re.compile(r"^\+?[\d\s().\-/]{7,20}$")


def header_key(header: str) -> str:
    """ "E-mail Address:" → "e mail address": how headers are compared."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", normalize(header)).split())


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    group: str


def targets() -> list[Target]:
    """Everything a column can go into, for the mapping form, in the registry's order."""
    fields = [
        Target(item.name, item.label, item.group)
        for item in customer_fields(Audience.ADMIN)
        if item.editable_by(Audience.ADMIN)
    ]
    return fields + [Target(name, label, "Other") for name, label in EXTRA_TARGETS.items()]


def exact_targets() -> dict[str, str]:
    """{name: target} for columns named as the API names fields: targets by name, custom fields by key."""
    exact = {target.name: target.name for target in targets()}
    return exact | {
        item.custom.key: item.name
        for item in customer_fields(Audience.ADMIN)
        if item.custom and item.custom.key and item.name in exact
    }


def _synonyms() -> dict[str, str]:
    """{header key: target} from the synonyms and each field's label (our export's headers) and key."""
    known = {}
    for table in (OTHER_LANGUAGES, SYNONYMS):
        for target, words in table.items():
            for phrase in words.split(", "):
                known[phrase] = target
    for item in customer_fields(Audience.ADMIN):
        known[header_key(item.label)] = item.name
        if item.custom and item.custom.key:
            known[header_key(item.custom.key)] = item.name
    return known


def auto_map(headers: list[str], samples: list[list[str]], template_columns: dict | None = None) -> list[str]:
    """A target per column (or "" to ignore): a template's choice, then the header, then the values."""
    known, exact = _synonyms(), exact_targets()
    allowed = set(exact.values())
    mapping = [""] * len(headers)
    taken: set[str] = set()

    def assign(index: int, target: str | None) -> None:
        if target and target in allowed and target not in taken and not mapping[index]:
            mapping[index] = target
            taken.add(target)

    for index, header in enumerate(headers):
        if template_columns:
            assign(index, template_columns.get(header_key(header)))
        assign(index, exact.get(header))
    for index, header in enumerate(headers):
        assign(index, known.get(header_key(header)))
    if "first_name" in taken and FULL_NAME in taken and "last_name" not in taken:
        # "Name" beside "Vorname" (or "First name") is the last name, as German forms have it.
        mapping[mapping.index(FULL_NAME)] = "last_name"
        taken.discard(FULL_NAME)
        taken.add("last_name")
    if {"first_name", "last_name"} <= taken:
        taken.add(FULL_NAME)
    for index in range(len(headers)):
        assign(index, _by_content([row[index] for row in samples if index < len(row) and row[index]]))
    return mapping


def _by_content(values: list[str]) -> str | None:
    """Dates before phones: 03/14/2015 and 14.03.2015 also have a phone's characters."""
    if not values:
        return None
    if all(EMAIL_SHAPE.match(value) for value in values):
        return "email"
    if all(is_date(value) for value in values):
        return "birthday"
    if all(PHONE_SHAPE.match(value) for value in values):
        return "phone"
    return None


def template_match(headers: list[str], templates) -> object | None:
    """The saved template whose columns best cover this file's, if it covers most of them."""
    keys = {header_key(header) for header in headers if header.strip()}
    best, best_share = None, 0.0
    for template in templates:
        share = len(keys & set(template.columns)) / max(len(keys), 1)
        if share > best_share:
            best, best_share = template, share
    return best if best_share >= 0.6 else None


def mapping_check(job: ImportJob, mapping: list[str], match_key: str, mode: str) -> list[str]:
    """What is wrong with a mapping, in words; [] when it can run."""
    allowed = {target.name for target in targets()}
    labels = field_labels()
    chosen = [target for target in mapping if target]
    problems = [
        f"“{target}” is not a field you can import into." for target in chosen if target not in allowed
    ]
    doubled = [target for target, count in Counter(chosen).items() if count > 1]
    problems += [f"Two columns go into {labels.get(target, target)}: choose one." for target in doubled]
    if len(mapping) != len(job.headers):
        problems.append("The mapping does not fit the file's columns.")
    names = set(chosen) | ({"first_name", "last_name"} if FULL_NAME in chosen else set())
    if mode == ImportJob.Mode.UPDATE and match_key not in names:
        problems.append(f"Map a column to {labels[match_key]}: it is how existing customers are found.")
    if mode != ImportJob.Mode.UPDATE:
        required = [name for name, rule in channel_rules(Channel.STAFF).items() if rule == Rule.REQUIRED]
        missing = [labels.get(name, name) for name in required if name not in names]
        if missing:
            problems.append(f"Map {', '.join(missing)}: required to add a customer.")
    if not chosen:
        problems.append("Map at least one column.")
    return problems
