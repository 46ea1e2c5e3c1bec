// `hedgerow start` with the decision log's sink replaced by a no-op, for the peer benchmark only:
// the peers it is compared with log nothing, so this measures what recording every decision
// costs. Not a product setting: Hedgerow as shipped always logs (bench/peers.sh runs both).
// Run: node --import tsx bench/serve-without-log.ts CONFIG_FILE
import { loadConfig } from '../src/config/index.ts';
import { startHedgerow } from '../src/server/index.ts';
import { DecisionLog } from '../src/store/index.ts';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: serve-without-log.ts CONFIG_FILE\n');
  process.exit(2);
}
const { config, problems } = loadConfig({ file });
if (!config) {
  for (const p of problems) process.stderr.write(`${p.message}\n`);
  process.exit(1);
}

// The log is still opened (same start-up, same memory for its store); only the events handed to
// its sink are dropped.
const open = DecisionLog.open.bind(DecisionLog);
DecisionLog.open = (options) => {
  const log = open(options);
  Object.defineProperty(log, 'sink', { value: () => undefined });
  return log;
};

const running = await startHedgerow(config);
process.stdout.write('Hedgerow (decision log off) is running.\n');
const stop = (): void => {
  running.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
