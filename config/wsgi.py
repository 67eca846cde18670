import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import resolve

# Unnamed, the settings that refuse to run insecurely; make run and pytest name theirs.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()
# What every request uses lives as long as the worker: loaded now (resolving imports every view) and frozen
# out of the collector's sight, a full collection walks what requests make, not ~200 k objects (25–60 ms).
resolve("/")
gc.freeze()
