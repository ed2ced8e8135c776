# The hub's services (registry, stream processors, sink) for a server deployment; see docker-compose.yml.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HUB_DATA_DIR=/var/lib/hub
WORKDIR /app
COPY pyproject.toml README.md ./
COPY hub ./hub
COPY schemas ./schemas
COPY registry ./registry
COPY producers ./producers
COPY streams ./streams
COPY sinks ./sinks
COPY monitor ./monitor
RUN pip install --no-cache-dir . && useradd --system --home /var/lib/hub hub && mkdir -p /var/lib/hub \
    && chown hub /var/lib/hub
USER hub
CMD ["hub", "--help"]
