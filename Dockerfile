# The bot in HTTP mode: `docker compose up` (compose.yaml) or docs/kubernetes.yaml.
# Nothing secret is in the image: tokens, keys and DATABASE_URL come from the environment
# when the container starts, and the network file is mounted at /app/network.yaml.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The dependencies come from pyproject.toml, installed as the README installs them.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY server ./server
COPY storage ./storage
COPY sandbox ./sandbox
RUN pip install --no-cache-dir .
COPY app.py alembic.ini ./

# Not root: the bot needs to write nothing but its temporary files.
RUN useradd --create-home --uid 10001 handover
USER 10001

EXPOSE 3000
# Liveness only (the process answers): slim has no curl, Python's urllib does the same.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/livez', timeout=4)"]
CMD ["python", "app.py", "--http", "--port", "3000"]
