// The SIMD BatchMatMul on the wasm backend's single-threaded build (plain WebAssembly.Memory).
import { batchMatMulSuite } from "./batch-matmul-cases";

batchMatMulSuite(1);
