const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const IMF_FIXDATE =
  /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

/** IMF-fixdate (RFC 9110) of a µs timestamp; sub-second precision is dropped (floored). */
export function formatHttpDate(micros: number): string {
  const d = new Date(Math.floor(micros / 1_000_000) * 1000);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCFullYear()).padStart(4, '0')} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} GMT`;
}

/**
 * µs timestamp (whole seconds) of an HTTP-date, or null when it is not one. IMF-fixdate is read
 * strictly; the two obsolete forms RFC 9110 says recipients must accept go through Date.parse.
 */
export function parseHttpDate(text: string | null | undefined): number | null {
  if (typeof text !== 'string') return null;
  const s = text.trim();
  const m = IMF_FIXDATE.exec(s);
  let ms: number;
  if (m) {
    ms = Date.UTC(Number(m[4]), MONTHS.indexOf(m[3]), Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7]));
    // reject impossible dates (31 Feb) that Date.UTC would roll over
    if (new Date(ms).getUTCDate() !== Number(m[2]) || Number(m[5]) > 23 || Number(m[6]) > 59 || Number(m[7]) > 60) return null;
  } else if (
    /^[A-Za-z]+, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/.test(s) ||
    /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/.test(s)
  ) {
    ms = Date.parse(/GMT$/.test(s) ? s : `${s} GMT`);
  } else {
    return null;
  }
  if (!Number.isFinite(ms) || ms < 0) return null;
  return Math.floor(ms / 1000) * 1_000_000;
}
