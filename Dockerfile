# The API image for production-like runs against Neo4j (docker-compose.yml).

# GraphiQL's files (ORGCOVER_GRAPHIQL=true), from the npm registry at package-lock.json's pins.
FROM node:20-slim AS web
WORKDIR /web
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts

FROM python:3.11-slim

WORKDIR /srv/orgcover
COPY pyproject.toml README.md ./
COPY app/ app/
COPY schema/ schema/
COPY resolvers/ resolvers/
COPY graph/ graph/
COPY loaders/ loaders/
RUN pip install --no-cache-dir . && useradd --system orgcover
COPY --from=web /web/node_modules/react/umd/ node_modules/react/umd/
COPY --from=web /web/node_modules/react-dom/umd/ node_modules/react-dom/umd/
COPY --from=web /web/node_modules/graphiql/ node_modules/graphiql/
COPY --from=web /web/node_modules/@graphiql/plugin-explorer/dist/ node_modules/@graphiql/plugin-explorer/dist/
COPY --from=web /web/node_modules/echarts/dist/ node_modules/echarts/dist/
USER orgcover

ENV ORGCOVER_HOST=0.0.0.0 \
    ORGCOVER_PORT=8000 \
    ORGCOVER_NODE_MODULES=/srv/orgcover/node_modules
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --retries=5 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz').status != 200)"
CMD ["orgcover", "serve"]
