// The append-only spool: every event is written here first, one JSON line each, into numbered
// segment files (`segment-000000000001.jsonl`). A segment is deleted once the database holds all
// of its events. Writes can be buffered for one turn of the event loop and go out in one
// writeSync (`maxBuffered` > 1); the decision log writes each event through at once.
//
// A full disk fails a write part-way: the part written is cut off again (or, when even that
// fails, the next line starts on a fresh line), so one failed event never tears the next. A
// segment whose file was removed while open (the data folder deleted) is noticed by `check()`,
// which writes what the open file still holds back under the same name.
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeSync } from 'node:fs';
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
  /** as `committed`, but kept when the queue is dropped: what the database is known to hold */
  stored: number;
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
  /** the file calls the spool makes; tests put a failing disk here (default: node:fs) */
  files?: SpoolFiles;
  /** the clock of `failingSince` (default Date.now) */
  now?: () => number;
}

/** The file system calls that write the spool: a seam for a disk that fills up. */
export interface SpoolFiles {
  open(path: string): number;
  write(fd: number, bytes: Buffer, offset: number, length: number): number;
  truncate(fd: number, length: number): void;
  close(fd: number): void;
}

// 'a+': appends like 'a', and lets `check()` read back a segment whose name was removed.
const nodeFiles: SpoolFiles = {
  open: (path) => openSync(path, 'a+'),
  write: (fd, bytes, offset, length) => writeSync(fd, bytes, offset, length),
  truncate: (fd, length) => ftruncateSync(fd, length),
  close: (fd) => closeSync(fd),
};

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
  private readonly files: SpoolFiles;
  /** bytes of whole lines in the active segment; -1 once a torn write could not be cut off */
  private activeBytes = 0;
  /** a failed write left part of a line that could not be cut off: start the next on a new line */
  private torn = false;
  /** lines confirmed written to a segment file */
  written = 0;
  /** lines that could not be written (disk full, …) */
  failed = 0;
  /** false when the last write failed; with `maxBuffered` 1, says whether the last append reached the file */
  lastWriteOk = true;
  /** the failure of the writes since `failingSince`, while they keep failing */
  error: string | null = null;
  failingSince: number | null = null;

  constructor(options: SpoolOptions) {
    this.options = options;
    this.files = options.files ?? nodeFiles;
    this.dir = options.dir;
    mkdirSync(this.dir, { recursive: true });
    let next = 1;
    for (const name of readdirSync(this.dir).sort()) {
      const match = SEGMENT.exec(name);
      if (!match) continue;
      const seq = Number(match[1]);
      // Left by an earlier process: never appended to again, so a torn last line stays last.
      this.segments.set(seq, { seq, path: join(this.dir, name), events: -1, committed: 0, stored: 0, closed: true });
      next = Math.max(next, seq + 1);
    }
    this.active = this.newSegment(next);
    this.fd = this.files.open(this.active.path);
  }

  private newSegment(seq: number): SpoolSegment {
    const segment = { seq, path: join(this.dir, segmentName(seq)), events: 0, committed: 0, stored: 0, closed: false };
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
    const bytes = Buffer.from(`${this.torn ? '\n' : ''}${lines.join('\n')}\n`, 'utf8');
    let offset = 0;
    try {
      if (this.fd < 0) this.fd = this.files.open(this.active.path);
      while (offset < bytes.length) offset += this.files.write(this.fd, bytes, offset, bytes.length - offset);
      if (this.activeBytes >= 0) this.activeBytes += bytes.length;
      this.torn = false;
      this.written += lines.length;
      this.lastWriteOk = true;
      this.error = null;
      this.failingSince = null;
    } catch (error) {
      if (offset > 0) this.cutTornWrite();
      this.failed += lines.length;
      this.lastWriteOk = false;
      const message = (error as Error).message;
      if (this.failingSince === null) this.failingSince = (this.options.now ?? Date.now)();
      // one warning per kind of failure, not one per event while the disk stays full
      if (this.error !== message) this.options.warn(`spool \`${this.active.path}\`: ${lines.length} event${lines.length === 1 ? '' : 's'} not written: ${message}`);
      this.error = message;
    }
  }

  /** Removes the part of a failed write that reached the file, so the segment ends on a whole line. */
  private cutTornWrite(): void {
    try {
      if (this.activeBytes < 0) throw new Error('the length of the whole lines is not known');
      this.files.truncate(this.fd, this.activeBytes);
    } catch {
      // the fragment stays: it becomes a line of its own, skipped with a warning at replay
      this.torn = true;
      this.activeBytes = -1;
    }
  }

  /**
   * Notices an active segment whose file was removed while open (the spool folder deleted) and
   * writes what the open file holds back under the same name, in a folder made again. Cheap
   * (one fstat); the decision log calls it on its flush timer. Returns true when it rescued one.
   */
  check(): boolean {
    if (this.fd < 0) return false;
    let stat;
    try {
      stat = fstatSync(this.fd);
    } catch {
      return false;
    }
    if (stat.nlink > 0) return false;
    this.writeBuffer();
    let held: Buffer;
    try {
      held = Buffer.alloc(stat.size);
      let read = 0;
      while (read < held.length) {
        const n = readSync(this.fd, held, read, held.length - read, read);
        if (n === 0) break;
        read += n;
      }
      held = held.subarray(0, read);
    } catch (error) {
      this.options.warn(`spool \`${this.active.path}\` was removed while open and cannot be read back: ${(error as Error).message}`);
      held = Buffer.alloc(0);
    }
    try {
      this.files.close(this.fd);
    } catch {
      // the old file is gone with its name
    }
    this.fd = -1;
    try {
      mkdirSync(this.dir, { recursive: true });
      this.fd = this.files.open(this.active.path);
      let offset = 0;
      while (offset < held.length) offset += this.files.write(this.fd, held, offset, held.length - offset);
      this.activeBytes = held.length;
      this.options.warn(`spool \`${this.active.path}\` was removed while open; written again from the open file (${held.length} bytes)`);
    } catch (error) {
      this.options.warn(`spool \`${this.active.path}\` was removed while open and cannot be made again: ${(error as Error).message}`);
    }
    return true;
  }

  /** Closes the active segment and starts the next one. */
  rotate(): void {
    this.writeBuffer();
    try {
      if (this.fd >= 0) this.files.close(this.fd);
    } catch {
      // already closed or never opened: the next open decides
    }
    const previous = this.active;
    previous.closed = true;
    this.active = this.newSegment(previous.seq + 1);
    this.activeBytes = 0;
    this.torn = false;
    if (previous.committed >= previous.events) this.remove(previous);
    try {
      this.fd = this.files.open(this.active.path);
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
    segment.stored += n;
    if (segment.closed && segment.committed >= segment.events) this.remove(segment);
  }

  /** True when the segment's file is still there to be replayed. */
  exists(segment: SpoolSegment): boolean {
    return existsSync(segment.path);
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
      if (this.fd >= 0) this.files.close(this.fd);
    } catch {
      // already closed
    }
    this.fd = -1;
    if (discard) for (const segment of [...this.segments.values()]) this.remove(segment);
    else if (this.active.events === 0) this.remove(this.active);
  }
}
