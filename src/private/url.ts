/** URL helpers for validation messages. Internal: no entry point exports this module. */

/** Whether `hostname` (as `URL` gives it) is a loopback address or name. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || /^127(\.\d{1,3}){3}$/.test(host) || host === "[::1]";
}

/**
 * A URL with any `user:password@` part replaced by `***@`, so an error message never shows
 * credentials: also behind leading whitespace, and after backslashes, which URL parsing reads
 * as slashes. In any other text that holds an "@", everything up to the last one is redacted.
 */
export function redactUrlCredentials(url: string): string {
  // Greedy up to the LAST "@" of the authority, as URL parsing splits it: a password may hold "@".
  const scheme = /^(\s*[A-Za-z][A-Za-z0-9+.-]*:[\\/]*)[^/?#\\]*@/;
  if (scheme.test(url)) return url.replace(scheme, "$1***@");
  // Where credentials would end is unknown: everything up to the last "@" goes.
  const at = url.lastIndexOf("@");
  return at < 0 ? url : `***${url.slice(at)}`;
}
