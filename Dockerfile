# One image for every role (web, worker, beat, flower, loop mode, one-shot commands); compose.yaml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LOG_FORMAT=json

WORKDIR /app
COPY pyproject.toml README.md celeryconfig.py Procfile ./
COPY metasync ./metasync
COPY tasks ./tasks
COPY webhooks ./webhooks
RUN pip install ".[ops]" \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin metasync

USER metasync
EXPOSE 8000
CMD ["metasync", "--help"]
