/**
 * A small Prometheus registry (text exposition format 0.0.4): counters and gauges with labels, and
 * histograms with fixed buckets. Label names are fixed per metric and values come from short
 * closed sets, so a series is keyed by its joined label values.
 */

type Labels = Record<string, string>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(names: readonly string[], values: readonly string[], extra = ''): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i]!)}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function formatNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
}

interface Metric {
  render(): string;
}

abstract class Labelled<S> implements Metric {
  protected readonly series = new Map<string, { values: string[]; state: S }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly type: string,
  ) {}

  protected state(labels: Labels | undefined): S {
    const values = this.labelNames.map((n) => {
      const v = labels?.[n];
      if (v === undefined) throw new Error(`metric ${this.name}: label ${n} missing`);
      return v;
    });
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      s = { values, state: this.initial() };
      this.series.set(key, s);
    }
    return s.state;
  }

  protected abstract initial(): S;
  protected abstract lines(labelValues: readonly string[], state: S): string[];

  render(): string {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const { values, state } of this.series.values()) out.push(...this.lines(values, state));
    return out.join('\n');
  }
}

export class Counter extends Labelled<{ v: number }> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, 'counter');
    if (labelNames.length === 0) this.state(undefined);
  }
  inc(labels?: Labels, by = 1): void {
    this.state(labels).v += by;
  }
  protected initial() {
    return { v: 0 };
  }
  protected lines(values: readonly string[], s: { v: number }) {
    return [`${this.name}${labelText(this.labelNames, values)} ${formatNumber(s.v)}`];
  }
}

export class Gauge extends Labelled<{ v: number }> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, 'gauge');
    if (labelNames.length === 0) this.state(undefined);
  }
  add(by: number, labels?: Labels): void {
    this.state(labels).v += by;
  }
  protected initial() {
    return { v: 0 };
  }
  protected lines(values: readonly string[], s: { v: number }) {
    return [`${this.name}${labelText(this.labelNames, values)} ${formatNumber(s.v)}`];
  }
}

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Labelled<HistogramState> {
  constructor(
    name: string,
    help: string,
    readonly buckets: readonly number[],
    labelNames: readonly string[] = [],
  ) {
    super(name, help, labelNames, 'histogram');
    if (labelNames.length === 0) this.state(undefined);
  }
  observe(value: number, labels?: Labels): void {
    const s = this.state(labels);
    s.sum += value;
    s.count++;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
  }
  protected initial(): HistogramState {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }
  protected lines(values: readonly string[], s: HistogramState) {
    const out = this.buckets.map(
      (b, i) => `${this.name}_bucket${labelText(this.labelNames, values, `le="${formatNumber(b)}"`)} ${s.counts[i]}`,
    );
    out.push(`${this.name}_bucket${labelText(this.labelNames, values, 'le="+Inf"')} ${s.count}`);
    out.push(`${this.name}_sum${labelText(this.labelNames, values)} ${formatNumber(s.sum)}`);
    out.push(`${this.name}_count${labelText(this.labelNames, values)} ${s.count}`);
    return out;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  register<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return `${this.metrics.map((m) => m.render()).join('\n')}\n`;
  }
}
