// A small transfer-progress line for stderr, without dependencies:
//   put hello.bin  12.0 MiB / 40.0 MiB  30%  8.1 MiB/s  ETA 4s
// On a terminal the line is redrawn in place (at most 10 times a second); elsewhere (--progress with
// stderr redirected) one line is written per second. Short transfers draw nothing unless forced.

export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  label: string;
  /** Total bytes when known (enables percent and ETA). */
  total?: number | null;
  /** Where to draw (default process.stderr). */
  sink?: ProgressSink;
  /** true: always draw (--progress); false: never (--no-progress); undefined: when the sink is a TTY. */
  force?: boolean;
  /** Draw nothing before this many ms have passed (default 500; 0 when forced). */
  delayMs?: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${UNITS[i]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class Progress {
  readonly label: string;
  readonly total: number | null;
  bytes = 0;
  private readonly sink: ProgressSink;
  private readonly enabled: boolean;
  private readonly tty: boolean;
  private readonly delayMs: number;
  private readonly now: () => number;
  private readonly started: number;
  private lastDraw = -Infinity;
  private drawn = false;
  private finished = false;
  private lastWidth = 0;

  constructor(options: ProgressOptions) {
    this.label = options.label;
    this.total = options.total ?? null;
    this.sink = options.sink ?? process.stderr;
    this.tty = Boolean(this.sink.isTTY);
    this.enabled = options.force ?? this.tty;
    this.delayMs = options.delayMs ?? (options.force ? 0 : 500);
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
  }

  /** The status line as it would be drawn now. */
  line(): string {
    const elapsed = Math.max(1e-3, (this.now() - this.started) / 1000);
    const rate = this.bytes / elapsed;
    const parts = [this.label, this.total !== null ? `${formatBytes(this.bytes)} / ${formatBytes(this.total)}` : formatBytes(this.bytes)];
    if (this.total !== null && this.total > 0) parts.push(`${Math.min(100, Math.floor((this.bytes / this.total) * 100))}%`);
    parts.push(`${formatBytes(Math.round(rate))}/s`);
    if (this.finished) parts.push(`in ${formatDuration(elapsed)}`);
    else if (this.total !== null && rate > 0) parts.push(`ETA ${formatDuration(Math.max(0, this.total - this.bytes) / rate)}`);
    return parts.join('  ');
  }

  /** Counts transferred bytes and redraws when it is time. */
  add(n: number): void {
    this.bytes += n;
    if (!this.enabled || this.finished) return;
    const t = this.now();
    if (t - this.started < this.delayMs) return;
    if (t - this.lastDraw < (this.tty ? 100 : 1000)) return;
    this.lastDraw = t;
    this.draw();
  }

  /** Draws the final line (when anything was drawn, or when forced) and ends it with a newline. */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.enabled || (!this.drawn && this.now() - this.started < this.delayMs)) return;
    this.draw();
    if (this.tty) this.sink.write('\n');
  }

  /** Clears the line without a summary (on errors). */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.drawn && this.tty) this.sink.write('\r\x1b[K');
  }

  private draw(): void {
    const text = this.line();
    if (this.tty) {
      this.sink.write(`\r${text}${' '.repeat(Math.max(0, this.lastWidth - text.length))}`);
      this.lastWidth = text.length;
    } else {
      this.sink.write(`${text}\n`);
    }
    this.drawn = true;
  }
}

/** Passes chunks through, counting them into `progress`. */
export async function* counted(source: AsyncIterable<Uint8Array>, progress: Progress): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    progress.add(chunk.length);
    yield chunk;
  }
}

/** --progress / --no-progress as a force flag. */
export function progressForce(values: Record<string, unknown>): boolean | undefined {
  if (values['no-progress']) return false;
  if (values.progress) return true;
  return undefined;
}

export const progressOptions = {
  progress: { type: 'boolean' as const },
  'no-progress': { type: 'boolean' as const },
};

export const progressUsage = `      --progress            show progress on stderr even when it is not a terminal
      --no-progress         never show progress`;
