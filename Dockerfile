# The API image for production-like runs against Neo4j (docker-compose.yml).
FROM python:3.11-slim

WORKDIR /srv/orgcover
COPY pyproject.toml README.md ./
COPY app/ app/
COPY schema/ schema/
COPY resolvers/ resolvers/
COPY graph/ graph/
COPY loaders/ loaders/
RUN pip install --no-cache-dir . && useradd --system orgcover
USER orgcover

ENV ORGCOVER_HOST=0.0.0.0 \
    ORGCOVER_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --retries=5 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz').status != 200)"
CMD ["orgcover", "serve"]
