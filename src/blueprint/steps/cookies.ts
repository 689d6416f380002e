// A cookie jar for one blueprint run: `login` fills it, `request`/`runPhpScript` send it. Every
// request runs in a fresh PHP runtime, so the session lives here, not in php-wasm.
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  /** Takes the response's Set-Cookie headers (expired or "deleted" cookies are dropped). */
  update(headers: Record<string, string[]>): void {
    for (const [name, values] of Object.entries(headers)) {
      if (name.toLowerCase() !== 'set-cookie') continue;
      for (const value of values) {
        const [pair = '', ...attrs] = value.split(';');
        const eq = pair.indexOf('=');
        if (eq <= 0) continue;
        const key = pair.slice(0, eq).trim();
        const val = pair.slice(eq + 1).trim();
        const expires = attrs
          .map((a) => a.trim())
          .find((a) => a.toLowerCase().startsWith('expires='));
        const maxAge = attrs
          .map((a) => a.trim())
          .find((a) => a.toLowerCase().startsWith('max-age='));
        const expired =
          val === '' ||
          val === 'deleted' ||
          (maxAge !== undefined && Number(maxAge.slice(8)) <= 0) ||
          (expires !== undefined && Date.parse(expires.slice(8)) < Date.now());
        if (expired) this.cookies.delete(key);
        else this.cookies.set(key, val);
      }
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** The Cookie header to send, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}
