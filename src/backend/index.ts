export { BACKEND_NAMES, BackendUnavailableError, Device, checkDevice, currentDevice, selectDevice, useBackend, wasmThreadsCount } from "./device";
export { wasmThreadsWanted } from "./wasm-threads";
export type { BackendName } from "./device";
