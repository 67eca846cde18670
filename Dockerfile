FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir . && rm -rf build *.egg-info
COPY . .
# collectstatic reads settings only; these values exist for the build and are never used at run time.
RUN DJANGO_SETTINGS_MODULE=config.settings.production \
    SECRET_KEY=build-time-only-collectstatic-key-0123456789-abcdefghijklmnop \
    ALLOWED_HOSTS=build DATABASE_URL=postgres://build@build/build REDIS_URL=redis://build:6379/0 \
    python manage.py collectstatic --noinput
RUN useradd --create-home roster && chown -R roster /app
USER roster
EXPOSE 8000
CMD ["gunicorn", "--config", "config/gunicorn.py", "config.wsgi"]
