# One image for every Livehouse role; docker-compose.yml picks the command.
FROM node:22-bookworm-slim AS base
WORKDIR /srv/livehouse
ENV NEXT_TELEMETRY_DISABLED=1

FROM base AS build
COPY package.json package-lock.json ./
# package.json overrides the bot-sdk's native E2EE module with this local stand-in.
COPY vendor ./vendor
RUN npm ci --no-audit --no-fund
COPY . .
# Compiled roles (dist/*.mjs): production runs plain JavaScript, no TypeScript loader.
RUN npx prisma generate && NODE_ENV=production npx next build && node --import tsx scripts/compileRoles.ts

FROM base AS runtime
# ffmpeg for the workers (the same image runs every role).
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production WEB_HOST=0.0.0.0 WEB_PORT=3000 MEDIA_DIR=/srv/media SCRATCH_DIR=/srv/scratch
COPY --from=build --chown=node:node /srv/livehouse /srv/livehouse
RUN mkdir -p /srv/media /srv/spool /srv/scratch && chown node:node /srv/media /srv/spool /srv/scratch
USER node
EXPOSE 3000 1935 1936 1937 9009
CMD ["node", "dist/web.mjs"]
