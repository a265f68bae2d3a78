import type { Features } from "../features";

/** What a file reader returns: columns in file order, and their types when the file states them. */
export type TableData = { columns: Map<string, unknown[]>; features?: Features };
