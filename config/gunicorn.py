"""gunicorn settings for every deployment: `gunicorn -c config/gunicorn.py config.wsgi` (Dockerfile, and
tests/test_security.py serves the app with them). Options given on the command line win."""

import os

bind = "0.0.0.0:8000"
# Pages are short CPU work around short queries: 2 × cores + 1 sync workers keep the cores busy while some
# wait on PostgreSQL (5 on 2 cores, one database connection each: README "Load"). WEB_CONCURRENCY overrides.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
accesslog = "-"
# What gunicorn reads before Django sees a request: a long roster URL (filters) fits, a header flood does not.
# Bodies are bounded by REQUEST_MAX_BYTES and, first, by the proxy (README "Settings").
limit_request_line = 8190
limit_request_fields = 60
limit_request_field_size = 8190
timeout = 60
