# The Stripe emulator of compose's `localstripe` service, for production-like local use; production never runs
# it. localstripe is pinned to the version config/stripe_emulator/ extends (pyproject.toml, extra "local").
FROM python:3.13-slim AS stripe-emulator
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN pip install --no-cache-dir "localstripe==1.15.10" && mkdir /data && chown nobody /data
WORKDIR /emulator
COPY config/stripe_emulator/*.py stripe_emulator/
USER nobody
EXPOSE 8420
CMD ["python", "-m", "stripe_emulator", "--host", "0.0.0.0", "--port", "8420", "--data", "/data/localstripe.pickle"]

# The app (the default target).
FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir . && rm -rf build *.egg-info
COPY . .
# collectstatic reads settings only; these values exist for the build and are never used at run time.
RUN DJANGO_SETTINGS_MODULE=config.settings.production \
    SECRET_KEY=build-time-only-collectstatic-key-0123456789-abcdefghijklmnop \
    PAYMENTS_ENCRYPTION_KEY=build-time-only-collectstatic-payments-key-0123456789-abcdefgh \
    ALLOWED_HOSTS=build DATABASE_URL=postgres://build@build/build REDIS_URL=redis://build:6379/0 \
    python manage.py collectstatic --noinput
RUN useradd --create-home roster && chown -R roster /app
USER roster
EXPOSE 8000
CMD ["gunicorn", "--config", "config/gunicorn.py", "config.wsgi"]
