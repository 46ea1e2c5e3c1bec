// A short cache of name lookups for the proxy's own resolver. Every CONNECT resolves its host
// before answering, and `dns.lookup` runs on libuv's thread pool; with the cache a busy site's
// tunnels skip it. Answers are still checked against the forbidden targets on every use (the
// guard runs after the cache), and failures are not cached.
export interface ResolveCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export function cachedResolver(resolve: (host: string) => Promise<string[]>, options: ResolveCacheOptions = {}): (host: string) => Promise<string[]> {
  const ttlMs = options.ttlMs ?? 30_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const answers = new Map<string, { addresses: string[]; expires: number }>();
  const inFlight = new Map<string, Promise<string[]>>();
  return (host: string) => {
    const key = host.toLowerCase();
    const cached = answers.get(key);
    if (cached && cached.expires > now()) return Promise.resolve(cached.addresses);
    const pending = inFlight.get(key);
    if (pending) return pending;
    const lookup = resolve(key).then(
      (addresses) => {
        inFlight.delete(key);
        // Oldest first out when full: Map keeps insertion order.
        if (answers.size >= maxEntries) answers.delete(answers.keys().next().value as string);
        answers.delete(key);
        answers.set(key, { addresses, expires: now() + ttlMs });
        return addresses;
      },
      (error: unknown) => {
        inFlight.delete(key);
        throw error;
      },
    );
    inFlight.set(key, lookup);
    return lookup;
  };
}
