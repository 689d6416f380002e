/** Bad input from the user: a clear message that names the file, the field and the fix. Exit 2. */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export const EXIT = {
  ok: 0,
  findings: 1,
  userError: 2,
  internal: 3,
} as const;
