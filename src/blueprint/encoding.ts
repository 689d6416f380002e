// Strict decoders for the encodings a blueprint (and its resources) may arrive in. Node's
// Buffer.from(s, 'base64') silently skips characters it does not know, which would turn a typo
// into corrupt bytes; these refuse instead, with a reason the caller puts in a UserError.

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/** Decodes base64 or base64url (padding optional, whitespace ignored). */
export function decodeBase64(text: string): Uint8Array {
  const s = text.replace(/\s+/g, '');
  const bad = /[^A-Za-z0-9+/_=-]/.exec(s);
  if (bad) throw new DecodeError(`character "${bad[0]}" at ${bad.index} is not base64`);
  const body = s.replace(/=+$/, '');
  if (body.includes('=')) throw new DecodeError('"=" padding in the middle');
  if (s.length - body.length > 2) throw new DecodeError('too much "=" padding');
  if (body.length % 4 === 1) throw new DecodeError('truncated (length is not valid base64)');
  return new Uint8Array(Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

export function encodeBase64Url(bytes: Uint8Array | string): string {
  return Buffer.from(bytes).toString('base64url');
}

/** Percent-decoding to bytes (decodeURIComponent throws on bytes that are not UTF-8). */
function percentDecode(s: string): Uint8Array {
  const out: number[] = [];
  const utf8 = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex))
        throw new DecodeError(`bad percent-escape "%${hex}" at ${i}`);
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(...utf8.encode(c));
  }
  return new Uint8Array(out);
}

export interface DataUrl {
  mediaType: string;
  bytes: Uint8Array;
}

/** Parses `data:[<media type>][;params][;base64],<data>` (RFC 2397). */
export function decodeDataUrl(url: string): DataUrl {
  if (!url.startsWith('data:')) throw new DecodeError('does not start with "data:"');
  const comma = url.indexOf(',');
  if (comma < 0) throw new DecodeError('has no "," between the media type and the data');
  const params = url.slice(5, comma).split(';');
  const isBase64 = params[params.length - 1]?.toLowerCase() === 'base64';
  if (isBase64) params.pop();
  const mediaType = params[0] || 'text/plain';
  const payload = url.slice(comma + 1);
  try {
    return { mediaType, bytes: isBase64 ? decodeBase64(payload) : percentDecode(payload) };
  } catch (e) {
    throw new DecodeError(`data: URL payload: ${(e as Error).message}`);
  }
}

/** UTF-8 bytes to text, refusing invalid sequences (a binary file is not a blueprint). */
export function utf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DecodeError('is not UTF-8 text');
  }
}
