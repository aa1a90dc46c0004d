# Hỏi đáp Dân vận — Telegram bot image.
#   docker build -t danvan .
#   docker run -d --name danvan -e TELEGRAM_BOT_TOKEN=... \
#     -v $PWD/config:/config -v danvan-data:/data danvan
# /config/config.yaml is the configuration (see config.example.yaml); /data holds the index and query log.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DANVAN_DATA=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY scripts ./scripts
# .doc converters, Tesseract OCR (Vietnamese), poppler; DANVAN_NO_LIBREOFFICE=1 keeps the image ~250 MB lighter
# (antiword and catdoc read .doc files on their own; build with --build-arg DANVAN_NO_LIBREOFFICE=0 to add it).
ARG DANVAN_NO_LIBREOFFICE=1
RUN DANVAN_NO_LIBREOFFICE=$DANVAN_NO_LIBREOFFICE bash scripts/setup-system && rm -rf /var/lib/apt/lists/*
COPY indexer ./indexer
COPY bot ./bot
COPY knowledge ./knowledge
# Editable install: the bundled knowledge/ folder stays the default knowledge folder (/app/knowledge).
RUN pip install -e . \
    && useradd --create-home --uid 10001 danvan \
    && mkdir -p /data /config \
    && chown -R danvan /data /app/knowledge

USER danvan
VOLUME ["/data"]
# Only used in webhook mode (webhook.port in the config).
EXPOSE 8443
CMD ["danvan", "run", "--config", "/config/config.yaml"]
