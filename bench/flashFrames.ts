// The flash-frame clock of the latency benchmarks: the publisher flips its picture
// black↔white at known instants of its own timeline, and the page notes (in
// window.__flips) the wall-clock instant each flip shows, frame by frame; window.__first
// is the first frame seen. A string, not a function: tsx would wrap nested functions in
// a helper the page lacks.
export const FLIP_SAMPLER = `(() => {
  window.__flips = [];
  window.__first = null;
  const v = document.querySelector("[data-testid=live-player] video");
  const c = document.createElement("canvas");
  c.width = 16;
  c.height = 9;
  const ctx = c.getContext("2d", { willReadFrequently: true });
  let bright = null;
  function onFrame() {
    ctx.drawImage(v, 0, 0, 16, 9);
    const d = ctx.getImageData(0, 0, 16, 9).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += d[i];
    const now = sum / (d.length / 4) > 128;
    const at = performance.timeOrigin + performance.now();
    if (bright === null) window.__first = { at, bright: now };
    else if (now !== bright) window.__flips.push(at);
    bright = now;
    v.requestVideoFrameCallback(onFrame);
  }
  v.requestVideoFrameCallback(onFrame);
})()`;
