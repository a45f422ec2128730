import Link from "next/link";
import { db } from "../lib/db.ts";
import { currentUser } from "./_lib/auth.ts";

export const dynamic = "force-dynamic";

export default async function Home() {
  const [user, channels] = await Promise.all([
    currentUser(),
    db().channel.findMany({
      orderBy: { createdAt: "desc" },
      take: 24,
      select: { slug: true, title: true, owner: { select: { displayName: true } } },
    }),
  ]);
  return (
    <>
      <section className="hero">
        <h1>Live streams, with chat you can join from anywhere.</h1>
        <p className="muted">
          Stream from OBS, watch in any browser, chat here or from any Matrix client. Hosted by the people who run this server.
        </p>
        <div className="row">
          {user ? (
            <Link href="/dashboard" className="btn btn-primary">Go to your dashboard</Link>
          ) : (
            <>
              <Link href="/signup" className="btn btn-primary">Start streaming</Link>
              <Link href="/login" className="btn">Log in</Link>
            </>
          )}
        </div>
      </section>
      <h2>Channels</h2>
      {channels.length === 0 ? (
        <div className="empty">
          <h2>No channels yet</h2>
          <p>Be the first: sign up, create a channel and point OBS at it.</p>
        </div>
      ) : (
        <div className="grid">
          {channels.map((c) => (
            <Link key={c.slug} href={`/c/${c.slug}`} className="card" style={{ color: "inherit" }}>
              <div className="row" style={{ justifyContent: "space-between" }}>
                <strong className="title-text">{c.title}</strong>
                <span className="badge badge-offline">Offline</span>
              </div>
              <div className="muted small">by {c.owner.displayName}</div>
            </Link>
          ))}
        </div>
      )}
    </>
  );
}
