"use client";
// The room's Matrix address, for joining from another client, with a Copy button.
import { useRef, useState } from "react";

export function ChatAlias({ alias }: { alias: string }) {
  const [copied, setCopied] = useState(false);
  const aliasRef = useRef<HTMLElement>(null);

  async function copyAlias() {
    try {
      await navigator.clipboard.writeText(alias);
    } catch {
      // No clipboard API (plain-HTTP hosts): select the address so the reader can copy it.
      const sel = window.getSelection();
      if (!aliasRef.current || !sel) return;
      sel.selectAllChildren(aliasRef.current);
      return;
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  }

  return (
    <div className="chat-alias small muted">
      <span>
        Join from any Matrix client: <code ref={aliasRef} data-testid="chat-alias">{alias}</code>
      </span>
      <button type="button" className="btn-link small" onClick={copyAlias} aria-label="Copy room address" data-testid="chat-alias-copy">
        {copied ? "Copied!" : "Copy"}
      </button>
    </div>
  );
}
