import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';

/**
 * WAL checkpoints off the event loop. SQLite's auto-checkpoint runs inside whichever COMMIT crosses
 * the threshold (1,000 pages by default) and includes an fsync of the database file: under write
 * load that stalls the event loop for 10–100 ms every few dozen commits, and was most of the commit
 * time in the homeserver benchmark. Here a worker thread with its own connection runs PASSIVE
 * checkpoints (they never block writers or readers) every `intervalMs`, so the writer's WAL is
 * normally restarted before its auto-checkpoint threshold is reached. The writer keeps a raised
 * auto-checkpoint as a safety net, so the WAL stays bounded even if the worker lags or dies.
 */
export interface CheckpointerOptions {
  /** How often the worker checkpoints (ms, default 50). */
  intervalMs?: number;
  /** Auto-checkpoint threshold (pages) kept on the writer as a safety net (default 10,000 ≈ 40 MB). */
  safetyNetPages?: number;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 0');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
let runs = 0;
const tick = () => {
  try {
    checkpoint.run();
    runs++;
  } catch (e) {
    // SQLITE_BUSY and friends: try again at the next tick.
  }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'now') {
    tick();
    parentPort.postMessage({ runs });
    return;
  }
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private exited: Promise<void>;

  constructor(db: Database, options: CheckpointerOptions = {}) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.floor(options.safetyNetPages ?? 10_000))}`);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, file: db.name, intervalMs: Math.max(1, Math.floor(options.intervalMs ?? 50)) },
      // Plain CommonJS: no loader hooks needed in the worker.
      execArgv: [],
    });
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    // A failing worker only means the writer's own auto-checkpoint takes over again.
    this.worker.on('error', () => {});
  }

  /** Runs one checkpoint now and resolves with the number of checkpoints run so far (tests). */
  checkpointNow(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: { runs: number }) => {
        this.worker.off('exit', onExit);
        this.worker.unref();
        resolve(m.runs);
      };
      const onExit = () => {
        this.worker.off('message', onMessage);
        reject(new Error('checkpointer exited'));
      };
      this.worker.once('message', onMessage);
      this.worker.once('exit', onExit);
      this.worker.ref();
      this.worker.postMessage('now');
    });
  }

  /** Stops the worker and closes its connection. */
  async close(): Promise<void> {
    // Keep the process alive until the worker has closed its connection.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}
