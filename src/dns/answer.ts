// A response as the filter keeps it: upstream bytes without their OPT record, with the place of
// every TTL noted, so that answering again (from the cache or to a coalesced query) is a copy plus
// a few patched integers rather than a decode and encode.
import * as dnsPacket from 'dns-packet';
import { HEADER_LENGTH, OPT_LENGTH, flags, layoutResponse, writeOpt, type ParsedQuery } from './wire.ts';

export interface StoredAnswer {
  /** response bytes without OPT; id and question spelling are patched per client */
  bytes: Buffer;
  rcode: number;
  answers: number;
  ttlOffsets: number[];
  /** TTLs as stored (already clamped to the cache's bounds) */
  ttls: number[];
  questionEnd: number;
  storedAt: number;
  /** seconds this answer may be served from the cache; 0 = do not cache */
  lifetime: number;
}

export interface TtlBounds {
  minTtl: number;
  maxTtl: number;
}

/** Turns an upstream response into a StoredAnswer; null when it cannot be understood. */
export function storeAnswer(response: Buffer, now: number, bounds: TtlBounds): StoredAnswer | null {
  let layout = layoutResponse(response);
  if (!layout) return null;
  let bytes = response;
  if (layout.opt) {
    if (layout.opt.end === response.length) {
      bytes = Buffer.from(response.subarray(0, layout.opt.start));
      bytes.writeUInt16BE(bytes.readUInt16BE(10) - 1, 10);
    } else {
      // rare: OPT not last; names after it may point past it, so re-encode rather than cut
      try {
        const decoded = dnsPacket.decode(response);
        decoded.additionals = (decoded.additionals ?? []).filter((record) => record.type !== 'OPT');
        bytes = dnsPacket.encode(decoded);
      } catch {
        return null;
      }
    }
    const rcode = layout.rcode;
    layout = layoutResponse(bytes);
    if (!layout) return null;
    layout.rcode = rcode;
  } else {
    bytes = Buffer.from(response);
  }
  const ttls = layout.ttls.map((ttl) => Math.min(Math.max(ttl, bounds.minTtl), bounds.maxTtl));
  for (let index = 0; index < ttls.length; index++) bytes.writeUInt32BE(ttls[index]!, layout.ttlOffsets[index]!);

  let lifetime = 0;
  const cacheable = !layout.truncated && (layout.rcode === 0 || layout.rcode === 3);
  if (cacheable) {
    if (layout.rcode === 0 && layout.answers > 0) {
      lifetime = Math.min(...ttls.slice(0, layout.answers));
    } else if (layout.negativeTtl !== null) {
      // RFC 2308: negative answers live as long as the SOA says
      lifetime = Math.min(Math.max(layout.negativeTtl, bounds.minTtl), bounds.maxTtl);
    }
  }
  return {
    bytes,
    rcode: layout.rcode,
    answers: layout.answers,
    ttlOffsets: layout.ttlOffsets,
    ttls,
    questionEnd: layout.questionEnd,
    storedAt: now,
    lifetime,
  };
}

/**
 * The client's copy: its id, its question spelling, TTLs counted down, OPT when it sent one.
 * With `staleTtl` (an answer past its TTL, RFC 8767), every TTL is that instead.
 */
export function renderAnswer(answer: StoredAnswer, request: Buffer, query: ParsedQuery, now: number, staleTtl?: number): Buffer {
  const withOpt = query.edns != null;
  const source = answer.bytes;
  const out = Buffer.allocUnsafe(source.length + (withOpt ? OPT_LENGTH : 0));
  source.copy(out, 0);
  out.writeUInt16BE(query.id, 0);
  const upstreamFlags = source.readUInt16BE(2);
  const keep = upstreamFlags & ~(flags.RD | flags.CD | flags.TC | 0x0400 /* AA: this server is not the authority */);
  out.writeUInt16BE(keep | (query.flags & (flags.RD | flags.CD)) | flags.RA, 2);
  if (answer.questionEnd === query.questionEnd) request.copy(out, HEADER_LENGTH, HEADER_LENGTH, query.questionEnd);
  const elapsed = Math.floor((now - answer.storedAt) / 1000);
  if (staleTtl !== undefined) {
    for (let index = 0; index < answer.ttlOffsets.length; index++) out.writeUInt32BE(staleTtl, answer.ttlOffsets[index]!);
  } else if (elapsed > 0) {
    for (let index = 0; index < answer.ttlOffsets.length; index++) {
      out.writeUInt32BE(Math.max(0, answer.ttls[index]! - elapsed), answer.ttlOffsets[index]!);
    }
  }
  if (withOpt) {
    out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
    writeOpt(out, source.length, answer.rcode, query.edns!.dnssecOk);
  }
  return out;
}
