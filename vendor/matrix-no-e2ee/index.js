"use strict";
// Livehouse channel rooms are public and unencrypted, so the appservice never
// turns on end-to-end encryption. The bot-sdk requires this module at load
// time but only calls into it when encryption is enabled; if that ever
// happens, fail loudly instead of pretending.
const refuse = (name) => {
  throw new Error(
    `Matrix end-to-end encryption is not available in Livehouse's appservice (tried to use ${String(name)}). ` +
      "Channel chat rooms are public and unencrypted."
  );
};
module.exports = new Proxy(
  {},
  {
    get(_target, prop) {
      if (typeof prop === "symbol" || prop === "__esModule" || prop === "then" || prop === "default") return undefined;
      return refuse(prop);
    },
  }
);
