// How a generated nginx.conf turns HTTP/2 on for a TLS listener, by nginx version (pure).
// nginx 1.25.1 added the `http2 on;` directive and deprecated the `http2` parameter of `listen`;
// Debian 12 ships 1.22.1, which knows only the parameter. The bench writes what the installed
// nginx understands, so the config never warns or fails on either side of 1.25.1.

/** The parts of the server block that turn h2 on: a suffix for `listen ... ssl` and a directive line (or none). */
export interface NginxHttp2Config {
  listenSuffix: string;
  directive: string | undefined;
}

/** `version` as `nginx -v` prints it ("1.22.1"); an unreadable one is taken as old (the parameter still works on new ones, with a warning). */
export function nginxHttp2Config(version: string): NginxHttp2Config {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  const [major, minor, patch] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  const hasDirective = major > 1 || (major === 1 && (minor > 25 || (minor === 25 && patch >= 1)));
  return hasDirective ? { listenSuffix: '', directive: 'http2 on;' } : { listenSuffix: ' http2', directive: undefined };
}
