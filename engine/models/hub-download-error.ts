// One error type for everything that can go wrong while fetching a model from the Hub. The extension picks its
// reaction from `code` and shows `message` as it is, so every message says what happened and what to do next.
// The class does not survive the trip to the extension host (IPC carries plain data): send `code` and `message`.

export type HubErrorCode =
  /** The Hub could not be reached, or the connection kept dropping. */
  | 'offline'
  /** No such model, revision or file (or a private model without a token). */
  | 'not-found'
  /** The Hub answered with an error that retrying did not fix, or with something that is not the Hub. */
  | 'http'
  /** A downloaded file does not have the size or checksum the Hub lists; it was deleted. */
  | 'corrupt'
  /** The Hub lists a file larger than Glassbox reads of its kind (model-folder.ts); nothing was fetched. */
  | 'too-large'
  /** The caller's AbortSignal fired. */
  | 'cancelled'
  /** The cache folder could not be created or written (full disk, permissions). */
  | 'disk';

export class HubDownloadError extends Error {
  override readonly name = 'HubDownloadError';

  constructor(
    readonly code: HubErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The way out when the Hub cannot help: a model folder the user already has. */
export const LOCAL_MODEL_HINT =
  'Set glassbox.model to a local folder holding config.json, model.safetensors and tokenizer.json to work ' +
  'offline.';

/** The part of an error worth showing a user: Node's network errors hide the useful code in `cause`. */
export function describeCause(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}

/** A failed file-system call in the cache, worded for the person who has to free space or fix permissions. */
export function diskError(path: string, error: unknown): HubDownloadError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? `The disk holding ${path} is full. Free up space and try again; the download resumes where it stopped.`
      : `Could not write ${path} (${describeCause(error)}). Check that the folder is writable and try again.`;
  return new HubDownloadError('disk', message, { cause: error });
}

/** Runs a file-system operation, turning its failure into a 'disk' error so it is never retried as network trouble. */
export async function onDisk<T>(path: string, operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof HubDownloadError) throw error;
    throw diskError(path, error);
  }
}
