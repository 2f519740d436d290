// HTTP-date (RFC 9110 §5.6.7) for pkarr relay headers. Packet timestamps are µs; HTTP dates
// carry whole seconds, so formatting truncates and parsing yields a whole-second µs value.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** IMF-fixdate of a µs timestamp, truncated to the second: `Sun, 06 Nov 1994 08:49:37 GMT`. */
export function formatHttpDate(micros: number): string {
  return new Date(Math.floor(micros / 1_000_000) * 1000).toUTCString();
}

/**
 * Parses the three HTTP-date forms (IMF-fixdate, obsolete RFC 850 and asctime) into µs since the
 * epoch (a multiple of 1 000 000). Answers null for anything else, which callers ignore as RFC
 * 9110 asks for an invalid If-Modified-Since.
 */
export function parseHttpDate(value: string): number | null {
  const s = value.trim();
  let day: number, mon: number, year: number, h: number, mi: number, sec: number;
  let m = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/.exec(s);
  if (m) {
    [day, mon, year, h, mi, sec] = [Number(m[1]), MONTHS.indexOf(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])];
  } else if ((m = /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/.exec(s))) {
    const yy = Number(m[3]);
    // RFC 9110: a two-digit year more than 50 years in the future means the past century.
    const nowYear = new Date().getUTCFullYear();
    year = 2000 + yy > nowYear + 50 ? 1900 + yy : 2000 + yy;
    [day, mon, h, mi, sec] = [Number(m[1]), MONTHS.indexOf(m[2]), Number(m[4]), Number(m[5]), Number(m[6])];
  } else if ((m = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/.exec(s))) {
    [mon, day, h, mi, sec, year] = [MONTHS.indexOf(m[1]), Number(m[2].trim()), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])];
  } else {
    return null;
  }
  if (mon < 0 || day < 1 || day > 31 || h > 23 || mi > 59 || sec > 60) return null;
  const ms = Date.UTC(year, mon, day, h, mi, Math.min(sec, 59));
  const check = new Date(ms);
  if (check.getUTCDate() !== day) return null; // e.g. 31 Feb
  return ms * 1000;
}
