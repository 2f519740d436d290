#!/usr/bin/env node
// The `pubky` executable. Installed from its package it runs the compiled JavaScript in ../dist; in
// the repository (where ../src is and nothing needs building) it runs the TypeScript through tsx.
import { existsSync } from 'node:fs';

const source = new URL('../src/main.ts', import.meta.url);
let entry;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = source.href;
} else {
  entry = new URL('../dist/main.js', import.meta.url).href;
}
const { runFromCommandLine } = await import(entry);
await runFromCommandLine();
