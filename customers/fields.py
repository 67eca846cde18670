"""The customer field registry: which fields a customer form, the profile and exports show, in what order
and groups. Channel rules (required / optional / hidden) and custom fields extend this one list."""

from dataclasses import dataclass

from customers.models import Customer


@dataclass(frozen=True)
class CustomerField:
    name: str
    group: str

    @property
    def label(self) -> str:
        return str(Customer._meta.get_field(self.name).verbose_name).capitalize()

    def display(self, customer: Customer) -> str:
        value = getattr(customer, self.name)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        display = getattr(customer, f"get_{self.name}_display", None)
        if display:
            return display()
        return "" if value is None else value


BUILTIN_FIELDS = [
    CustomerField("first_name", "Name"),
    CustomerField("last_name", "Name"),
    CustomerField("email", "Contact"),
    CustomerField("phone", "Contact"),
    CustomerField("birthday", "Personal"),
    CustomerField("gender", "Personal"),
    CustomerField("address_line1", "Address"),
    CustomerField("address_line2", "Address"),
    CustomerField("city", "Address"),
    CustomerField("region", "Address"),
    CustomerField("postal_code", "Address"),
    CustomerField("country", "Address"),
    CustomerField("emergency_contact_name", "Emergency contact"),
    CustomerField("emergency_contact_phone", "Emergency contact"),
    CustomerField("marketing_opt_in", "Preferences"),
    CustomerField("number", "Internal"),
]


def customer_fields() -> list[CustomerField]:
    """The fields of the staff portal channel, in display order."""
    return BUILTIN_FIELDS


def grouped(items, group_of) -> list[tuple[str, list]]:
    """[(group, [items…]), …] keeping the registry's order."""
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(group_of(item), []).append(item)
    return list(groups.items())
