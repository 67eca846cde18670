"""The portal's own sections: My details and My family (other apps add theirs, e.g. billing's payments)."""

from portal.navigation import PortalSection, register_portal_section

register_portal_section(PortalSection("profile", "My details", "portal:account", 0))
register_portal_section(PortalSection("family", "My family", "portal:family", 10))
