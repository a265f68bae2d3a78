export { BACKEND_NAMES, BackendUnavailableError, Device, checkDevice, currentDevice, selectDevice, useBackend, wasmThreadsCount } from "./device";
export { wasmThreadsWanted } from "./wasm-threads";
export type { BackendName } from "./device";
export { wasmGemmLabel } from "./device";
export { fastTransposedMatMul } from "./matmul-capability";
export { nativeGemmActive, nativeGemmCalls, setNativeGemm } from "./wasm/gemm-kernels";
