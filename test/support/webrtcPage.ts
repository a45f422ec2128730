// What browser tests inject to see a page's WebRTC: every RTCPeerConnection it makes
// (OvenPlayer's included) lands in window.__pcs. A string: tsx would wrap a function
// in a helper the page lacks.
export const RECORD_PEERS = `(() => {
  const Orig = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Orig { constructor(...a) { super(...a); window.__pcs.push(this); } };
})()`;
