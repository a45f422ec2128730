// Client addresses as every role compares them: one spelling per client, and lists of
// trusted proxies (exact addresses and CIDR ranges). Ingest and the edge both use these.
import net from "node:net";

/**
 * The form node gives socket.remoteAddress (compressed lower-case IPv6), with IPv4-mapped
 * IPv6 reduced to IPv4 as admission.ts's addressOf does: one client, one rate-limit key,
 * whichever way the proxy spelled it.
 */
export function canonicalAddress(address: string): string {
  const canonical = net.isIPv6(address) ? new net.SocketAddress({ address, family: "ipv6" }).address : address;
  return canonical.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
}

/**
 * A matcher for trusted-proxy lists (INGEST_PROXY_TRUSTED, EDGE_TRUSTED_PROXIES): exact IPv4/IPv6 addresses and CIDR
 * ranges of either family. Throws on an entry it cannot read, so a typo fails at
 * start instead of trusting nobody (or everybody) silently.
 */
export function trustedProxyMatcher(trusted: string[]): (address: string) => boolean {
  const list = new net.BlockList();
  for (const raw of trusted) {
    const entry = raw.trim();
    if (!entry) continue;
    const [address, prefix, extra] = entry.split("/");
    const family = net.isIP(address);
    if (family === 0 || extra !== undefined) throw new Error(`trusted proxy "${entry}" is not an address or CIDR range`);
    const type = family === 4 ? "ipv4" : "ipv6";
    if (prefix === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (!(bits >= 0 && bits <= (family === 4 ? 32 : 128))) throw new Error(`trusted proxy "${entry}" has a bad prefix length`);
    list.addSubnet(address, bits, type);
  }
  return (address: string) => {
    // BlockList matches IPv4 rules against IPv4-mapped IPv6 when asked as ipv6, and reduces ours back.
    const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
    const family = net.isIP(plain);
    if (family === 0) return false;
    return list.check(plain, family === 4 ? "ipv4" : "ipv6");
  };
}

/** One-off form of trustedProxyMatcher; build the matcher once where it is called per connection. */
export function isTrustedProxy(address: string, trusted: string[]): boolean {
  return trustedProxyMatcher(trusted)(address);
}
