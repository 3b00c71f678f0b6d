# One image for both processes: the API (default command) and the bot (`bun run bot`).
FROM oven/bun:1.4.5

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so source edits reuse this layer.
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile --production

COPY tsconfig.json ./
COPY drizzle ./drizzle
COPY src ./src

# Without DATABASE_URL the API keeps PGlite under .data/; the unprivileged user must own it.
RUN mkdir -p /app/.data && chown bun:bun /app/.data
USER bun

EXPOSE 8000
CMD ["bun", "run", "start"]
