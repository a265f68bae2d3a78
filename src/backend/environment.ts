// The environment variables that choose the backend, checked before any backend loads. selectDevice tries the
// backends in turn and takes the next on failure: a bad KIT_WASM_THREADS would otherwise make the wasm
// backend fail to start and the run silently continue on the cpu one, 60-100x slower.
import { BACKEND_NAMES } from "./device";
import { wasmThreadsWanted } from "./wasm-threads";

export class BackendEnvironmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackendEnvironmentError";
  }
}

/** Throws a BackendEnvironmentError naming the variable, its value and what is valid. */
export function checkBackendEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  const backend = env.KIT_BACKEND?.trim();
  if (backend && !(BACKEND_NAMES as readonly string[]).includes(backend)) {
    throw new BackendEnvironmentError(`KIT_BACKEND=${backend} is not a backend; set it to one of ${BACKEND_NAMES.join(", ")}, or unset it for the fastest installed.`);
  }
  try {
    wasmThreadsWanted(env);
  } catch (err) {
    throw new BackendEnvironmentError((err as Error).message);
  }
}
