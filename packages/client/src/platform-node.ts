// Selected by the `#platform` import condition outside browsers: Node's fetch keeps no cookies, so
// the SDK keeps its own jar.
export const defaultCookieMode: 'jar' | 'browser' = 'jar';
