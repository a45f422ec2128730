// The chat on its own, for OBS browser sources and other sites' iframes: no
// site header or footer (globals.css hides them around .chat-embed), and the
// proxy lets any site frame this route (frame-ancestors *) while every other
// page stays unframeable.
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { publicChat } from "../../../../lib/chat/publicChat.ts";
import { ChatWidget } from "../../../_components/chat/ChatWidget.tsx";
import { currentUser } from "../../../_lib/auth.ts";

export const dynamic = "force-dynamic";

export async function generateMetadata({ params }: { params: Promise<{ slug: string }> }): Promise<Metadata> {
  const chat = await publicChat((await params).slug, null);
  return { title: chat ? `Chat: ${chat.title}` : "Channel not found", robots: { index: false } };
}

export default async function ChatEmbedPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const chat = await publicChat(slug, await currentUser());
  if (!chat) notFound();
  return (
    <div className="chat-embed" data-testid="chat-embed">
      <ChatWidget slug={slug} initial={chat} embed />
    </div>
  );
}
