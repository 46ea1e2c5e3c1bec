#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

register();
// `hedgerow logs tail | head` closes the pipe early; that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { runCli } = await import('../src/cli/main.ts');
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  // Touching process.stdin opens it and keeps the process alive; only commands that read it do.
  get stdin() {
    return process.stdin;
  },
  env: process.env,
  now: () => Date.now(),
});
process.exitCode = code;
