"""A realistic demo roster, generated offline and deterministically: households that share a last name,
address and phone, parents with emails, children with birthdays (some this week), phones in mixed formats."""

import random
from datetime import date, timedelta

from django.utils import timezone

from customers.models import Customer, Source

FIRST_NAMES = (
    "Emma Olivia Ava Sophia Isabella Mia Amelia Harper Evelyn Abigail Emily Ella Elizabeth Camila Luna Sofia "
    "Avery Mila Aria Scarlett Penelope Layla Chloe Victoria Madison Eleanor Grace Nora Riley Zoey Hannah Zoë "
    "Liam Noah Oliver Elijah James William Benjamin Lucas Henry Theodore Jack Levi Alexander Jackson Mateo "
    "Daniel Michael Mason Sebastian Ethan Logan Owen Samuel Jacob Asher Aiden John Joseph Wyatt David Leo "
    "José María Renée Chloé André Björn Søren Siobhán Aoife Priya Arjun Wei Mei Yuki Hiroshi Fatima Omar Amir "
    "Kwame Ama Chidi Ngozi Diego Valentina Lucía Mohammed Aisha Noor Ingrid Lars Jürgen Zoltán Nikolai Olga"
).split()
LAST_NAMES = [
    *(
        "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
        "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
        "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall "
        "Rivera Campbell Mitchell Carter Roberts O'Brien O'Neil McDonald MacLeod Müller Schäfer Núñez Peña Ibáñez "
        "Johansson Lindqvist Kowalski Nowak Novák Dvořák Okafor Mensah Patel Shah Singh Kim Park Chen Wang Tanaka "
        "Sato Haddad Khalil Rossi Bianchi Ferreira Silva Costa Dubois Lefèvre"
    ).split(),
    # more than one word: kept out of split()
    "Van der Berg",
    "De la Cruz",
    "St. John",
]
STREETS = (
    "Maple Oak Pine Cedar Elm Willow Birch Lakeview Hillcrest Sunset Park Main Church River Meadow".split()
)
CITIES = [
    ("Springfield", "IL"),
    ("Riverside", "CA"),
    ("Franklin", "TN"),
    ("Madison", "WI"),
    ("Salem", "OR"),
    ("Georgetown", "TX"),
    ("Clinton", "MI"),
    ("Fairview", "NC"),
    ("Greenville", "SC"),
    ("Bristol", "CT"),
]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "aol.com", "proton.me"]
PHONE_FORMATS = [
    "({a}) {b}-{c}",
    "{a}-{b}-{c}",
    "{a}.{b}.{c}",
    "{a}{b}{c}",
    "+1 {a} {b} {c}",
    "1-{a}-{b}-{c}",
]


def _phone(rng: random.Random) -> str:
    area = rng.choice(["212", "312", "415", "512", "617", "702", "303", "206", "404", "615", "555"])
    return rng.choice(PHONE_FORMATS).format(
        a=area, b=f"{rng.randint(200, 999)}", c=f"{rng.randint(0, 9999):04d}"
    )


def _birthday(rng: random.Random, today: date, min_age: int, max_age: int) -> date:
    if rng.random() < 0.02:  # a few birthdays this week, for the birthday banner
        day = today + timedelta(days=rng.randint(0, 6))
        return (
            day.replace(year=day.year - rng.randint(min_age, max_age))
            if (day.month, day.day) != (2, 29)
            else day
        )
    return today - timedelta(days=rng.randint(min_age * 365, max_age * 365 + 364))


def demo_customers(*, count: int, seed: int) -> list[Customer]:
    """About `count` unsaved customers of the current organization, in households."""
    rng = random.Random(seed)
    today = timezone.localdate()
    customers, used_emails = [], set()
    while len(customers) < count:
        last = rng.choice(LAST_NAMES)
        city, region = rng.choice(CITIES)
        address = {
            "address_line1": f"{rng.randint(10, 9999)} {rng.choice(STREETS)} {rng.choice(['St', 'Ave', 'Rd', 'Ln', 'Dr'])}",
            "city": city,
            "region": region,
            "postal_code": f"{rng.randint(10000, 99999)}",
            "country": "United States",
        }
        household_phone = _phone(rng)
        adults = [(rng.choice(FIRST_NAMES), 25, 60) for _ in range(rng.choice([1, 1, 2]))]
        children = [(rng.choice(FIRST_NAMES), 2, 14) for _ in range(rng.choice([0, 1, 1, 2, 3]))]
        household = len(customers)
        for index, (first, min_age, max_age) in enumerate(adults + children):
            adult = index < len(adults)
            email = ""
            if adult and rng.random() < 0.9:
                local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
                email = f"{local}{rng.randint(1, 999) if rng.random() < 0.5 else ''}@{rng.choice(DOMAINS)}"
                if email in used_emails:
                    email = ""
                used_emails.add(email)
            customer = Customer(
                first_name=first,
                last_name=last,
                email=email,
                phone=(household_phone if index == 0 else _phone(rng))
                if adult and rng.random() < 0.85
                else "",
                birthday=_birthday(rng, today, min_age, max_age)
                if (not adult or rng.random() < 0.5)
                else None,
                gender=rng.choice(["female", "male", "", "non_binary", "undisclosed"]),
                marketing_opt_in=adult and rng.random() < 0.6,
                source=rng.choice(
                    [Source.STAFF, Source.STAFF, Source.ONLINE_BOOKING, Source.ONLINE_STORE, Source.IMPORT]
                ),
                **(address if adult else {}),
            )
            customer.household, customer.is_adult = household, adult  # for demo_families, not saved
            customers.append(customer)
    return customers[:count]


def demo_signup_dates(customers: list[Customer], *, seed: int) -> None:
    """Households that joined over the last two years, more of them lately, so Reports → Customers shows
    growth; loaded customers would all have joined today."""
    rng = random.Random(seed)
    now = timezone.now()
    joined: dict[int, object] = {}
    for customer in customers:
        if customer.household not in joined:
            joined[customer.household] = now - timedelta(
                days=730 * rng.random() ** 1.6, hours=rng.randint(0, 9)
            )
        customer.created_at = joined[customer.household]
    Customer.objects.bulk_update(customers, ["created_at"], batch_size=1000)


def demo_custom_fields(customers: list[Customer], *, seed: int) -> None:
    """Custom fields a kids' activity center keeps, filled at realistic densities."""
    from customers.models import (
        STAFF_AUDIENCES,
        Audience,
        CustomField,
        CustomFieldOption,
        CustomFieldValue,
        FieldType,
        Scope,
    )
    from customers.search import normalize
    from customers.services import custom_field_save

    rng = random.Random(seed)
    staff, everyone = list(STAFF_AUDIENCES), [*STAFF_AUDIENCES, Audience.CUSTOMER, Audience.GUARDIAN]

    def field(label, field_type, options=(), **attributes):
        attributes = {"visible_to": staff, "editable_by": staff} | attributes
        rows = [
            {"option": CustomFieldOption(label=text), "retired": False, "delete": False} for text in options
        ]
        definition = CustomField(label=label, type=field_type, **attributes)
        return custom_field_save(field=definition, options=rows, by=None)

    person = {"scope": Scope.PERSON, "visible_to": everyone, "editable_by": everyone}
    size = field(
        "T-shirt size", FieldType.CHOICE, ["Youth S", "Youth M", "Youth L", "Adult S", "Adult M", "Adult L"]
    )
    allergies = field(
        "Allergies", FieldType.TEXT, help_text="Food or other allergies staff should know.", **person
    )
    school = field("School", FieldType.TEXT, **person)
    activities = field(
        "Activities", FieldType.MULTIPLE_CHOICE, ["Climbing", "Trampoline", "Swim", "Dance", "Art"]
    )
    waiver = field("Waiver on file", FieldType.YES_NO)
    member_since = field("Member since", FieldType.DATE)
    visits = field("Visits this year", FieldType.NUMBER, min_value=0)
    field(
        "Credit hold",
        FieldType.YES_NO,
        visible_to=[Audience.OWNER, Audience.ADMIN],
        editable_by=[Audience.OWNER],
    )
    options = {item.pk: list(item.options.values_list("pk", flat=True)) for item in (size, activities)}
    today = timezone.localdate()
    values = []
    for customer in customers:
        row = {"customer": customer}
        if rng.random() < 0.7:
            values.append(CustomFieldValue(**row, field=size, option_id=rng.choice(options[size.pk])))
        if rng.random() < 0.12:
            text = rng.choice(["Peanuts", "Tree nuts", "Dairy", "Gluten", "Bee stings", "Latex", "Shellfish"])
            values.append(CustomFieldValue(**row, field=allergies, text=text, key=normalize(text)))
        if customer.birthday and customer.birthday.year > today.year - 15 and rng.random() < 0.6:
            text = rng.choice(["Lincoln Elementary", "Oakwood Middle", "St. Mary's", "Riverside Academy"])
            values.append(CustomFieldValue(**row, field=school, text=text, key=normalize(text)))
        if rng.random() < 0.3:
            for option_id in rng.sample(options[activities.pk], rng.randint(1, 3)):
                values.append(CustomFieldValue(**row, field=activities, option_id=option_id))
        if rng.random() < 0.6:
            values.append(CustomFieldValue(**row, field=waiver, flag=rng.random() < 0.85))
        if rng.random() < 0.4:
            day = today - timedelta(days=rng.randint(0, 6 * 365))
            values.append(CustomFieldValue(**row, field=member_since, date=day))
        if rng.random() < 0.3:
            count = rng.randint(1, 40)
            values.append(CustomFieldValue(**row, field=visits, text=str(count), number=count))
    CustomFieldValue.objects.bulk_create(values, batch_size=2000)
