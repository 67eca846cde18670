"""A date shown without a named format (a birthday on the profile, a date custom field) reads as every other
date in the app, "Nov 30, 1986", not as the English locale's "Nov. 30, 1986". Everything else stays the
locale's."""

DATE_FORMAT = "M j, Y"
