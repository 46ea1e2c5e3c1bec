// The mail filter as `hedgerow start` runs it, from the `mail` section of hedgerow.yaml: the
// before-queue and after-queue listeners that are configured, STARTTLS from the key and
// certificate files, clamd when configured, and the quarantine's retention purge once an hour.
import { readFileSync } from 'node:fs';
import type { HedgerowConfig } from '../../config/index.ts';
import { HedgerowError } from '../../errors/index.ts';
import { createClamdClient } from '../clamd.ts';
import type { Quarantine } from '../quarantine/index.ts';
import type { MailInspector } from '../types.ts';
import { startMailFilter, type MailFilter, type MailFilterEvent } from './mail-filter.ts';

export type MailConfig = NonNullable<HedgerowConfig['mail']>;

export interface MailServiceDeps {
  /** the inspector in force (rebuilt by the caller when the policy or roster changes) */
  inspector: () => MailInspector;
  /** the sealed quarantine; without it, stopped mail is refused instead of held */
  quarantine: Quarantine | null;
  /** the policy's `retention.quarantine` in milliseconds, read at each purge; null keeps everything */
  retentionMs?: () => number | null;
  onEvent?: (event: MailFilterEvent) => void;
  onPurgeError?: (error: unknown) => void;
  now?: () => number;
}

export interface MailService {
  readonly filters: readonly MailFilter[];
  close(): Promise<void>;
}

const PURGE_EVERY_MS = 3600_000;

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new HedgerowError('HR_CONFIG_INVALID', `mail.tls.${what}: cannot read \`${path}\`: ${(error as Error).message}`, { cause: error });
  }
}

export async function startMailService(config: MailConfig, deps: MailServiceDeps): Promise<MailService> {
  if (!config.beforeQueue && !config.afterQueue) {
    throw new HedgerowError('HR_CONFIG_INVALID', 'mail: configure beforeQueue, afterQueue or both');
  }
  const tls = config.tls ? { key: readPem(config.tls.key, 'key'), cert: readPem(config.tls.cert, 'cert') } : null;
  const clamd = config.clamd ? createClamdClient({ ...config.clamd }) : null;
  const common = {
    relay: { host: config.relay.host, port: config.relay.port },
    inspector: deps.inspector,
    quarantine: deps.quarantine,
    clamd,
    clamdOnError: config.clamd?.onError ?? 'tempfail',
    limits: { ...config.limits },
    tls,
    xforwardFrom: [...config.xforwardFrom],
    afterQueueReject: config.afterQueueReject,
    ...(config.name ? { name: config.name } : {}),
    ...(config.notifyFrom ? { notifyFrom: config.notifyFrom } : {}),
    ...(deps.onEvent ? { onEvent: deps.onEvent } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  };
  const filters: MailFilter[] = [];
  try {
    if (config.beforeQueue) filters.push(await startMailFilter({ ...common, mode: 'before-queue', listen: { ...config.beforeQueue } }));
    if (config.afterQueue) filters.push(await startMailFilter({ ...common, mode: 'after-queue', listen: { ...config.afterQueue } }));
  } catch (error) {
    await Promise.allSettled(filters.map((f) => f.close()));
    throw error;
  }
  const purge = () => {
    const retention = deps.retentionMs?.() ?? null;
    if (!deps.quarantine || retention === null) return;
    deps.quarantine.purgeExpired(retention).catch((error: unknown) => deps.onPurgeError?.(error));
  };
  purge();
  const timer = setInterval(purge, PURGE_EVERY_MS);
  timer.unref();
  return {
    filters,
    async close() {
      clearInterval(timer);
      await Promise.allSettled(filters.map((f) => f.close()));
    },
  };
}
