# Cacherr: keeps the media Plex users are about to watch on the Unraid cache pool.
#
#   docker build --build-arg VERSION="$(scripts/version)" -t ghcr.io/cacherr/cacherr:latest .
#   docker run -d --name cacherr --stop-timeout 120 -p 5445:5445 \
#     -v /mnt/user/appdata/cacherr:/config -v /mnt/user0/media:/mediasource \
#     -v /mnt/cache/media:/mnt/cache/media -e CACHE_DESTINATION=/mnt/cache/media \
#     -e PLEX_URL=http://192.168.1.10:32400 -e PLEX_TOKEN=... -e PLEX_SOURCE=/data ghcr.io/cacherr/cacherr:latest
#
# See docs/unraid.md for the path set-up and docker-compose.yml for a commented example.
# Every builder handles this file the same way (Docker with or without BuildKit, podman, buildah): no
# syntax directive, no RUN --mount, no COPY --chmod. The base is a build argument: any Debian-based
# image with python3 (>= 3.11, with venv) and apt works, e.g. one built with mmdebstrap (scripts/image-check).

ARG BASE_IMAGE=python:3.11-slim-bookworm

# --- builder: a virtualenv with the locked dependencies (hashes checked) and Cacherr's wheel -------
FROM ${BASE_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY requirements.lock requirements-build.lock ./
# Every package and its hash come from the lock files (scripts/lock refreshes them).
RUN python3 -m venv /opt/build \
    && /opt/build/bin/pip install --require-hashes --no-deps -r requirements-build.lock \
    && python3 -m venv /opt/cacherr \
    && /opt/cacherr/bin/pip install --require-hashes --no-deps --only-binary=:all: -r requirements.lock
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /wheels . \
    && /opt/cacherr/bin/pip install --no-deps --no-index /wheels/cacherr-*.whl \
    && /opt/cacherr/bin/pip check \
    && /opt/cacherr/bin/python -m pip uninstall --yes pip setuptools \
    && find /opt/cacherr -name '__pycache__' -prune -exec rm -rf {} +

# --- runtime: the virtualenv, tini, tzdata, the entrypoint and the licence ------------------------
FROM ${BASE_IMAGE} AS runtime

# The version comes from pyproject.toml (scripts/version); the build fails when it differs from the wheel's.
ARG VERSION=""
LABEL org.opencontainers.image.title="Cacherr" \
      org.opencontainers.image.description="Keeps the media your Plex users are about to watch on the fast cache drive, crash-safely." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/cacherr/cacherr" \
      org.opencontainers.image.url="https://github.com/cacherr/cacherr" \
      org.opencontainers.image.documentation="https://github.com/cacherr/cacherr/blob/main/docs/unraid.md" \
      net.unraid.docker.webui="http://[IP]:[PORT:5445]/" \
      net.unraid.docker.icon="https://raw.githubusercontent.com/cacherr/cacherr/main/unraid/cacherr.png"

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

COPY --from=builder /opt/cacherr /opt/cacherr
COPY LICENSE /usr/share/doc/cacherr/LICENSE
COPY docker/entrypoint.sh /usr/local/bin/cacherr-entrypoint
ENV PATH=/opt/cacherr/bin:$PATH
RUN chmod 0755 /usr/local/bin/cacherr-entrypoint \
    && cacherr --version \
    && if [ -n "$VERSION" ] && [ "$(cacherr --version)" != "cacherr, version $VERSION" ]; then \
         echo "VERSION=$VERSION but the wheel says: $(cacherr --version)" >&2; exit 1; fi

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
# cacherr-healthcheck asks /health on 127.0.0.1 (or on WEB_HOST when it names one address) at WEB_PORT,
# 5445 when WEB_PORT is unset or blank, as Unraid templates pass it.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["cacherr-healthcheck"]

ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/cacherr-entrypoint"]
CMD ["cacherr", "serve"]
