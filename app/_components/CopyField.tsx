"use client";
import { useRef, useState } from "react";

/** A read-only value with a Copy button; falls back to selecting the text where the Clipboard API is unavailable (plain-HTTP hosts). */
export function CopyField({ value, label, name }: { value: string; label: string; name: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      input.current?.select();
      document.execCommand("copy");
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  }
  return (
    <div className="copy-field">
      <input ref={input} type="text" readOnly value={value} aria-label={label} data-testid={name} onFocus={(e) => e.currentTarget.select()} className="grow" />
      <button type="button" className="btn" onClick={copy} aria-label={`Copy ${label}`}>
        {copied ? "Copied!" : "Copy"}
      </button>
    </div>
  );
}
