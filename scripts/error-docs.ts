/**
 * `npm run docs:errors`: rewrites the generated error-code table of each package README from the
 * package's catalogue. `npm run docs:errors -- --check` only reports stale tables (exit 1).
 * Each package's catalogue test makes the same comparison, so a stale table fails `npm test`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { COMMON_ERROR_DOCS, renderErrorTable, readErrorSection, writeErrorSection, type ErrorDoc } from '@pubky-ts/common';
import { CLI_ERROR_DOCS } from '../packages/cli/src/cli-error.ts';
import { CLIENT_ERROR_DOCS } from '../packages/client/src/error-catalogue.ts';
import { DHT_ERROR_DOCS } from '../packages/dht/src/errors.ts';
import { PKARR_ERROR_DOCS } from '../packages/pkarr/src/errors.ts';
import { HOMESERVER_ERROR_DOCS } from '../packages/homeserver/src/errors/catalogue.ts';
import { RELAY_ERROR_DOCS } from '../packages/relay/src/relay-errors.ts';

const root = new URL('..', import.meta.url).pathname;

/** README (relative to the repository root) → the codes it documents. */
const ERROR_DOCS: ReadonlyArray<{ readme: string; docs: readonly ErrorDoc[] }> = [
  { readme: 'packages/common/README.md', docs: COMMON_ERROR_DOCS },
  { readme: 'packages/homeserver/README.md', docs: HOMESERVER_ERROR_DOCS },
  { readme: 'packages/dht/README.md', docs: DHT_ERROR_DOCS },
  { readme: 'packages/pkarr/README.md', docs: PKARR_ERROR_DOCS },
  { readme: 'packages/client/README.md', docs: CLIENT_ERROR_DOCS },
  { readme: 'packages/relay/README.md', docs: RELAY_ERROR_DOCS },
  { readme: 'packages/cli/README.md', docs: CLI_ERROR_DOCS },
];

const check = process.argv.includes('--check');
let stale = 0;
for (const { readme, docs } of ERROR_DOCS) {
  const path = root + readme;
  const text = readFileSync(path, 'utf8');
  const table = renderErrorTable(docs);
  if (readErrorSection(text) === table) continue;
  stale++;
  if (check) console.error(`${readme}: the error-code table is stale (run npm run docs:errors)`);
  else {
    writeFileSync(path, writeErrorSection(text, table));
    console.log(`${readme}: error-code table written (${docs.length} codes)`);
  }
}
if (check && stale > 0) process.exit(1);
if (!check && stale === 0) console.log('every error-code table is up to date');
