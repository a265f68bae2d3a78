// The SIMD BatchMatMul on the wasm backend's threaded build (shared WebAssembly.Memory, so the kernel's
// binary variant importing a shared memory).
import { batchMatMulSuite } from "./batch-matmul-cases";

batchMatMulSuite(2);
