# One image for the orchestrator and every simulator; docker-compose.sim.yml picks the command per service.
# Node.js 26, the Active LTS line (GPO also runs on Node 20 and later).

# The operator console and the load report's chart code are built with the development dependencies, apart.
FROM node:26-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build

FROM node:26-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    GPO_HOST=0.0.0.0 \
    GPO_LOG_LEVEL=info \
    GPO_DATA_DIR=/data
COPY package.json package-lock.json ./
# tsx is a runtime dependency (no build step for the server code); dev dependencies stay out of the image.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
COPY --from=assets /app/ui/dist ui/dist
COPY --from=assets /app/loadtests/report/dist loadtests/report/dist
# The code stays root's and read-only to the server; the one place it writes is the data volume, owned by node.
RUN ln -s /app/bin/gpo /usr/local/bin/gpo && mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 4000 4010 4020 4021 4030 4040 4050 4051
# The default command's orchestrator; each compose service checks its own port (bin/gpo-health URL).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=6 CMD ["node", "/app/bin/gpo-health"]
ENTRYPOINT ["gpo"]
CMD ["up"]
