# The worker's image; the starter runs from it too (see docker-compose.yml). Not built in CI: the
# project's machines have no Docker engine. Node 24 LTS, as package.json's "engines" says.
FROM node:24-slim
WORKDIR /app
# Runtime dependencies only (tsx runs the TypeScript sources; the worker bundles its workflows itself).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY contract ./contract
USER node
ENV NODE_ENV=production
CMD ["npx", "tsx", "src/worker.ts"]
