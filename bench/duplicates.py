"""The duplicate finder on a large roster: a full scan in the worker, and its recall and precision on planted
duplicates.

    .venv/bin/python bench/duplicates.py            # 50 k customers, 1,000 planted duplicates (a minute)
    .venv/bin/python bench/duplicates.py --full     # 500 k customers (the issue's figure)

Starts its own embedded PostgreSQL, Redis and a Celery worker, loads a roster in households (a shared last
name, address and often phone; children with birthdays; adults with emails) with COPY, plus 1,000 second
entries of existing customers made the way they happen: a typo, a nickname, first and last swapped, accents
dropped or added, the email's case, dots (Gmail) or a +tag, the phone written another way, some fields left
out. Another organization holds exact copies of some of them (it must never pair with them). Then *Scan now*
runs in the worker; the pairs it stores are compared with the planted ones.
"""

import random
import string
import time
from collections import Counter

from _harness import bench_environment, bench_organizations, bench_parser, worker_start
from roster_search import surnames

COLUMNS = (
    "organization_id first_name last_name email phone phone_digits birthday address_line1 postal_code "
    "number source first_key last_key name_key email_key email_domain phone_rev number_key "
    "marketing_opt_in gender address_line2 city region country emergency_contact_name "
    "emergency_contact_phone "
    "created_at updated_at"
).split()
PLANTED = 1_000
ACCENTED = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú", "n": "ñ"}


def phone_digits(rng: random.Random) -> str:
    return "1" + rng.choice("23456789") + "".join(rng.choices(string.digits, k=9))


def phone_text(digits: str, style: int) -> str:
    a, b, c = digits[1:4], digits[4:7], digits[7:]
    return [f"({a}) {b}-{c}", f"{a}.{b}.{c}", f"+1 {a} {b} {c}", f"{a}{b}{c}", f"1-{a}-{b}-{c}"][style % 5]


def household_roster(rng: random.Random, size: int) -> list[dict]:
    """`size` people in households of 1–5: shared last name and address, most sharing a phone."""
    from customers.demo import DOMAINS, FIRST_NAMES, LAST_NAMES, STREETS

    last_names = surnames(rng, list(LAST_NAMES), 20_000)
    people: list[dict] = []
    while len(people) < size:
        last = rng.choice(last_names)
        address = (
            f"{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(['Street', 'Avenue', 'Rd', 'Lane'])}"
        )
        postal = f"{rng.randint(10000, 99999)}"
        home_phone = phone_digits(rng)
        members = rng.choice([1, 2, 2, 3, 3, 4, 5])
        for index in range(members):
            adult = index < 2
            first = rng.choice(FIRST_NAMES)
            year = rng.randint(1960, 1995) if adult else rng.randint(2008, 2022)
            number = len(people)
            domain = rng.choice(DOMAINS)
            people.append(
                {
                    "first": first,
                    "last": last,
                    "email": f"{first}.{last}{number}@{domain}".lower().replace(" ", "") if adult else "",
                    "digits": home_phone if rng.random() < 0.7 else phone_digits(rng),
                    "phone_style": rng.randrange(5),
                    "birthday": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    "address": address,
                    "postal": postal,
                    "number": f"C{number}",
                }
            )
    return people[:size]


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    at = rng.randint(1, len(word) - 2)
    kind = rng.randrange(3)
    if kind == 0:  # two letters swapped
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    if kind == 1:  # a letter doubled or dropped
        return word[:at] + word[at + 1 :]
    return word[:at] + rng.choice("aeioulnrst") + word[at + 1 :]


def plant(rng: random.Random, people: list[dict]) -> tuple[list[dict], list[tuple[str, str, str]]]:
    """1,000 second entries of existing people, each with a name variation and a contact variation:
    (entries, [(original number, duplicate number, what changed)])."""
    from customers.nicknames import NICKNAME_GROUPS
    from customers.search import normalize

    nicknames = {}
    for group in NICKNAME_GROUPS:
        for name in group[1:]:
            nicknames.setdefault(group[0], name)
            nicknames.setdefault(name, group[0])
    entries, planted = [], []
    for index, original in enumerate(rng.sample(people, PLANTED)):
        copy = dict(original, number=f"D{index}")
        name_change = rng.choice(["typo", "nickname", "swapped", "accents", "same"])
        first_key = normalize(original["first"])
        if name_change == "nickname" and first_key not in nicknames:
            name_change = "typo"
        if name_change == "typo":
            if rng.random() < 0.5:
                copy["first"] = typo(rng, original["first"]).capitalize()
            else:
                copy["last"] = typo(rng, original["last"]).capitalize()
        elif name_change == "nickname":
            copy["first"] = nicknames[first_key].capitalize()
        elif name_change == "swapped":
            copy["first"], copy["last"] = original["last"], original["first"]
        elif name_change == "accents":
            vowels = [i for i, char in enumerate(copy["last"]) if char in ACCENTED]
            if vowels:
                at = rng.choice(vowels)
                copy["last"] = copy["last"][:at] + ACCENTED[copy["last"][at]] + copy["last"][at + 1 :]
        # What else they gave the second time: at least one of email, phone, birthday, address.
        kept = set(rng.sample(["email", "phone", "birthday", "address"], rng.randint(1, 3)))
        if not original["email"]:
            kept.discard("email")
            kept = kept or {"phone"}
        changes = [name_change]
        if "email" in kept:
            local, _, domain = original["email"].partition("@")
            variation = rng.choice(["dots", "tag", "case"])
            if variation == "dots":  # Gmail ignores dots; the original is made a Gmail address
                original["email"] = f"{local}@gmail.com"
                copy["email"] = f"{local.replace('.', '')}@googlemail.com"
            elif variation == "tag":
                copy["email"] = f"{local}+signup@{domain}"
            else:  # case alone would be the same address: the unique email refuses it, as it should
                copy["email"] = f"{local.upper()}+kids@{domain.upper()}"
            changes.append(f"email {variation}")
        else:
            copy["email"] = ""
        if "phone" in kept:
            copy["phone_style"] = original["phone_style"] + 1 + rng.randrange(3)
            changes.append("phone reformatted")
        else:
            copy["digits"] = ""
        if "birthday" not in kept:
            copy["birthday"] = None
        if "address" in kept:
            copy["address"] = copy["address"].upper().replace("STREET", "St.").replace("AVENUE", "Ave")
            changes.append("address")
        else:
            copy["address"] = copy["postal"] = ""
        entries.append(copy)
        planted.append((original["number"], copy["number"], " + ".join(changes)))
    return entries, planted


def load(superuser_url: str, organization_id: int, people: list[dict]) -> None:
    import psycopg

    from customers.search import normalize

    with psycopg.connect(superuser_url) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY customers_customer ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for person in people:
                first_key, last_key = normalize(person["first"]), normalize(person["last"])
                email = person["email"].lower()
                digits = person["digits"]
                copy.write_row(
                    (
                        organization_id,
                        person["first"],
                        person["last"],
                        email,
                        phone_text(digits, person["phone_style"]) if digits else "",
                        digits,
                        person["birthday"],
                        person["address"],
                        person["postal"],
                        person["number"],
                        "import",
                        first_key,
                        last_key,
                        f"{first_key} {last_key}",
                        email,
                        email.rpartition("@")[2],
                        digits[::-1],
                        person["number"].lower(),
                        False,
                        *[""] * 7,
                        "2025-01-01T00:00:00Z",
                        "2025-01-01T00:00:00Z",
                    )
                )
        conn.commit()
        cursor.execute("ANALYZE customers_customer")


def main() -> None:
    parser = bench_parser(__doc__, size=50_000, full=500_000, what="customers in the measured organization")
    options = parser.parse_args()
    size = options.size

    with bench_environment("duplicates-bench-") as superuser_url:
        from accounts.tenancy import tenant
        from customers import duplicate_services
        from customers.duplicates import reason_labels
        from customers.models import Customer, DuplicatePair, DuplicateScan

        rng = random.Random(24)
        owner, measured, other = bench_organizations()
        started = time.perf_counter()
        people = household_roster(rng, size - PLANTED)
        entries, planted = plant(rng, people)
        load(superuser_url, measured.pk, people + entries)
        load(
            superuser_url, other.pk, [dict(person, number=f"O{n}") for n, person in enumerate(people[:2000])]
        )
        print(
            f"loaded {size:,} customers (+2,000 in another organization) "
            f"in {time.perf_counter() - started:.1f} s"
        )

        worker = worker_start()
        try:
            with tenant(measured):
                scan = duplicate_services.duplicates_scan_start(by=owner)
            started = time.perf_counter()
            while True:
                time.sleep(0.25)
                with tenant(measured):
                    scan = DuplicateScan.objects.get(pk=scan.pk)
                if scan.finished_at:
                    break
                if time.perf_counter() - started > 900:
                    raise RuntimeError("The scan did not finish in 15 minutes")
            seconds = time.perf_counter() - started
        finally:
            worker.terminate()
            worker.wait(30)

        with tenant(measured):
            ids = dict(Customer.objects.values_list("number", "pk"))
            pairs = {
                (a, b): (score, reasons)
                for a, b, score, reasons in DuplicatePair.objects.values_list(
                    "customer_a_id", "customer_b_id", "score", "reasons"
                )
            }
        with tenant(other):
            other_ids = set(Customer.objects.values_list("pk", flat=True))
        wanted = {}
        for original, duplicate, what in planted:
            a, b = sorted((ids[original], ids[duplicate]))
            wanted[(a, b)] = what
        hits = [pair for pair in wanted if pair in pairs]
        recall = len(hits) / len(wanted)
        precision = len(hits) / len(pairs) if pairs else 0.0
        crossing = sum(a in other_ids or b in other_ids for a, b in pairs)

        labels = reason_labels()
        print(f"\n{'figure':<34}{'value':>12}{'goal':>12}")
        print(f"{'customers':<34}{size:>12,}")
        print(f"{'scan in the worker (s)':<34}{seconds:>12.1f}{'≤ 60':>12}")
        print(f"{'pairs stored (score 50+)':<34}{len(pairs):>12,}")
        print(f"{'planted duplicates found':<34}{len(hits):>12,}{PLANTED:>12,}")
        print(f"{'recall':<34}{recall:>12.1%}{'≥ 95 %':>12}")
        print(f"{'precision':<34}{precision:>12.1%}{'≥ 90 %':>12}")
        print(f"{'pairs with another organization':<34}{crossing:>12}{0:>12}")
        missed = Counter(what for pair, what in wanted.items() if pair not in pairs)
        print("\nmissed (what changed in the second entry):")
        for what, count in missed.most_common(10):
            print(f"  {count:>4}  {what}")
        false = Counter(
            " + ".join(labels.get(key, key) for key in reasons)
            for pair, (_, reasons) in pairs.items()
            if pair not in wanted
        )
        print("pairs that are not planted duplicates (their reasons):")
        for what, count in false.most_common(10):
            print(f"  {count:>4}  {what}")
        print(
            f"RESULT scan_s={seconds:.1f} customers={size} recall={recall:.3f} precision={precision:.3f} "
            f"pairs={len(pairs)} cross_org={crossing}"
        )


if __name__ == "__main__":
    main()
