export { BACKEND_NAMES, BackendUnavailableError, Device, checkDevice, currentDevice, selectDevice, useBackend } from "./device";
export type { BackendName } from "./device";
