/**
 * Loads the daemon, which stays tsc's unbundled ES modules (see
 * scripts/bundle-cli.ts). A file of its own so that its import() lands in a
 * chunk of its own: code-cache.ts leaves a file holding import() uncached,
 * and main.ts's chunk is the one most worth caching.
 */
export const loadServe = () => import("./serve.js");
