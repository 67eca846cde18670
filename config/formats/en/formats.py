"""Dates and times shown without a named format read as every other in the app: "Nov 30, 1986" and "22:30",
not the English locale's "Nov. 30, 1986" and "10:30 p.m."."""

DATE_FORMAT = "M j, Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "M j, Y H:i"
