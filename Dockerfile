# Languru gateway image. Multi-stage: dependencies are installed in a build stage (nothing compiles:
# the SQLite driver, libsql, comes prebuilt from the npm registry); the runtime stage has only Node
# and the app, and runs as the unprivileged `node` user.
#   docker build -t languru .
#   docker run -p 8680:8680 -e OPENAI_API_KEY=sk-... languru
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The client is an npm workspace: its manifest must be there for `npm ci` to match the lock file.
COPY client/package.json ./client/
RUN npm ci --omit=dev --no-audit --no-fund

# The playground page at `/` is a Vite build, and the server is compiled to plain JavaScript
# (esbuild, dist/): both made here with the dev dependencies, copied as files.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY client/package.json ./client/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY client ./client
COPY shared ./shared
COPY server ./server
COPY cli ./cli
COPY scripts ./scripts
COPY playground ./playground
RUN npm run build:playground && node scripts/build-server.js --force

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8680 \
    LANGURU_DB=/data/languru.db
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY cli ./cli
COPY client ./client
COPY server ./server
COPY shared ./shared
COPY scripts ./scripts
COPY --from=build /app/playground/dist ./playground/dist
# After the sources: the build is newer than every file it was made of, so it counts as current.
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8680
# Liveness only (no upstream or store call); orchestrators use /ready for traffic.
HEALTHCHECK --interval=10s --timeout=2s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8680)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# `languru serve` is the server itself, running the compiled dist/ (no compiler at run time):
# SIGTERM drains, SIGHUP reloads.
ENTRYPOINT ["node", "bin/languru.js", "serve"]
