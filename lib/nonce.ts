/** Request header carrying this request's CSP nonce from proxy.ts to the page render. */
export const NONCE_HEADER = "x-livehouse-nonce";
