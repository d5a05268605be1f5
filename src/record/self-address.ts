import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * Whether an address is this machine, so the recorder never forwards a call to itself: a request
 * naming 0.0.0.0, ::, LOCALHOST or an interface address with the recorder's port would otherwise
 * loop until something ran out.
 */

/** An IPv4-mapped IPv6 address (::ffff:127.0.0.1, ::ffff:7f00:1) as IPv4; anything else unchanged, lower-cased, without brackets. */
function plainIp(ip: string): string {
  const a = ip.toLowerCase().replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const mapped = /^(?:::|(?:0{1,4}:){5})ffff:(.+)$/.exec(a)?.[1];
  if (mapped) {
    if (isIP(mapped) === 4) return mapped;
    const m = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(mapped);
    if (m) {
      const hi = parseInt(m[1]!, 16);
      const lo = parseInt(m[2]!, 16);
      return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
    }
  }
  return a;
}

/** Whether an IP address is this machine: loopback, the unspecified address (0.0.0.0, ::) or one of its interfaces' addresses. */
export function isOwnAddress(ip: string): boolean {
  const a = plainIp(ip);
  if (isIP(a) === 4 && (a.startsWith('127.') || a === '0.0.0.0')) return true;
  if (a === '::' || a === '::1' || /^(?:0{1,4}:){7}0{0,3}[01]$/.test(a)) return true;
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) if (plainIp(i.address) === a) return true;
  return false;
}

/**
 * Whether a URL reaches this recorder: its port is the recorder's and its host is, or resolves to, an
 * address of this machine (localhost in any case, *.localhost, 0.0.0.0, ::, loopback, IPv4-mapped
 * IPv6, an interface address, a name such as the machine's own). Names are looked up only when the
 * port is ours, so forwarding to a provider costs no extra lookup.
 */
export async function addressesSelf(u: URL, selfPort: number): Promise<boolean> {
  if (Number(u.port || (u.protocol === 'https:' ? 443 : 80)) !== selfPort) return false;
  const name = u.hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const bare = name.replace(/^\[|\]$/g, '');
  if (isIP(bare)) return isOwnAddress(bare);
  try {
    return (await lookup(bare, { all: true })).some((r) => isOwnAddress(r.address));
  } catch {
    return false;
  }
}
