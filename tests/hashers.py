"""The test settings' password hasher."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 as in production, at its lowest cost: tests sign up and log in thousands of times, and the
    production cost (100 MiB, 8 lanes) takes about half a second of both cores a hash."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1
