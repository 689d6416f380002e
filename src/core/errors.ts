import { renderInputs, type InputSpelling } from './inputs.js';

/**
 * Bad input from the user: a clear message that names the file, the field and the fix. Exit 2.
 * Inputs are named with input() (core/inputs.ts); the front end spells them with spelled().
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }

  /** The same error with its input references spelled for one front end. */
  spelled(spell: InputSpelling): UserError {
    const out = new UserError(
      renderInputs(this.message, spell),
      this.hint !== undefined ? renderInputs(this.hint, spell) : undefined,
    );
    if (this.stack !== undefined) out.stack = this.stack;
    return out;
  }
}

export const EXIT = {
  ok: 0,
  findings: 1,
  userError: 2,
  internal: 3,
} as const;
