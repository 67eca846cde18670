"""What bookings add to the rest of Roster, registered through the core's extension points."""
