# Holdpoint server and worker image. One image, two commands: `server` and `worker`.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOLDPOINT_HOST=0.0.0.0 HOLDPOINT_PORT=8080
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The dashboard's built UI, and `holdpoint` (doctor, health, audit export) inside the container.
COPY --from=build /app/ui/dist ./ui/dist
COPY --from=build /app/bin ./bin
# The archive volume mounts here; a named volume takes this directory's owner.
RUN mkdir -p /archive && chown node:node /archive
USER node
EXPOSE 8080
CMD ["node", "dist/ops/server.js"]
