// inPlaceWriter on the wasm backend's threaded build (shared WebAssembly.Memory).
import { inPlaceWriterSuite } from "./in-place-writer-cases";

inPlaceWriterSuite(2);
