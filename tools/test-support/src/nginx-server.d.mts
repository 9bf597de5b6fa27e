/** Debian's nginx (package nginx-light, installed by tools/setup-interop.sh). */
export declare const NGINX_BINARY: string;

/**
 * The locations every server has, each serving the same folder (`/<location>/<file>`):
 * - `ranges`: plain static serving, byte ranges on, strong ETag + Last-Modified;
 * - `no-ranges`: `max_ranges 0`, so a Range request gets the whole file (200);
 * - `no-etag`: `etag off`, so Last-Modified is the only validator;
 * - `slow`: ranges on but sent at 256 KiB/s, to have requests in flight long enough to abort them;
 * - `drop`: `return 444`, nginx closes the connection without answering;
 * - `status-<code>` for 404, 403, 503: that status, always.
 */
export type NginxLocation = 'ranges' | 'no-ranges' | 'no-etag' | 'slow' | 'drop' | 'status-404' | 'status-403' | 'status-503';

export interface NginxServer {
  /** The folder served. */
  readonly root: string;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** The URL of `file` (relative to the root, `/`-separated) under `location`. */
  url(location: NginxLocation, file: string): string;
  /** Stops nginx and removes its temp folder (not the served one). */
  stop(): Promise<void>;
}

/**
 * Starts nginx in the foreground (`-p <tmp> -c <tmp>/nginx.conf -g 'daemon off;'`, pid, logs and temp paths in a
 * temp folder) on a free 127.0.0.1 port, serving `root`. Check `nginx()` first.
 */
export declare function startNginx(root: string): Promise<NginxServer>;
