// The backend as a user picks it (torch.device's role): the device, the backends' names, the error when the
// one asked for is missing. Everything else in src/backend is the kit's own machinery.
export { BACKEND_NAMES, BackendUnavailableError, Device, currentDevice, selectDevice, useBackend, type BackendName } from "./device";
