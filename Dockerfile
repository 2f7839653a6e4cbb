# syntax=docker/dockerfile:1
# Hearth in a container. docs/deploy.md explains the config, the volume, the
# health check and how to stop it cleanly.
#
#   docker build -t hearth .
#   docker run -d --name hearth -v hearth-data:/data \
#     -v "$PWD/config.yaml:/config/config.yaml:ro" -e DISCORD_TOKEN hearth

# A pinned patch release, upgraded on purpose (append @sha256:… to pin the exact bytes).
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

# --- build: Hearth and its platform libraries in a virtual environment -------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/hearth
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY adapters/ adapters/
RUN /opt/hearth/bin/pip install ".[charts,discord,matrix,postgres]"

# --- run: only the virtual environment, as an unprivileged user --------------
FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 hearth \
    && useradd --system --uid 10001 --gid hearth --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin hearth \
    && mkdir -p /data /config \
    && chown hearth:hearth /data
COPY --from=build /opt/hearth /opt/hearth
ENV PATH=/opt/hearth/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLCONFIGDIR=/tmp/matplotlib
WORKDIR /data
# numeric, so Kubernetes' runAsNonRoot can verify it
USER 10001:10001
# The database, the secret key and the Matrix store. Back the key up apart
# from the database (docs/deploy.md says why).
VOLUME ["/data"]
# /healthz and /metrics, when the config says http.enabled: true
EXPOSE 8080
# Asks the running bot's /healthz over loopback, so the config needs
# http.enabled: true (host 127.0.0.1 is enough for this check).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["hearth", "health", "--config", "/config/config.yaml"]
# Hearth stops cleanly on SIGTERM: intake stops, the outbox is flushed for up
# to 8 s, everything is closed. `docker stop` waits 10 s before SIGKILL.
STOPSIGNAL SIGTERM
ENTRYPOINT ["hearth"]
CMD ["run", "--config", "/config/config.yaml"]
