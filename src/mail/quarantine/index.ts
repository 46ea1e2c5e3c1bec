// The sealed quarantine: AES-256-GCM at rest, content only after a challenge, every read audited.
export { Quarantine, type ChallengeParty, type QuarantineChallenge, type QuarantineOptions, type QuarantineStatus, type QuarantineSummary } from './quarantine-store.ts';
export { KeyRing, parseQuarantineKey, quarantineKeyId, readQuarantineKey, type QuarantineKey, type Sealed } from './sealed-box.ts';
export { quarantineRoutes, addressesAtDomains, type QuarantineRouteDeps } from './routes.ts';
