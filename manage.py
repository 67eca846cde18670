#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    # Unnamed, the settings that refuse to run insecurely; make run and pytest name theirs.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
