"use client";
import { useActionState } from "react";
import { createChannelAction, deleteChannelAction, updateChannelAction, type FormState } from "../actions.ts";
import { Field, FormError } from "./Field.tsx";
import { LIMITS } from "../../lib/limits.ts";

export interface ChannelValues {
  id?: string;
  slug: string;
  title: string;
  description: string;
  reconnectGraceMinutes: string;
  ladder: string;
  keepReplays: boolean;
  webrtcEnabled: boolean;
  replayRetentionDays: string;
}

const ticked = (v: unknown) => v === undefined || v === true || v === "on";

/** The instance's retention default as the form explains it. */
export interface RetentionDefault {
  days: number;
}

export function ChannelForm({ channel, defaultLadder, retention }: { channel?: ChannelValues; defaultLadder: { ladder: string; how: string }; retention: RetentionDefault }) {
  const editing = Boolean(channel?.id);
  const [state, action, pending] = useActionState<FormState, FormData>(
    editing ? updateChannelAction : createChannelAction,
    {},
  );
  const e = state.errors ?? {};
  const v = { ...channel, ...state.values };
  return (
    <form className="form" action={action} noValidate>
      <FormError message={e[""]} />
      {state.ok && (
        <div className="alert alert-ok" role="status">
          Channel saved.
        </div>
      )}
      {editing && <input type="hidden" name="channelId" value={channel!.id} />}
      <Field name="title" label="Title" required maxLength={LIMITS.titleMax} defaultValue={v.title} error={e.title} />
      <Field name="slug" label="URL name" required maxLength={LIMITS.slugMax} defaultValue={v.slug} error={e.slug}
        hint="Your channel's address: /c/<URL name>. Lowercase letters, digits and dashes." autoCapitalize="none" spellCheck={false} />
      <Field name="description" label="Description" multiline maxLength={LIMITS.descriptionMax} defaultValue={v.description}
        error={e.description} hint="Shown on the channel page. Plain text." />
      <Field name="reconnectGraceMinutes" label="Reconnect window (minutes)" type="number" min={0} max={LIMITS.graceMinutesMax}
        defaultValue={v.reconnectGraceMinutes ?? "5"} error={e.reconnectGraceMinutes}
        hint="If your encoder drops and comes back within this time, it stays the same live session (0–60)." />
      <Field name="ladder" label="Quality ladder" defaultValue={v.ladder} error={e.ladder} placeholder={defaultLadder.ladder}
        hint={`Leave empty for the instance default, ${defaultLadder.ladder} (${defaultLadder.how}). Rungs like 720p30@2500k separated by |, sized by the picture's shorter side (portrait works); add “source” to also offer the original.`} spellCheck={false} />
      <div className="field">
        <input type="hidden" name="keepReplays" value="off" />
        <label className="row" style={{ fontWeight: 400 }}>
          <input type="checkbox" name="keepReplays" value="on" defaultChecked={ticked(v.keepReplays)} />
          Keep a replay of every stream
        </label>
        <span className="hint">Each ended stream becomes one replay (and a downloadable MP4). Off: stream media is deleted when the stream ends.</span>
      </div>
      <Field name="replayRetentionDays" label="Keep replays for (days)" type="number" min={0} max={LIMITS.retentionDaysMax}
        defaultValue={v.replayRetentionDays ?? ""} error={e.replayRetentionDays} placeholder={String(retention.days)}
        hint={`Older replays are deleted automatically. Empty: the instance default (${retention.days === 0 ? "keep forever" : `${retention.days} days`}); 0: keep forever. When the server's media budget is full, the oldest replays go first.`} />
      <div className="field">
        <input type="hidden" name="webrtcEnabled" value="off" />
        <label className="row" style={{ fontWeight: 400 }}>
          <input type="checkbox" name="webrtcEnabled" value="on" defaultChecked={ticked(v.webrtcEnabled)} />
          Low-latency playback (WebRTC)
        </label>
        <span className="hint">Viewers see you under a second behind live; those whose network blocks it get the standard stream (a few seconds behind). Off: everyone gets the standard stream.</span>
      </div>
      <div className="row">
        <button className="btn btn-primary" type="submit" disabled={pending}>
          {pending ? "Saving…" : editing ? "Save changes" : "Create channel"}
        </button>
      </div>
    </form>
  );
}

export function DeleteChannelForm({ id, slug }: { id: string; slug: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(deleteChannelAction, {});
  const e = state.errors ?? {};
  return (
    <form className="form" action={action} noValidate>
      <FormError message={e[""]} />
      <input type="hidden" name="channelId" value={id} />
      <Field name="confirmSlug" label={`Type ${slug} to confirm`} error={e.confirmSlug} autoComplete="off" spellCheck={false} />
      <div>
        <button className="btn btn-danger solid" type="submit" disabled={pending}>
          {pending ? "Deleting…" : "Delete channel"}
        </button>
      </div>
    </form>
  );
}
