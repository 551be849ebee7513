# syntax=docker/dockerfile:1
# Cacherr: keeps the media Plex users are about to watch on the Unraid cache pool.
#
#   docker build -t cacherr .
#   docker run -d --name cacherr -p 5445:5445 \
#     -v /mnt/user/appdata/cacherr:/config -v /mnt/user0/media:/mediasource \
#     -v /mnt/cache/media:/mnt/cache/media -e CACHE_DESTINATION=/mnt/cache/media \
#     -e PLEX_URL=http://192.168.1.10:32400 -e PLEX_TOKEN=... -e PLEX_SOURCE=/data cacherr
#
# See docs/unraid.md for the path set-up and docker-compose.yml for a commented example.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: build Cacherr's wheel and the wheels of its dependencies ------------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# --- runtime: only the wheels, tini, tzdata and the entrypoint ------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="Cacherr" \
      org.opencontainers.image.description="Keeps the media your Plex users are about to watch on the fast cache drive, crash-safely." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.documentation="docs/unraid.md" \
      net.unraid.docker.webui="http://[IP]:[PORT:5445]/"

# tini is PID 1: it forwards docker's SIGTERM to Cacherr and reaps children.
# setpriv (util-linux) drops root in the entrypoint; tzdata gives TZ its zones.
# Debian's stable release is the pin (DL3008): its security updates should reach the image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini tzdata \
    && rm -rf /var/lib/apt/lists/*

# The default user; the entrypoint moves it to PUID:PGID at every start.
RUN groupadd -o -g 100 cacherr \
    && useradd -o -M -N -u 99 -g 100 -d /config -s /usr/sbin/nologin cacherr

# --no-index: only the wheels built above, so the versions are pinned by the builder stage (DL3013).
# hadolint ignore=DL3013
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels cacherr \
    && cacherr --version

COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/cacherr-entrypoint

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CACHERR_IN_DOCKER=1 \
    CONFIG_DIR=/config \
    PUID=99 \
    PGID=100 \
    UMASK=000 \
    TZ=Etc/UTC

VOLUME ["/config"]
EXPOSE 5445
STOPSIGNAL SIGTERM
# WEB_PORT is read from the environment; when it is only set from the dashboard, the check uses 5445.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('WEB_PORT', '5445'), timeout=8)"]

ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/cacherr-entrypoint"]
CMD ["cacherr", "serve"]
