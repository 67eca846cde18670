import os

from django.core.wsgi import get_wsgi_application

# Unnamed, the settings that refuse to run insecurely; make run and pytest name theirs.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()
