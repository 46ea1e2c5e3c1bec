// The CLI's public face.
export { runCli, type CliIo } from './main.ts';
export { decisionJson, toQuery, type CheckRequest } from './check.ts';
