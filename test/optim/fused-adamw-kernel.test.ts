// The fused AdamW update on the wasm backend's single-threaded build (plain WebAssembly.Memory).
import { fusedAdamWSuite } from "./fused-adamw-cases";

fusedAdamWSuite(1);
