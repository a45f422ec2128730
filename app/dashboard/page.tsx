import Link from "next/link";
import { listChannelsWithKeys } from "../../lib/channels.ts";
import { CopyField } from "../_components/CopyField.tsx";
import { KeyManager } from "../_components/KeyManager.tsx";
import { LivePanel } from "../_components/LivePanel.tsx";
import { ReplaysPanel } from "../_components/ReplaysPanel.tsx";
import { takeLoginNotice } from "../../lib/accounts.ts";
import { requireUser } from "../_lib/auth.ts";
import { rtmpServerUrl, rtmpsServerUrl } from "../_lib/urls.ts";

export const metadata = { title: "Dashboard" };
export const dynamic = "force-dynamic";

export default async function Dashboard({ searchParams }: { searchParams: Promise<{ deleted?: string }> }) {
  const user = await requireUser("/dashboard");
  const [channels, rtmpUrl, rtmpsUrl, params, loginNotice] = await Promise.all([
    listChannelsWithKeys(user.id),
    rtmpServerUrl(),
    rtmpsServerUrl(),
    searchParams,
    takeLoginNotice(user.id),
  ]);
  return (
    <>
      <div className="card-head">
        <div>
          <h1>Your channels</h1>
          <p className="muted" style={{ margin: 0 }}>
            Signed in as {user.email}
            {user.isAdmin ? " · instance admin" : ""}
          </p>
        </div>
        <div className="row">
          <Link href="/dashboard/account" className="btn">Account</Link>
          <Link href="/dashboard/channels/new" className="btn btn-primary">New channel</Link>
        </div>
      </div>
      {loginNotice && (
        <div className="alert alert-warn" role="alert" data-testid="login-notice" style={{ marginBottom: "1rem" }}>
          {loginNotice.failedAttempts === 1 ? "1 failed sign-in attempt" : `${loginNotice.failedAttempts} failed sign-in attempts`} on your
          account since you last logged in (the latest {new Date(loginNotice.lastAt).toUTCString()}). If that was not you, someone is
          guessing your password: keep it long and unique.
        </div>
      )}
      {params.deleted && (
        <div className="alert alert-ok" role="status" style={{ marginBottom: "1rem" }}>
          Channel deleted.
        </div>
      )}
      {channels.length === 0 ? (
        <div className="empty" data-testid="no-channels">
          <h2>You have no channels yet</h2>
          <p>A channel is your stage: a page at /c/your-name with its own player, chat and stream keys.</p>
          <Link href="/dashboard/channels/new" className="btn btn-primary">Create your first channel</Link>
        </div>
      ) : (
        channels.map((c) => (
          <section key={c.id} id={`channel-${c.id}`} className="card" data-testid="channel-card">
            <div className="card-head">
              <div className="grow">
                <h2 className="title-text">{c.title}</h2>
                <Link href={`/c/${c.slug}`} className="small">/c/{c.slug}</Link>
              </div>
              <div className="row">
                <Link href={`/dashboard/channels/${c.id}`} className="btn btn-small">Settings</Link>
              </div>
            </div>
            <div className="stack">
              <LivePanel channelId={c.id} />
              <div>
                <h3>Stream from OBS</h3>
                <p className="muted small" style={{ marginBottom: ".5rem" }}>
                  In OBS: Settings → Stream → Service “Custom…”, paste the server below and one of your stream keys.
                </p>
                <CopyField value={rtmpUrl} label="RTMP server URL" name="rtmp-url" />
                {rtmpsUrl && (
                  <>
                    <p className="muted small" style={{ margin: ".75rem 0 .5rem" }}>
                      Or encrypted (RTMPS), which OBS accepts as well. If this server’s certificate is self-signed, the encoder
                      has to be set to accept it (for OBS: trust it on the computer that streams).
                    </p>
                    <CopyField value={rtmpsUrl} label="RTMPS server URL (TLS)" name="rtmps-url" />
                  </>
                )}
              </div>
              <div>
                <h3>Stream keys</h3>
                <KeyManager
                  channelId={c.id}
                  initialKeys={c.streamKeys.map((k) => ({
                    id: k.id,
                    label: k.label,
                    hint: k.hint,
                    createdAt: k.createdAt.toISOString(),
                    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
                  }))}
                />
              </div>
              <div>
                <h3>Replays</h3>
                {c.keepReplays ? (
                  <ReplaysPanel channelId={c.id} slug={c.slug} />
                ) : (
                  <p className="small muted">Replays are off for this channel (Settings).</p>
                )}
              </div>
            </div>
          </section>
        ))
      )}
    </>
  );
}
