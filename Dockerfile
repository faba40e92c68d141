# syntax=docker/dockerfile:1
# Portail Famille, production image: one image for web (gunicorn), worker and beat (celery).
# Build: docker compose build   (see README.md, "Production deployment")

# --- 1. front-end assets, exactly as package-lock.json pins them (no CDN) -----------------
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# --- 2. Python dependencies, exactly as requirements.lock pins them ------------------------
FROM python:3.11-slim-bookworm AS python-deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --upgrade pip \
    && /opt/venv/bin/pip install -r /tmp/requirements.lock

# --- 3. the runtime image ------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime

# WeasyPrint (invoice PDFs) needs Pango, HarfBuzz and fonts; python-magic needs libmagic.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        fontconfig \
        fonts-dejavu-core \
        fonts-liberation2 \
        libmagic1 \
    && rm -rf /var/lib/apt/lists/*

# The app user cannot write to its home (/app): caches (fontconfig) go to /tmp.
RUN groupadd --system --gid 1000 portail \
    && useradd --system --uid 1000 --gid portail --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin portail

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    XDG_CACHE_HOME=/tmp/.cache \
    DJANGO_SETTINGS_MODULE=portail.settings.production \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    PORTAIL_PRIVATE_MEDIA_ROOT=/data/private

COPY --from=python-deps /opt/venv /opt/venv
WORKDIR /app
# node_modules stays in the image: STATICFILES_DIRS names it, and Django's checks want it there.
COPY --from=assets /build/node_modules /app/node_modules
COPY . /app

# Static files are collected (hashed and compressed for whitenoise) once, here. The values
# below exist only for this build step: production settings refuse to load without them,
# and nothing here connects to the database or to Redis.
RUN DJANGO_SECRET_KEY=collectstatic-build-only-not-a-secret-0123456789abcdefghijklmnop \
    DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build:build@localhost:5432/build \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput --verbosity 0 \
    && python -m compileall -q -x node_modules /app

# Uploaded family documents: never in the image, never served as static files.
RUN mkdir -p /data/private && chown -R portail:portail /data/private
VOLUME ["/data/private"]

USER portail:portail
EXPOSE 8000

# docker-compose.yml gives each service its command and health check (web: docker/healthcheck.py);
# this default serves the web.
CMD ["gunicorn", "portail.wsgi:application", "--config", "/app/docker/gunicorn.conf.py"]
