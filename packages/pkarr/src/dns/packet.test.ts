import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PubkyError, bytesToHex, hexToBytes, utf8Encode } from '@pubky-ts/common';
import { decodeDnsPacket, encodeDnsPacket } from './packet.ts';
import type { DnsRecord, SVCBRecord } from './types.ts';
import { formatIPv6, parseIPv6 } from './ip.ts';
import { txtRecord, txtText } from './txt.ts';

const Z32 = '8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo';
// spec §11.4: 155-byte packet, _pubky HTTPS prio 0 target <z32>, apex A 127.0.0.1 via pointer c013
const VECTOR_11_4 =
  '000080000000000200000000065f7075626b79343870696e787867717334316e346169646964656e773561707170317572666d7a647a7472386a74346162726b646e34333565776f000041000100000e1000380000343870696e787867717334316e346169646964656e773561707170317572666d7a647a7472386a74346162726b646e34333565776f00c0130001000100000e1000047f000001';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PubkyError, `expected a PubkyError, got ${String(e)}`);
    return e.code;
  }
  assert.fail('expected an error');
}

test('decodes the §11.4 vector and re-encodes it byte for byte', () => {
  const bytes = hexToBytes(VECTOR_11_4);
  assert.equal(bytes.length, 155);
  const p = decodeDnsPacket(bytes);
  assert.equal(p.id, 0);
  assert.equal(p.flags, 0x8000);
  assert.deepEqual(p.answers, [
    { name: `_pubky.${Z32}`, ttl: 3600, class: 1, type: 'HTTPS', priority: 0, target: Z32, params: {} },
    { name: Z32, ttl: 3600, class: 1, type: 'A', address: '127.0.0.1' },
  ]);
  assert.equal(bytesToHex(encodeDnsPacket({ answers: p.answers })), VECTOR_11_4);
});

// RFC 9460 Appendix D wire-format vectors (rdata only)
const SVCB_VECTORS: Array<[string, string, Omit<SVCBRecord, 'name' | 'ttl' | 'type'>]> = [
  ['D.1 AliasMode', '0000' + '03666f6f076578616d706c6503636f6d00', { priority: 0, target: 'foo.example.com', params: {} }],
  ['D.2.3 target "."', '000100', { priority: 1, target: '.', params: {} }],
  [
    'D.2.4 port',
    '0010' + '03666f6f076578616d706c6503636f6d00' + '000300020035',
    { priority: 16, target: 'foo.example.com', params: { port: 53 } },
  ],
  [
    'D.2.6 generic key 667',
    '0001' + '03666f6f076578616d706c6503636f6d00' + '029b000968656c6c6fd2716f6f',
    { priority: 1, target: 'foo.example.com', params: { other: [{ key: 667, value: hexToBytes('68656c6c6fd2716f6f') }] } },
  ],
  [
    'D.2.7 two ipv6 hints',
    '0001' + '03666f6f076578616d706c6503636f6d00' + '00060020' + '20010db8000000000000000000000001' + '20010db8000000000000000000530001',
    { priority: 1, target: 'foo.example.com', params: { ipv6hint: ['2001:db8::1', '2001:db8::53:1'] } },
  ],
  [
    'D.2.10 mandatory, alpn, ipv4hint',
    '0010' + '03666f6f076578616d706c65036f726700' + '000000040001000400010009026832056833' + '2d3139' + '00040004c0000201',
    { priority: 16, target: 'foo.example.org', params: { mandatory: [1, 4], alpn: ['h2', 'h3-19'], ipv4hint: ['192.0.2.1'] } },
  ],
];

function rdataOf(bytes: Uint8Array): string {
  // single answer with owner "." (1 byte), so rdata starts at 12 + 1 + 10
  return bytesToHex(bytes.subarray(23));
}

for (const [label, hex, rdata] of SVCB_VECTORS) {
  test(`SVCB ${label}`, () => {
    const record: DnsRecord = { name: '.', ttl: 300, type: 'SVCB', ...rdata };
    const bytes = encodeDnsPacket({ answers: [record] });
    assert.equal(rdataOf(bytes), hex);
    const decoded = decodeDnsPacket(bytes).answers[0];
    assert.deepEqual(decoded, { ...record, class: 1 });
  });
}

test('SvcParams on the wire are sorted whatever the object order, and 65280 stays raw', () => {
  const record: DnsRecord = {
    name: '@',
    ttl: 3600,
    type: 'HTTPS',
    priority: 10,
    target: 'localhost',
    params: { other: [{ key: 65280, value: Uint8Array.of(0x18, 0x8e) }], port: 6287, alpn: ['h2'] },
  };
  const bytes = encodeDnsPacket({ answers: [record] });
  const d = decodeDnsPacket(bytes).answers[0] as SVCBRecord;
  assert.deepEqual(d.params, { alpn: ['h2'], port: 6287, other: [{ key: 65280, value: Uint8Array.of(0x18, 0x8e) }] });
});

test('SvcParams: duplicate and unsorted keys are refused', () => {
  assert.equal(
    code(() =>
      encodeDnsPacket({
        answers: [
          { name: 'a', ttl: 1, type: 'SVCB', priority: 1, target: '.', params: { port: 1, other: [{ key: 3, value: new Uint8Array(2) }] } },
        ],
      }),
    ),
    'dns_bad_svc_params',
  );
  assert.equal(
    code(() =>
      encodeDnsPacket({
        answers: [
          {
            name: 'a',
            ttl: 1,
            type: 'SVCB',
            priority: 1,
            target: '.',
            params: {
              other: [
                { key: 9, value: new Uint8Array(0) },
                { key: 9, value: new Uint8Array(0) },
              ],
            },
          },
        ],
      }),
    ),
    'dns_bad_svc_params',
  );
  // hand-built rdata: port(3) then alpn(1)
  const base = encodeDnsPacket({ answers: [{ name: '.', ttl: 1, type: 'SVCB', priority: 1, target: '.', params: {} }] });
  const params = hexToBytes('000300020035' + '0001000302683' + '2');
  const unsorted = withRdata(base, hexToBytes('000100'), params);
  assert.equal(
    code(() => decodeDnsPacket(unsorted)),
    'dns_bad_svc_params',
  );
  const dup = withRdata(base, hexToBytes('000100'), hexToBytes('000300020035000300020036'));
  assert.equal(
    code(() => decodeDnsPacket(dup)),
    'dns_bad_svc_params',
  );
  const badPort = withRdata(base, hexToBytes('000100'), hexToBytes('0003000135'));
  assert.equal(
    code(() => decodeDnsPacket(badPort)),
    'dns_bad_svc_params',
  );
  const overrun = withRdata(base, hexToBytes('000100'), hexToBytes('000300090035'));
  assert.equal(
    code(() => decodeDnsPacket(overrun)),
    'dns_bad_svc_params',
  );
});

/** Replaces the rdata of the single record (owner ".") of `base` by prefix ‖ params. */
function withRdata(base: Uint8Array, prefix: Uint8Array, params: Uint8Array): Uint8Array {
  const head = base.slice(0, 21);
  const len = prefix.length + params.length;
  const out = new Uint8Array(23 + len);
  out.set(head);
  out[21] = len >> 8;
  out[22] = len & 0xff;
  out.set(prefix, 23);
  out.set(params, 23 + prefix.length);
  return out;
}

test('names repeat as compression pointers and decode back', () => {
  const records: DnsRecord[] = [
    { name: `a.${Z32}`, ttl: 30, type: 'A', address: '1.2.3.4' },
    { name: `b.a.${Z32}`, ttl: 30, type: 'AAAA', address: '2001:db8::1' },
    { name: Z32, ttl: 30, type: 'CNAME', target: `a.${Z32}` },
    { name: Z32, ttl: 30, type: 'NS', target: 'ns.example.com' },
    txtRecord(`_t.${Z32}`, 'x'.repeat(600), 30),
    { name: Z32, ttl: 30, type: 'UNKNOWN', typeCode: 99, rdata: Uint8Array.of(1, 2, 3) },
  ];
  const bytes = encodeDnsPacket({ answers: records });
  const z32Count = bytesToHex(bytes).split(bytesToHex(utf8Encode(Z32))).length - 1;
  assert.equal(z32Count, 1, 'the key label is written once');
  const d = decodeDnsPacket(bytes);
  assert.deepEqual(
    d.answers,
    records.map((r) => ({ ...r, class: 1 })),
  );
  assert.equal(txtText(d.answers[4] as never), 'x'.repeat(600));
  assert.deepEqual(
    (d.answers[4] as { strings: Uint8Array[] }).strings.map((s) => s.length),
    [255, 255, 90],
  );
});

test('uncompressed packets decode too (old npm pkarr wrote them)', () => {
  const bytes = hexToBytes('000084000000000100000000' + '03666f6f00' + '0001000100000e1000047f000001');
  const d = decodeDnsPacket(bytes);
  assert.equal(d.flags, 0x8400);
  assert.deepEqual(d.answers, [{ name: 'foo', ttl: 3600, class: 1, type: 'A', address: '127.0.0.1' }]);
});

test('decoder errors are precise', () => {
  const ok = hexToBytes(VECTOR_11_4);
  assert.equal(
    code(() => decodeDnsPacket(new Uint8Array(5))),
    'dns_truncated',
  );
  assert.equal(
    code(() => decodeDnsPacket(ok.subarray(0, 100))),
    'dns_truncated',
  );
  assert.equal(
    code(() => decodeDnsPacket(ok.subarray(0, 154))),
    'dns_truncated',
  );
  const trailing = new Uint8Array(156);
  trailing.set(ok);
  assert.equal(
    code(() => decodeDnsPacket(trailing)),
    'dns_trailing_bytes',
  );
  assert.equal(decodeDnsPacket(trailing, { trailingBytes: 'ignore' }).answers.length, 2);
  // forward pointer
  const fwd = ok.slice();
  fwd[139] = 0xc0;
  fwd[140] = 0xff;
  assert.equal(
    code(() => decodeDnsPacket(fwd)),
    'dns_bad_pointer',
  );
  assert.equal(ok[139], 0xc0, 'the vector has its pointer at offset 139');
  // pointer to itself
  const self = ok.slice();
  self[140] = 139;
  assert.equal(
    code(() => decodeDnsPacket(self)),
    'dns_bad_pointer',
  );
  // pointer into the header
  const hdr = ok.slice();
  hdr[140] = 4;
  assert.equal(
    code(() => decodeDnsPacket(hdr)),
    'dns_bad_pointer',
  );
  // a loop that adds labels each round: "\x01a" then pointer back to it
  const loop = hexToBytes('000080000000000100000000' + '0161c00c' + '0001000100000e1000047f000001');
  assert.equal(
    code(() => decodeDnsPacket(loop)),
    'dns_name_too_long',
  );
  // label length 64 (0x40 label type)
  const lbl = ok.slice();
  lbl[12] = 0x40;
  assert.equal(
    code(() => decodeDnsPacket(lbl)),
    'dns_label_too_long',
  );
  // name longer than 255 bytes from chained labels
  const long =
    '000080000000000100000000' +
    '3f' +
    '61'.repeat(63) +
    '3f' +
    '62'.repeat(63) +
    '3f' +
    '63'.repeat(63) +
    '3f' +
    '64'.repeat(63) +
    '00' +
    '0001000100000e1000047f000001';
  assert.equal(
    code(() => decodeDnsPacket(hexToBytes(long))),
    'dns_name_too_long',
  );
  // A with 5 bytes
  const a5 = hexToBytes('000080000000000100000000' + '00' + '0001000100000e1000057f00000101');
  assert.equal(
    code(() => decodeDnsPacket(a5)),
    'dns_bad_rdata',
  );
  // CNAME whose name leaves a byte unread
  const cn = hexToBytes('000080000000000100000000' + '00' + '0005000100000e100003' + '000000');
  assert.equal(
    code(() => decodeDnsPacket(cn)),
    'dns_bad_rdata',
  );
  // CNAME whose name runs past its rdata
  const cn2 = hexToBytes('000080000000000100000000' + '00' + '0005000100000e100002' + '01610000');
  assert.equal(
    code(() => decodeDnsPacket(cn2, { trailingBytes: 'ignore' })),
    'dns_truncated',
  );
  // TXT string overrunning its rdata
  const txt = hexToBytes('000080000000000100000000' + '00' + '0010000100000e100002' + '0561');
  assert.equal(
    code(() => decodeDnsPacket(txt)),
    'dns_bad_rdata',
  );
});

test('encoder refuses bad input with codes', () => {
  const rec = (r: Record<string, unknown>) => () => encodeDnsPacket({ answers: [r as unknown as DnsRecord] });
  assert.equal(code(rec({ name: 'x'.repeat(64), ttl: 1, type: 'A', address: '1.1.1.1' })), 'dns_label_too_long');
  assert.equal(code(rec({ name: Array(60).fill('abcd').join('.'), ttl: 1, type: 'A', address: '1.1.1.1' })), 'dns_name_too_long');
  assert.equal(code(rec({ name: 'a..b', ttl: 1, type: 'A', address: '1.1.1.1' })), 'dns_empty_label');
  assert.equal(code(rec({ name: 'a', ttl: -1, type: 'A', address: '1.1.1.1' })), 'dns_invalid_record');
  assert.equal(code(rec({ name: 'a', ttl: 2 ** 32, type: 'A', address: '1.1.1.1' })), 'dns_invalid_record');
  assert.equal(code(rec({ name: 'a', ttl: 1, type: 'A', address: '1.1.1.256' })), 'dns_invalid_record');
  assert.equal(code(rec({ name: 'a', ttl: 1, type: 'AAAA', address: '1::2::3' })), 'dns_invalid_record');
  assert.equal(code(rec({ name: 'a', ttl: 1, type: 'MX', address: '' })), 'dns_invalid_record');
  assert.equal(code(rec({ name: 'a', ttl: 1, type: 'TXT', strings: [new Uint8Array(256)] })), 'dns_invalid_record');
  assert.equal(code(rec({ name: 'a', ttl: 1, type: 'HTTPS', priority: 70000, target: '.', params: {} })), 'dns_invalid_record');
});

test('IPv6 text forms', () => {
  const cases: Array<[string, string]> = [
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:1.2.3.4', '::ffff:102:304'],
    ['fe80::', 'fe80::'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ];
  for (const [input, canonical] of cases) assert.equal(formatIPv6(parseIPv6(input)), canonical, input);
  for (const bad of ['', ':', '1:2:3:4:5:6:7:8:9', '1::2::3', 'g::', '12345::', '1:2:3:4:5:6:7', '::1.2.3']) {
    assert.equal(
      code(() => parseIPv6(bad)),
      'dns_invalid_record',
      bad,
    );
  }
});
