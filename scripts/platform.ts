// The four roles (web, ingest, worker, appservice) in one Node process, for a small
// server: each process of its own starts with node's code, a V8 heap and the shared
// libraries (Prisma's, ioredis', BullMQ's) resident again, about 170 MB over four
// (npm run bench:footprint). `LIVEHOUSE_ONE_PROCESS=1 npm start` runs this; compose and
// the tests run the roles apart, which is how they scale out.
// The roles still meet only through PostgreSQL, Redis, HTTP and the media store, exactly
// as in their own processes; a SIGTERM stops all four through lib/shutdown.ts. What
// one process gives up: a role that crashes takes the others down with it (the
// supervisor starts all four again), and the roles' JavaScript shares one core (ffmpeg,
// Synapse and PostgreSQL still use the others).
import "../app/server.ts";
import "../ingest/main.ts";
import "../workers/main.ts";
import "../appservice/main.ts";
