// Build facts. The single-executable build replaces these through esbuild `define`.
declare const __MK_VERSION__: string | undefined;
declare const __MK_COMMIT__: string | undefined;
declare const __MK_BUILD_DATE__: string | undefined;

/** package.json's version; test/ci/release-files.test.ts keeps the two equal. */
export const VERSION = typeof __MK_VERSION__ !== "undefined" ? __MK_VERSION__ : "0.1.0";
export const COMMIT = typeof __MK_COMMIT__ !== "undefined" ? __MK_COMMIT__ : "dev";
export const BUILD_DATE = typeof __MK_BUILD_DATE__ !== "undefined" ? __MK_BUILD_DATE__ : "dev";
