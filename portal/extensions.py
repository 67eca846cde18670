"""The portal's own sections: My details and My family (other apps add theirs, e.g. billing's payments)."""

from customers.extend import PersonErasure, register
from portal import privacy
from portal.navigation import PortalSection, register_portal_section

register_portal_section(PortalSection("profile", "My details", "portal:account", 0))
register_portal_section(PortalSection("family", "My family", "portal:family", 10))
register(PersonErasure("signups", "Online sign-ups", privacy.signups_erase, order=81))
