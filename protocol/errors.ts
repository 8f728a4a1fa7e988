// Errors that cross a boundary carry a code a program can act on and a message a person can act on.

export const ERROR_CODES = [
  'model-missing',
  'model-corrupt',
  'model-config',
  'model-unsupported',
  'text-empty',
  'text-too-long',
  'bad-request',
  'cancelled',
  'download',
  'process-crashed',
  'timeout',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorInfo {
  readonly code: ErrorCode;
  readonly message: string;
}

export class GlassboxError extends Error implements ErrorInfo {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GlassboxError';
  }
}

/** The ErrorInfo of anything thrown: our own errors keep their code, anything else is 'internal'. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof GlassboxError) return { code: error.code, message: error.message };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}
