// The fused AdamW update on the wasm backend's threaded build (shared WebAssembly.Memory, so the kernel's
// binary variant importing a shared memory).
import { fusedAdamWSuite } from "./fused-adamw-cases";

fusedAdamWSuite(2);
