// `node --import ./scripts/ts-loader.mjs file.ts`: runs our TypeScript the way tsx does for this
// repository (type annotations stripped by esbuild, one file at a time), at half of tsx's start-up
// cost (0.16 s of CPU instead of 0.35 s here), which the test suite pays once per process, a few
// hundred times per run. It only handles what the repository uses: ESM `.ts` files named with their
// extension; everything else goes to Node's own loader. Transforms are cached on disk by content.
// The tools people run (npm start, the CLI, benchmarks) stay on tsx, which handles every case.
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./ts-loader-hooks.mjs', import.meta.url);
