// inPlaceWriter on the wasm backend's single-threaded build (plain WebAssembly.Memory).
import { inPlaceWriterSuite } from "./in-place-writer-cases";

inPlaceWriterSuite(1);
