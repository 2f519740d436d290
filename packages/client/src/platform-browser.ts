// Selected by the `#platform` import condition in browser bundles: the browser's own cookie store
// holds the session cookies (HttpOnly, sent with `credentials: 'include'`).
export const defaultCookieMode: 'jar' | 'browser' = 'browser';
