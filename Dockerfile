# syntax=docker/dockerfile:1
# Tastemaker's image: the API (`serve`), the consumers (`worker NAME`) and the batch jobs (`train`, `weekly`,
# `daily`, `wrapped`) all run from it; the Kubernetes manifests in deploy/kubernetes/ pick one by `args`.
# Build: docker build -t tastemaker:0.1.0 .   Walk-through: docs/deploy.md.

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: the project's wheel and every dependency's, so the runtime stage needs no compiler or index
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
# The scale-out backends (Kafka log, PostgreSQL store) and s3 for an s3:// archive_url; Cassandra is
# one more extra: --build-arg EXTRAS=postgresql,kafka,s3,cassandra.
ARG EXTRAS=postgresql,kafka,s3
RUN python -m pip wheel --wheel-dir /wheels ".[${EXTRAS}]"

# --- runtime: the wheels installed from the builder's folder, nothing else
FROM ${PYTHON_IMAGE} AS runtime
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    TASTEMAKER_DATA_DIR=/data TASTEMAKER_PORT=8000 HOME=/tmp
# Exactly the versions the builder resolved: every wheel in its folder, no index consulted.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python -m pip install --no-index /wheels/*.whl
RUN groupadd --system --gid 10001 tastemaker \
    && useradd --system --uid 10001 --gid tastemaker --no-create-home --shell /usr/sbin/nologin tastemaker \
    && mkdir /data && chown tastemaker:tastemaker /data
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
# 503 when a consumer in this process is failing; a worker container has no HTTP port: run it with
# --no-healthcheck (Kubernetes ignores HEALTHCHECK and uses the probes in the manifests).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['TASTEMAKER_PORT'] + '/healthz', timeout=4)"]
# SIGTERM (docker stop, Kubernetes) is the graceful stop: requests in flight and batches in hand finish.
STOPSIGNAL SIGTERM
ENTRYPOINT ["tastemaker"]
CMD ["serve", "--host", "0.0.0.0"]
