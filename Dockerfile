# syntax=docker/dockerfile:1
# The wsgate image: `wsgate controller` (the default command) or `wsgate standalone`.
#
#   docker build -t ghcr.io/wsgate/wsgate:0.1.0 .
#   docker run --rm ghcr.io/wsgate/wsgate:0.1.0 --help
#
# Three stages: build (TypeScript with the dev dependencies), deps (production dependencies
# only) and the runtime, which holds just Node.js, node_modules, dist/src, crds/ and
# package.json and runs as an unprivileged user with no shell tools needed.

# Node.js 24, the version package.json pins (the `node` dev dependency).
ARG NODE_VERSION=24.21.0

# --- build --------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-slim AS build
# Optional: a CA bundle for a TLS-inspecting proxy, bind-mounted for the build only (never copied
# into an image), e.g. buildah bud -v /etc/ssl/certs/ca-certificates.crt:/run/ca.crt:ro
# --build-arg NODE_EXTRA_CA_CERTS=/run/ca.crt. Unset: Node.js's own CA store.
ARG NODE_EXTRA_CA_CERTS
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the only install script is the `node` dev package's binary download, which
# the image does not need (it has Node.js already).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY crds/ crds/
COPY src/ src/
# Only src/ is copied, so only src/ is compiled (to dist/src/).
RUN node node_modules/typescript/bin/tsc -p tsconfig.json \
 && test -f dist/src/cli.js

# --- production dependencies --------------------------------------------------------------------
FROM node:${NODE_VERSION}-slim AS deps
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && npm cache clean --force

# --- runtime ------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-slim
# No package managers at run time; a fixed non-root user (the chart's runAsUser/runAsGroup).
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
 && groupadd --system --gid 10001 wsgate \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin wsgate
ENV NODE_ENV=production
WORKDIR /app
# package.json: "type": "module" for dist/. crds/: the CRD is loaded at run time for route
# validation (src/api/crd.ts finds it by walking up from dist/src/api/).
COPY --chown=root:root package.json ./
COPY --chown=root:root crds/ crds/
COPY --from=deps --chown=root:root /app/node_modules/ node_modules/
COPY --from=build --chown=root:root /src/dist/src/ dist/src/
USER 10001:10001
# 8080: the proxy (--listen); 9090: /healthz, /readyz, /metrics, /debug/routes (--admin-listen).
EXPOSE 8080 9090
ENTRYPOINT ["node", "/app/dist/src/cli.js"]
CMD ["controller"]
