from django.core.management.base import BaseCommand, CommandError

from demo.loader import DemoRefused, demo_load, login_lines


class Command(BaseCommand):
    help = "Load the demo organizations, their staff and customers (--reset replaces them)."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Delete the demo data first, then load it.")

    def handle(self, *args, reset, **options):
        try:
            demo_load(reset=reset)
        except DemoRefused as refusal:
            raise CommandError(str(refusal)) from refusal
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins:"))
        self.stdout.write("\n".join(login_lines()))
