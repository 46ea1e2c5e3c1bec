// Seeded randomness and input mutators for the fuzz suites. Every run is reproducible from its
// seed: `HEDGEROW_FUZZ_SEED` picks it (default fixed, so CI runs the same inputs every time) and
// `HEDGEROW_FUZZ_ROUNDS` multiplies the input counts for a longer local run.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** The seed of this run: `HEDGEROW_FUZZ_SEED` (decimal or 0x hex), else a fixed default. */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.HEDGEROW_FUZZ_SEED?.trim();
  if (text) {
    const value = Number(text);
    if (Number.isSafeInteger(value)) return value >>> 0;
  }
  return 0x4e6f7661;
}

/** `count` times the `HEDGEROW_FUZZ_ROUNDS` multiplier (default 1). */
export function fuzzCount(count: number, env: NodeJS.ProcessEnv = process.env): number {
  const factor = Number(env.HEDGEROW_FUZZ_ROUNDS ?? '1');
  return Math.max(1, Math.round(count * (Number.isFinite(factor) && factor > 0 ? factor : 1)));
}

/** mulberry32: small, fast and good enough to spread inputs; not for anything secret. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** a float in [0, 1) */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** an integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** an integer in [min, max] */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  /** a child generator, so that one target's input count does not shift another's inputs */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}

/** Byte-level tricks that confuse text parsers. */
export const NASTY_BYTES: readonly Buffer[] = [
  Buffer.from([0x00]),
  Buffer.from('\r\n'),
  Buffer.from('\n'),
  Buffer.from('\r'),
  Buffer.from('\r\n\r\n'),
  Buffer.from([0xc0, 0xae]), // overlong '.'
  Buffer.from([0xc0, 0xaf]), // overlong '/'
  Buffer.from([0xe0, 0x80, 0xae]), // overlong '.' (3 bytes)
  Buffer.from([0xed, 0xa0, 0x80]), // a UTF-16 surrogate in UTF-8
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0xef, 0xbb, 0xbf]), // byte order mark
  Buffer.from([0xe2, 0x80, 0xae]), // right-to-left override
  Buffer.from('%00'),
  Buffer.from('%2e'),
  Buffer.from('%2f'),
  Buffer.from('%25'),
  Buffer.from('%%'),
  Buffer.from('%c0%ae'),
  Buffer.from('\\'),
  Buffer.from('@'),
  Buffer.from(':'),
  Buffer.from('%'),
  Buffer.from('\t'),
  Buffer.from(' '),
  Buffer.from('"'),
  Buffer.from('`'),
  Buffer.from('<script>'),
  Buffer.from('xn--'),
  Buffer.from('xn--80ak6aa92e'),
  Buffer.from('ℊооgle'),
  Buffer.from('%eth0'),
  Buffer.from('[fe80::1%25eth0]'),
  Buffer.from('0x7f.1'),
  Buffer.from('2130706433'),
  Buffer.from('0177.0.0.1'),
  Buffer.from('。'),
  Buffer.from('．'),
];

/** One mutation of `input`: flips, cuts, repeats, injections, huge lengths. */
export function mutateBytes(rng: Rng, input: Buffer, maxLength = 64 * 1024): Buffer {
  let out = Buffer.from(input);
  const steps = rng.range(1, 4);
  for (let s = 0; s < steps; s++) {
    const at = out.length === 0 ? 0 : rng.int(out.length + 1);
    switch (rng.int(10)) {
      case 0: {
        // bit flips
        if (out.length === 0) break;
        for (let k = rng.range(1, 8); k > 0; k--) {
          const i = rng.int(out.length);
          out[i] = out[i]! ^ (1 << rng.int(8));
        }
        break;
      }
      case 1:
        // truncation
        out = out.subarray(0, at);
        break;
      case 2: {
        // duplicate a slice
        const end = Math.min(out.length, at + rng.range(1, 64));
        out = Buffer.concat([out.subarray(0, end), out.subarray(at, end), out.subarray(end)]);
        break;
      }
      case 3:
        // insert a nasty
        out = Buffer.concat([out.subarray(0, at), rng.pick(NASTY_BYTES), out.subarray(at)]);
        break;
      case 4:
        // a huge run of one byte
        out = Buffer.concat([out.subarray(0, at), Buffer.alloc(rng.pick([256, 4096, 9000, 70_000]), rng.pick([0x41, 0x2e, 0x2f, 0x00, 0x25, 0x3a, 0x30])), out.subarray(at)]);
        break;
      case 5:
        // random bytes in place
        out = Buffer.concat([out.subarray(0, at), rng.bytes(rng.range(1, 16)), out.subarray(Math.min(out.length, at + rng.range(0, 16)))]);
        break;
      case 6: {
        // delete a slice
        const end = Math.min(out.length, at + rng.range(1, 32));
        out = Buffer.concat([out.subarray(0, at), out.subarray(end)]);
        break;
      }
      case 7: {
        // set a byte to a boundary value (lengths and counts)
        if (out.length === 0) break;
        out[rng.int(out.length)] = rng.pick([0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x3f, 0x40, 0xc0]);
        break;
      }
      case 8: {
        // swap two slices
        if (out.length < 4) break;
        const a = rng.int(out.length - 2);
        const b = rng.range(a + 1, out.length - 1);
        out = Buffer.concat([out.subarray(0, a), out.subarray(b, b + 1), out.subarray(a + 1, b), out.subarray(a, a + 1), out.subarray(b + 1)]);
        break;
      }
      default:
        // upper/lower case flip of ASCII letters in a slice
        for (let i = at; i < Math.min(out.length, at + 16); i++) {
          const c = out[i]!;
          if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) out[i] = c ^ 0x20;
        }
    }
  }
  return out.length > maxLength ? out.subarray(0, maxLength) : out;
}

/** `mutateBytes` for text, read back as latin1 so every byte survives the round trip. */
export function mutateText(rng: Rng, input: string, maxLength = 64 * 1024): string {
  return mutateBytes(rng, Buffer.from(input, 'latin1'), maxLength).toString('latin1');
}

let collector: (() => void) | null = null;

/** The garbage collector: `global.gc` when node runs with `--expose-gc`, else switched on here. */
function gcFunction(): () => void {
  if (collector) return collector;
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return (collector = exposed);
  // NOTE: the flag only takes effect for contexts made after it is set, hence the new context
  setFlagsFromString('--expose-gc');
  return (collector = runInNewContext('gc') as () => void);
}

/** `process.memoryUsage().heapUsed` after a full collection, so that before/after compare live data. */
export function heapUsed(): number {
  const gc = gcFunction();
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export const MiB = 1024 * 1024;
