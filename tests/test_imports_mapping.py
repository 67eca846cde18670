"""Roster imports, matching the columns: our own export's headers map back to their fields, so do the
headers of lists in German, Spanish and French, and a column of dates is never taken for phones."""

import pytest

from accounts.tenancy import tenant
from imports.mapping import auto_map, targets
from tests.import_helpers import upload, work


def test_every_header_of_our_export_maps_back_to_its_field(alice_client, org_a, fields):
    exported = b"".join(alice_client.get("/app/alpha/customers/export.csv").streaming_content)
    headers = exported.decode("utf-8-sig").splitlines()[0].split(",")
    with tenant(org_a):
        mapping = dict(zip(headers, auto_map(headers, []), strict=True))
        importable = {target.label: target.name for target in targets()}
    expected = {header: importable[header] for header in headers if header in importable}
    assert {"Marketing emails", "Customer number", "T-shirt size", "Sports"} <= set(expected)
    assert {header: mapping[header] for header in expected} == expected
    assert (mapping["Notes"], mapping["Tags"]) == ("note", "tags")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["Vorname", "Nachname", "E-Mail", "Telefon", "Geburtsdatum", "PLZ", "Ort"],
            ["first_name", "last_name", "email", "phone", "birthday", "postal_code", "city"],
        ),
        (["Vorname", "Name", "E-Mail-Adresse", "Handy"], ["first_name", "last_name", "email", "phone"]),
        (
            ["Nombre", "Apellido(s)", "Correo", "Teléfono", "Fecha de nacimiento", "Código postal"],
            ["first_name", "last_name", "email", "phone", "birthday", "postal_code"],
        ),
        (
            ["Prénom", "Nom", "Courriel", "Téléphone", "Date de naissance", "Ville", "Remarques"],
            ["first_name", "last_name", "email", "phone", "birthday", "city", "note"],
        ),
    ],
)
def test_headers_in_german_spanish_and_french_map_to_their_fields(org_a, headers, expected):
    with tenant(org_a):
        assert auto_map(headers, []) == expected


@pytest.mark.parametrize(
    ("dates", "detected"),
    [(["03/14/2015", "12/01/2016"], "Month/day/year"), (["14.03.2015", "01.12.2016"], "Day/month/year")],
)
def test_a_column_of_dates_the_page_detects_is_guessed_a_birthday_never_a_phone(
    alice_client, org_a, alice, dates, detected
):
    text = "Kid,Family,Born,Contact\n" + "".join(
        f"Ana,Lee,{day},(312) 555-010{n}\n" for n, day in enumerate(dates)
    )
    job = work(org_a, upload(org_a, alice, text))
    assert job.mapping == ["", "", "birthday", "phone"]
    page = alice_client.get(f"/app/alpha/imports/{job.pk}/").text
    assert f"Detected: {detected}" in page and f"“{dates[0]}” reads as" in page
