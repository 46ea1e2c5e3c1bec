// The configuration of one Hedgerow process: where each enforcement point listens, which
// networks may use it and who they are. Validated once at start with every problem reported,
// then frozen. The policy (what is allowed) is not configuration: it lives in the policy file.
import { z } from 'zod';

const host = z.string().min(1);
const port = z.number().int().min(0).max(65535);
const cidr = z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'must be a network like 10.20.0.0/16 or fd00::/8');

export const networkSchema = z.strictObject({
  name: z.string().optional(),
  cidr,
  role: z.string(),
  groups: z.array(z.string()).default([]),
});

export const configSchema = z.strictObject({
  /** the policy file (school layer); default: the reference policy in examples/ */
  policy: z.string().optional(),
  /** all state: lists, catalogue snapshot, database, spool, CA */
  dataDir: z.string().optional(),
  /** the store: `sqlite:PATH` or `postgres://…`; default: SQLite in the data folder */
  database: z.string().regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'must be sqlite:PATH or a postgres:// URL').optional(),
  /** dashboard sign-in sessions (clause 6.16: lock an unattended session) */
  dashboard: z
    .strictObject({
      idleTimeout: z.string().regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration like 15m').default('15m'),
      sessionLifetime: z.string().regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration like 12h').default('12h'),
    })
    .prefault({}),
  proxy: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: host.default('127.0.0.1'),
      port: port.default(3128),
      /** client networks allowed to use the proxy; never everyone */
      allowedClients: z.array(cidr).min(1).default(['127.0.0.0/8', '::1/128']),
      requireAuth: z.boolean().default(false),
      /** more networks (CIDRs, or `address:port`) the proxy never connects to, besides link-local and metadata addresses; e.g. loopback and private ranges (docs/security.md) */
      forbiddenTargets: z.array(z.string()).optional(),
      /** connection caps, sizes and timeouts (docs/operations.md); a limit not given keeps the proxy's default */
      limits: z
        .strictObject({
          maxConnections: z.number().int().positive().optional(),
          maxConnectionsPerClient: z.number().int().positive().optional(),
          headersTimeoutMs: z.number().int().positive().optional(),
          idleTimeoutMs: z.number().int().positive().optional(),
          peekTimeoutMs: z.number().int().positive().optional(),
          peekMaxBytes: z.number().int().positive().optional(),
          tunnelIdleTimeoutMs: z.number().int().positive().optional(),
          upstreamConnectTimeoutMs: z.number().int().positive().optional(),
          upstreamResponseTimeoutMs: z.number().int().positive().optional(),
          maxHeaderBytes: z.number().int().positive().optional(),
          maxHeaders: z.number().int().positive().optional(),
          maxSocketsPerOrigin: z.number().int().positive().optional(),
        })
        .optional(),
    })
    .prefault({}),
  dns: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: host.default('127.0.0.1'),
      port: port.default(5353),
      /** where allowed names are resolved; default: the machine's resolvers */
      upstreams: z.array(z.strictObject({ host, port: port.default(53) })).optional(),
      /** blocked names answer with the block page's address, or NXDOMAIN */
      blockAnswer: z.enum(['address', 'nxdomain']).default('address'),
      /** the block page's address for `address` answers; default: the HTTP service's host */
      blockAddress: z.string().optional(),
      blockAddress6: z.string().optional(),
      rateLimit: z.strictObject({ perSecond: z.number().positive(), burst: z.number().positive() }).optional(),
    })
    .prefault({}),
  http: z
    .strictObject({
      host: host.default('127.0.0.1'),
      port: port.default(8080),
      /** how browsers reach this service (block page forms, PAC file); default from host and port */
      publicUrl: z.string().url().optional(),
    })
    .prefault({}),
  /** proxy sign-in against a directory (LDAP bind); people are otherwise checked against the roster */
  ldap: z
    .strictObject({
      url: z.string().regex(/^ldaps?:\/\//, 'must be an ldap:// or ldaps:// URL'),
      bindDnTemplate: z.string().optional(),
      searchBase: z.string().optional(),
      searchFilter: z.string().optional(),
      /** who a directory sync lists (default: the search filter with `{username}` as `*`) */
      syncFilter: z.string().optional(),
      serviceDn: z.string().optional(),
      servicePassword: z.string().optional(),
      startTls: z.boolean().default(false),
      timeoutMs: z.number().int().positive().default(5000),
      attributes: z
        .strictObject({ username: z.string().optional(), displayName: z.string().optional(), role: z.string().optional(), yearGroup: z.string().optional(), dateOfBirth: z.string().optional() })
        .optional(),
      roleValues: z.record(z.string(), z.string()).optional(),
      groupRoles: z.array(z.strictObject({ group: z.string(), role: z.string() })).optional(),
      groupSearchBase: z.string().optional(),
      groupFilter: z.string().optional(),
    })
    .optional(),
  /** TLS inspection with the school CA (`hedgerow ca create`); off by default; private categories never */
  inspection: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** inspect only these roles and groups (empty: everyone) */
      roles: z.array(z.string()).default([]),
      groups: z.array(z.string()).default([]),
    })
    .prefault({}),
  /** the mail filter beside Postfix (docs/mail.md); started only when this section is present */
  mail: z
    .strictObject({
      /** the name the filter gives in its greeting and to the next hop */
      name: z.string().min(1).optional(),
      /** Postfix `smtpd_proxy_filter` target: outbound mail judged while the sender waits */
      beforeQueue: z.strictObject({ host: host.default('127.0.0.1'), port }).optional(),
      /** Postfix `content_filter` target: inbound mail judged after Postfix queued it */
      afterQueue: z.strictObject({ host: host.default('127.0.0.1'), port }).optional(),
      /** the next hop: Postfix's second smtpd that takes filtered mail back (reinjection) */
      relay: z.strictObject({ host: host.default('127.0.0.1'), port }),
      /** certificate and key files (PEM) for STARTTLS; without them STARTTLS is not offered */
      tls: z.strictObject({ key: z.string().min(1), cert: z.string().min(1) }).optional(),
      /** clients allowed to send XFORWARD (the Postfix host) */
      xforwardFrom: z.array(z.string()).default(['127.0.0.1', '::1']),
      limits: z
        .strictObject({
          maxMessageBytes: z.number().int().positive().default(25 * 1024 * 1024),
          maxRecipients: z.number().int().positive().default(100),
          maxHeaderBytes: z.number().int().positive().default(100 * 1024),
          maxLineBytes: z.number().int().positive().default(64 * 1024),
          idleTimeoutMs: z.number().int().positive().default(120_000),
          inspectTimeoutMs: z.number().int().positive().default(30_000),
          relayTimeoutMs: z.number().int().positive().default(30_000),
        })
        .prefault({}),
      /** after-queue mail the rules reject: held in quarantine (no bounce), or refused so Postfix bounces it */
      afterQueueReject: z.enum(['quarantine', 'bounce']).default('quarantine'),
      /** the sender of warning notifications */
      notifyFrom: z.string().optional(),
      quarantine: z
        .strictObject({
          /** 32 bytes, base64; or keyFile, a file holding the same */
          key: z.string().optional(),
          keyFile: z.string().optional(),
          /** keys of earlier messages after a rotation, by id */
          previousKeys: z.array(z.strictObject({ id: z.string().min(1), key: z.string().optional(), keyFile: z.string().optional() })).default([]),
        })
        .optional(),
      /** ClamAV's clamd: a unix socket or host and port */
      clamd: z
        .strictObject({
          socket: z.string().optional(),
          host: z.string().optional(),
          port: port.optional(),
          timeoutMs: z.number().int().positive().default(30_000),
          /** when clamd cannot be asked: try again later (tempfail) or pass the message unscanned */
          onError: z.enum(['tempfail', 'accept']).default('tempfail'),
        })
        .optional(),
    })
    .optional(),
  /** notifications (docs/workflows-alerts.md): the dashboard inbox always; mail when `smtp` names a relay */
  notify: z
    .strictObject({
      smtp: z
        .strictObject({
          host,
          port: port.default(25),
          /** TLS from the first byte (port 465); otherwise STARTTLS is used when the relay offers it */
          secure: z.boolean().default(false),
          /** refuse to send unless the relay offers STARTTLS */
          requireTls: z.boolean().default(false),
          /** the sender of every notification, e.g. `Hedgerow <hedgerow@school.example>` */
          from: z.string().min(3),
          auth: z.strictObject({ user: z.string().min(1), pass: z.string().min(1) }).optional(),
          timeoutMs: z.number().int().positive().default(30_000),
        })
        .optional(),
      /** a failed mail is tried again after firstDelay, doubling up to maxDelay, at most maxAttempts times */
      retry: z
        .strictObject({
          maxAttempts: z.number().int().min(1).max(100).default(10),
          firstDelaySeconds: z.number().int().min(1).default(30),
          maxDelaySeconds: z.number().int().min(1).default(3600),
        })
        .prefault({}),
    })
    .optional(),
  /** client networks mapped to roles (a pupil VLAN, a staff VLAN, guest Wi-Fi); most specific wins */
  networks: z.array(networkSchema).default([]),
  /** networks that bypass the proxy in the PAC file (local services) */
  pacBypass: z.array(z.string()).default(['localhost', '127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']),
  /** reload the policy when its files change (as well as on SIGHUP) */
  watchPolicy: z.boolean().default(true),
});

export type HedgerowConfig = z.infer<typeof configSchema>;
export type NetworkMapping = z.infer<typeof networkSchema>;
