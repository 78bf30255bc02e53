# syntax=docker/dockerfile:1.7
# Flowra API / worker / migrator image. Build: docker build -t flowra/api:latest .
# The same image runs every process: `flowra-api` (default), `flowra-worker`, `flowra-migrator up`.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY requirements/constraints.txt requirements/constraints.txt
COPY src ./src
RUN python -m venv /opt/flowra \
 && /opt/flowra/bin/pip install --constraint requirements/constraints.txt .

FROM python:3.11-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system flowra \
 && useradd --system --gid flowra --home-dir /opt/flowra --shell /usr/sbin/nologin flowra \
 && mkdir -p /var/lib/flowra/uploads /etc/flowra \
 && chown -R flowra:flowra /var/lib/flowra
COPY --from=build /opt/flowra /opt/flowra
COPY configs/config.example.yaml /etc/flowra/config.example.yaml
ENV PATH=/opt/flowra/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    FLOWRA_UPLOADS_DIR=/var/lib/flowra/uploads
USER flowra
WORKDIR /opt/flowra
EXPOSE 8080 9091
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD curl -fsS http://localhost:8080/health || exit 1
CMD ["flowra-api"]
