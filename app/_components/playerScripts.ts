// Loads hls.js (OvenPlayer's HLS engine, which it expects as window.Hls) and
// OvenPlayer once per page.
let loading: Promise<void> | undefined;

function script(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const el = document.createElement("script");
    el.src = src;
    el.async = false;
    el.onload = () => resolve();
    el.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.appendChild(el);
  });
}

export function loadPlayerScripts(): Promise<void> {
  loading ??= script("/vendor/hls.min.js").then(() => script("/vendor/ovenplayer.js"));
  return loading;
}

export interface OvenPlayerInstance {
  on(event: string, cb: (data: any) => void): void;
  getState(): string;
  getQualityLevels(): { label: string; height: number }[];
  getSources(): { type: string; label: string; index: number }[];
  getCurrentSource(): number;
  remove(): void;
}

declare global {
  interface Window {
    OvenPlayer?: { create(id: string, options: Record<string, unknown>): OvenPlayerInstance };
  }
}
