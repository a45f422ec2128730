import Link from "next/link";
import { notFound } from "next/navigation";
import { RedisUnavailableError, jobBoard, type JobBoard } from "../../../lib/adminJobs.ts";
import { NotFoundError } from "../../../lib/errors.ts";
import { formatDate } from "../../../lib/format.ts";
import { pageNumber, type JobSummary } from "../../../lib/jobSummary.ts";
import { JOB_STATES } from "../../../lib/queue.ts";
import { AutoRefresh } from "../../_components/AutoRefresh.tsx";
import { RemoveJobButton, RetryAllButton, RetryJobButton } from "../../_components/JobActions.tsx";
import { requireUser } from "../../_lib/auth.ts";

export const metadata = { title: "Jobs · Admin" };
export const dynamic = "force-dynamic";

// Table cells break anywhere (long ids); headers, queue names and counts must not.
const NOWRAP = { whiteSpace: "nowrap" } as const;

function jobLabel(j: JobSummary): string {
  return `${j.name}${j.kind && j.kind !== j.name ? ` (${j.kind})` : ""} #${j.id}`;
}

function Ids({ job }: { job: JobSummary }) {
  if (job.ids.length === 0) return <span className="muted">—</span>;
  return (
    <span className="small">
      {job.ids.map(([field, value]) => (
        <span key={field} style={{ display: "block" }}>
          <span className="muted">{field}</span> <code>{value}</code>
        </span>
      ))}
    </span>
  );
}

export default async function JobsPage({ searchParams }: { searchParams: Promise<{ page?: string }> }) {
  const user = await requireUser("/admin/jobs");
  const params = await searchParams;
  let board: JobBoard;
  try {
    board = await jobBoard(user.id, pageNumber(params.page, Number.MAX_SAFE_INTEGER));
  } catch (err) {
    if (err instanceof NotFoundError) notFound();
    if (err instanceof RedisUnavailableError) {
      return (
        <>
          <h1>Background jobs</h1>
          <p className="field-error" role="alert">
            {err.message} The queues live in Redis (REDIS_URL); check that it is running and reachable from the web role, then reload.
          </p>
        </>
      );
    }
    throw err;
  }
  const { queues, active, failed } = board;
  return (
    <>
      <p className="small"><Link href="/admin">← Instance</Link></p>
      <h1>Background jobs</h1>
      {active.length > 0 && <AutoRefresh seconds={5} />}
      <section className="card">
        <h2>Queues</h2>
        <p className="muted small">
          Workers take jobs from these queues (BullMQ in Redis). A job that fails is retried on its own with a backoff; it shows up under
          “Failed” only once every attempt has failed.
        </p>
        <table className="table">
          <thead>
            <tr style={NOWRAP}><th>Queue</th>{JOB_STATES.map((s) => <th key={s}>{s}</th>)}<th /></tr>
          </thead>
          <tbody>
            {queues.map((q) => (
              <tr key={q.name} data-testid="queue-row" data-queue={q.name}>
                <td>
                  <strong>{q.name}</strong> {q.paused && <span className="badge">paused</span>}
                  <span className="muted small" style={{ display: "block" }}>{q.purpose}</span>
                </td>
                {JOB_STATES.map((s) => <td key={s} data-state={s}>{q.counts[s]}</td>)}
                <td>{q.counts.failed > 0 && <RetryAllButton queue={q.name} failed={q.counts.failed} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section className="card">
        <h2>Running now</h2>
        {active.length === 0 ? (
          <p className="muted small" data-testid="no-active-jobs">Nothing is running right now. Live transcodes, replay exports and chat work show up here while a worker has them, with their progress.</p>
        ) : (
          <table className="table">
            <thead>
              <tr style={NOWRAP}><th>Queue</th><th>Job</th><th>Ids</th><th>Progress</th><th>Started</th><th>Attempt</th></tr>
            </thead>
            <tbody>
              {active.map((j) => (
                <tr key={`${j.queue}/${j.id}`} data-testid="active-job">
                  <td style={NOWRAP}>{j.queue}</td>
                  <td>{jobLabel(j)}</td>
                  <td><Ids job={j} /></td>
                  <td>
                    {j.progress === null ? (
                      <span className="muted">—</span>
                    ) : (
                      <>
                        <progress max={100} value={j.progress} aria-label={`Progress of ${jobLabel(j)}`} /> {j.progress}%
                      </>
                    )}
                  </td>
                  <td>{j.startedAt ? formatDate(new Date(j.startedAt)) : "—"}</td>
                  <td>{j.attemptsMade + 1} of {j.attempts}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="card">
        <h2>Failed{failed.total > 0 ? ` (${failed.total})` : ""}</h2>
        {failed.total === 0 ? (
          <p className="muted small" data-testid="no-failed-jobs">
            No failed jobs. When a job runs out of attempts (an export whose media is gone, a homeserver that stayed unreachable), it is listed here with the
            reason, and you can run it again once the cause is fixed, or remove it.
          </p>
        ) : (
          <>
            <p className="muted small">Newest first. Retry runs the job again with a fresh set of attempts; Remove deletes it and its failure.</p>
            <table className="table">
              <thead>
                <tr style={NOWRAP}><th>Queue</th><th>Job</th><th>Ids</th><th>Reason</th><th>Attempts</th><th>Failed</th><th /><th /></tr>
              </thead>
              <tbody>
                {failed.jobs.map((j) => (
                  <tr key={`${j.queue}/${j.id}`} data-testid="failed-job" data-job-id={j.id} data-queue={j.queue}>
                    <td style={NOWRAP}>{j.queue}</td>
                    <td>{jobLabel(j)}</td>
                    <td><Ids job={j} /></td>
                    <td className="small">{j.reason ?? <span className="muted">(no reason given)</span>}</td>
                    <td style={NOWRAP}>{j.attemptsMade} of {j.attempts}</td>
                    <td>{j.finishedAt ? formatDate(new Date(j.finishedAt)) : "—"}</td>
                    <td><RetryJobButton queue={j.queue} jobId={j.id} label={`${j.queue} ${jobLabel(j)}`} /></td>
                    <td><RemoveJobButton queue={j.queue} jobId={j.id} label={`${j.queue} ${jobLabel(j)}`} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
            {failed.pages > 1 && (
              <nav className="row small" aria-label="Failed jobs pages">
                {failed.page > 1 && <Link href={`/admin/jobs?page=${failed.page - 1}`}>← Newer</Link>}
                <span>Page {failed.page} of {failed.pages}</span>
                {failed.page < failed.pages && <Link href={`/admin/jobs?page=${failed.page + 1}`}>Older →</Link>}
              </nav>
            )}
          </>
        )}
      </section>
    </>
  );
}
