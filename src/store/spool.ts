// The append-only spool: every event is written here first, one JSON line each, into numbered
// segment files (`segment-000000000001.jsonl`). A segment is deleted once the database holds all
// of its events. Writes can be buffered for one turn of the event loop and go out in one
// writeSync (`maxBuffered` > 1); the decision log writes each event through at once.
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DecisionEvent } from '../engine/index.ts';

const SEGMENT = /^segment-(\d{12})\.jsonl$/;

export interface SpoolSegment {
  seq: number;
  path: string;
  /** events appended (written or still buffered) */
  events: number;
  /** events the database has confirmed from the in-memory queue */
  committed: number;
  /** no longer appended to */
  closed: boolean;
}

export interface SpoolOptions {
  dir: string;
  /** start a new segment after this many events */
  segmentEvents: number;
  /** write the buffer at once when it holds this many lines */
  maxBuffered: number;
  warn: (message: string) => void;
}

export function segmentName(seq: number): string {
  return `segment-${String(seq).padStart(12, '0')}.jsonl`;
}

/** Parses a segment's lines; a torn or corrupt line is skipped with a warning, never thrown. */
export function parseSegment(text: string, name: string, warn: (message: string) => void): DecisionEvent[] {
  const events: DecisionEvent[] = [];
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  if (last !== '') warn(`spool \`${name}\`: skipped a torn last line (${last.length} bytes), left by a crash mid-write`);
  lines.forEach((line, index) => {
    if (line === '') return;
    try {
      const event = JSON.parse(line) as DecisionEvent;
      if (typeof event !== 'object' || event === null || typeof event.id !== 'string') throw new Error('not an event');
      events.push(event);
    } catch {
      warn(`spool \`${name}\`: line ${index + 1}: skipped a line that is not a decision event`);
    }
  });
  return events;
}

export class Spool {
  readonly dir: string;
  /** segments in sequence order (Map keeps insertion order and sequence numbers only grow) */
  private readonly segments = new Map<number, SpoolSegment>();
  private active: SpoolSegment;
  private fd: number;
  private buffer: string[] = [];
  private immediate: NodeJS.Immediate | null = null;
  private readonly options: SpoolOptions;
  /** lines confirmed written to a segment file */
  written = 0;
  /** lines that could not be written (disk full, …) */
  failed = 0;

  constructor(options: SpoolOptions) {
    this.options = options;
    this.dir = options.dir;
    mkdirSync(this.dir, { recursive: true });
    let next = 1;
    for (const name of readdirSync(this.dir).sort()) {
      const match = SEGMENT.exec(name);
      if (!match) continue;
      const seq = Number(match[1]);
      // Left by an earlier process: never appended to again, so a torn last line stays last.
      this.segments.set(seq, { seq, path: join(this.dir, name), events: -1, committed: 0, closed: true });
      next = Math.max(next, seq + 1);
    }
    this.active = this.newSegment(next);
    this.fd = openSync(this.active.path, 'a');
  }

  private newSegment(seq: number): SpoolSegment {
    const segment = { seq, path: join(this.dir, segmentName(seq)), events: 0, committed: 0, closed: false };
    this.segments.set(seq, segment);
    return segment;
  }

  /** Buffers one line for the active segment; returns that segment's number. Never throws. */
  append(line: string): number {
    if (this.active.events >= this.options.segmentEvents) this.rotate();
    this.buffer.push(line);
    this.active.events++;
    if (this.buffer.length >= this.options.maxBuffered) this.writeBuffer();
    else if (this.immediate === null) this.immediate = setImmediate(() => this.writeBuffer());
    return this.active.seq;
  }

  /** Writes buffered lines with one writeSync. */
  writeBuffer(): void {
    if (this.immediate !== null) {
      clearImmediate(this.immediate);
      this.immediate = null;
    }
    if (this.buffer.length === 0) return;
    const lines = this.buffer;
    this.buffer = [];
    const bytes = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    try {
      if (this.fd < 0) this.fd = openSync(this.active.path, 'a');
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
      this.written += lines.length;
    } catch (error) {
      this.failed += lines.length;
      this.options.warn(`spool \`${this.active.path}\`: ${lines.length} events not written: ${(error as Error).message}`);
    }
  }

  /** Closes the active segment and starts the next one. */
  rotate(): void {
    this.writeBuffer();
    try {
      closeSync(this.fd);
    } catch {
      // already closed or never opened: the next open decides
    }
    const previous = this.active;
    previous.closed = true;
    this.active = this.newSegment(previous.seq + 1);
    if (previous.committed >= previous.events) this.remove(previous);
    try {
      this.fd = openSync(this.active.path, 'a');
    } catch (error) {
      this.options.warn(`spool \`${this.active.path}\` cannot be opened: ${(error as Error).message}`);
      this.fd = -1;
    }
  }

  get activeEvents(): number {
    return this.active.events;
  }

  /** The oldest closed segment, if any. */
  oldestClosed(): SpoolSegment | undefined {
    for (const segment of this.segments.values()) if (segment.closed) return segment;
    return undefined;
  }

  read(segment: SpoolSegment): DecisionEvent[] {
    let text: string;
    try {
      text = readFileSync(segment.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return parseSegment(text, segmentName(segment.seq), this.options.warn);
  }

  /** Records that `n` events of segment `seq` reached the database from the in-memory queue. */
  commit(seq: number, n: number): void {
    const segment = this.segments.get(seq);
    if (!segment) return;
    segment.committed += n;
    if (segment.closed && segment.committed >= segment.events) this.remove(segment);
  }

  remove(segment: SpoolSegment): void {
    this.segments.delete(segment.seq);
    rmSync(segment.path, { force: true });
  }

  /** True when every appended event is confirmed by the database (from the queue). */
  allCommitted(): boolean {
    for (const segment of this.segments.values()) if (segment.committed < segment.events || segment.events < 0) return false;
    return true;
  }

  /** Marks every segment as needing a replay from disk (the in-memory queue was dropped). */
  forgetCommits(): void {
    for (const segment of this.segments.values()) segment.committed = 0;
  }

  /**
   * Writes what is buffered and closes the file. With `discard`, every segment is deleted (the
   * database holds everything).
   */
  close(discard: boolean): void {
    this.writeBuffer();
    try {
      if (this.fd >= 0) closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = -1;
    if (discard) for (const segment of [...this.segments.values()]) this.remove(segment);
    else if (this.active.events === 0) this.remove(this.active);
  }
}
