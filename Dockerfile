# One image for the orchestrator and every simulator; docker-compose.sim.yml picks the command per service.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    GPO_HOST=0.0.0.0 \
    GPO_LOG_LEVEL=info
COPY package.json package-lock.json ./
# tsx and typescript are runtime dependencies (no build step); dev dependencies stay out of the image.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
RUN chmod +x bin/gpo && ln -s /app/bin/gpo /usr/local/bin/gpo && mkdir -p /data && chown node:node /data
USER node
EXPOSE 4000 4010 4020 4021 4030 4040 4050 4051
ENTRYPOINT ["gpo"]
CMD ["up"]
