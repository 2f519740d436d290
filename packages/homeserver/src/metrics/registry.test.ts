import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Gauge, Histogram, Registry } from './registry.ts';

test('registry: counters and gauges by label set, cumulative histogram buckets, escaped label values', () => {
  const r = new Registry();
  const c = r.register(new Counter('c_total', 'A counter.', ['k']));
  const g = r.register(new Gauge('g', 'A gauge.'));
  const h = r.register(new Histogram('h_ms', 'A histogram.', [1, 10]));
  c.inc({ k: 'a' });
  c.inc({ k: 'a' }, 2);
  c.inc({ k: 'quote"back\\slash\nnl' });
  g.add(3);
  g.add(-1);
  for (const v of [0.5, 5, 50]) h.observe(v);
  assert.equal(
    r.render(),
    [
      '# HELP c_total A counter.',
      '# TYPE c_total counter',
      'c_total{k="a"} 3',
      'c_total{k="quote\\"back\\\\slash\\nnl"} 1',
      '# HELP g A gauge.',
      '# TYPE g gauge',
      'g 2',
      '# HELP h_ms A histogram.',
      '# TYPE h_ms histogram',
      'h_ms_bucket{le="1"} 1',
      'h_ms_bucket{le="10"} 2',
      'h_ms_bucket{le="+Inf"} 3',
      'h_ms_sum 55.5',
      'h_ms_count 3',
      '',
    ].join('\n'),
  );
  assert.throws(() => c.inc({}), /label k missing/);
});
