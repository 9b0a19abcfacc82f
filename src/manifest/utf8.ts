// Bytes -> text, refusing anything that is not UTF-8 text, with the position of the first bad byte.

/** Offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF), or -1. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] ?? 0;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const extra =
      lead >= 0xc2 && lead <= 0xdf
        ? 1
        : lead >= 0xe0 && lead <= 0xef
          ? 2
          : lead >= 0xf0 && lead <= 0xf4
            ? 3
            : 0;
    if (extra === 0) return i;
    // The second byte's range narrows for the leads that could encode overlongs or surrogates.
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= extra; k++) {
      const byte = bytes[i + k];
      if (byte === undefined || byte < (k === 1 ? low : 0x80) || byte > (k === 1 ? high : 0xbf)) return i;
    }
    i += extra + 1;
  }
  return -1;
}

export type Decoded = { text: string } | { error: { line: number; column: number } };

/** Decodes UTF-8 text without a BOM; a NUL byte or invalid UTF-8 gives the 1-based position instead. */
export function decodeUtf8(bytes: Uint8Array): Decoded {
  let bad = invalidUtf8Offset(bytes);
  const nul = bytes.indexOf(0);
  if (nul !== -1 && (bad === -1 || nul < bad)) bad = nul;
  const decoder = new TextDecoder("utf-8", { ignoreBOM: false });
  if (bad === -1) return { text: decoder.decode(bytes) };
  const lineStart = bytes.lastIndexOf(0x0a, bad - 1) + 1;
  let line = 1;
  for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
  const column = decoder.decode(bytes.subarray(lineStart, bad)).length + 1;
  return { error: { line, column } };
}
