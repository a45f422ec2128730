import Link from "next/link";
import { describeDefaultLadder } from "../../../../lib/capacity.ts";
import { config } from "../../../../lib/config.ts";
import { ChannelForm } from "../../../_components/ChannelForms.tsx";
import { requireUser } from "../../../_lib/auth.ts";

export const metadata = { title: "New channel" };

export default async function NewChannelPage() {
  await requireUser("/dashboard/channels/new");
  return (
    <div className="card" style={{ maxWidth: 640 }}>
      <Link href="/dashboard" className="small">← Dashboard</Link>
      <h1>New channel</h1>
      <ChannelForm defaultLadder={await describeDefaultLadder()} retention={{ days: config.replayRetentionDays }} />
    </div>
  );
}
