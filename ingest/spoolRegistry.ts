// The spools this ingest holds: the live ones in memory, and those an earlier
// ingest process left on disk (recovered on first read, finished). A janitor
// removes each part's spool once its media is listed, and trims long ones.
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { config } from "../lib/config.ts";
import { db } from "../lib/db.ts";
import { markFinishedAfterRestart } from "../lib/ingestStats.ts";
import { logger } from "../lib/log.ts";
import { REDIS_KEY } from "../lib/redisKeys.ts";
import { redis } from "../lib/redis.ts";
import { isUuid } from "../lib/channels.ts";
import { PartSpool, type SpoolOptions } from "./spool.ts";

const log = logger("ingest");
/** Spools of sessions that ended this long ago go, whatever their transcode did. */
const ABANDONED_AFTER_MS = 24 * 3600 * 1000;

export class SpoolRegistry {
  private open = new Map<string, PartSpool>();
  private recovering = new Map<string, Promise<PartSpool | null>>();

  constructor(
    readonly root: string,
    private readonly opts: SpoolOptions = {},
  ) {}

  create(partId: string): PartSpool {
    const spool = PartSpool.create(this.root, partId, this.opts);
    this.open.set(partId, spool);
    return spool;
  }

  async get(partId: string): Promise<PartSpool | null> {
    const live = this.open.get(partId);
    if (live) return live;
    let pending = this.recovering.get(partId);
    if (!pending) {
      pending = PartSpool.recover(this.root, partId).then(async (spool) => {
        // Recovered means its publisher is gone (this process never had it): say so
        // before serving it, so the reader knows where the source ends.
        if (spool) await markFinishedAfterRestart(partId, spool.lastDts).catch((err) => log.warn("could not mark a recovered spool finished", { part: partId, error: String(err).slice(0, 200) }));
        return spool;
      });
      this.recovering.set(partId, pending);
    }
    const spool = await pending;
    this.recovering.delete(partId);
    if (spool && !this.open.has(partId)) this.open.set(partId, spool);
    return this.open.get(partId) ?? null;
  }

  /** One janitor pass: trim listed media, enforce the size limit, remove spools no longer needed. */
  async sweep(isPublishing: (partId: string) => boolean): Promise<void> {
    const names = (await readdir(this.root).catch(() => [] as string[])).filter(isUuid);
    const maxBytes = config.ingestSpoolMaxMb * 1024 * 1024;
    for (const partId of names) {
      try {
        const part = await db().livePart.findUnique({
          where: { id: partId },
          select: { transcodeDoneAt: true, session: { select: { id: true, endedAt: true } } },
        });
        const abandoned = part?.session.endedAt && Date.now() - part.session.endedAt.getTime() > ABANDONED_AFTER_MS;
        if (!isPublishing(partId) && (!part || part.transcodeDoneAt || abandoned)) {
          const spool = this.open.get(partId) ?? (await PartSpool.recover(this.root, partId));
          this.open.delete(partId);
          if (spool) await spool.remove();
          else await rm(path.join(this.root, partId), { recursive: true, force: true });
          continue;
        }
        const spool = this.open.get(partId);
        if (!spool) continue;
        const listed = await redis().get(REDIS_KEY.spoolListedUntil(partId));
        if (listed !== null) await spool.trimBefore(Number(listed));
        const lost = await spool.trimToLimit(maxBytes);
        if (lost > 0) {
          log.error("spool over INGEST_SPOOL_MAX_MB: untranscoded media dropped (transcoding is far behind)", {
            part: partId,
            session: part?.session.id,
            lostSeconds: Math.round(lost / 100) / 10,
          });
        }
      } catch (err) {
        log.warn("spool janitor: could not check a spool", { part: partId, error: String(err).slice(0, 200) });
      }
    }
  }
}
