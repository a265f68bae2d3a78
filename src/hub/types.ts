// The request every tier of the resolver answers (DESIGN.md §5).
export type RepoType = "model" | "dataset";

export type HubFileRequest = {
  /** "bert-base-uncased", "nyu-mll/glue", ... */
  repo: string;
  /** Path inside the repo, e.g. "config.json" or "mrpc/train-00000-of-00001.parquet". */
  file: string;
  repoType?: RepoType;
  /** Branch, tag or commit hash; "main" by default. */
  revision?: string;
};

export const DEFAULT_REVISION = "main";

/** "models" or "datasets": the mirror's top folder, the cache folder's prefix and the URL's. */
export function repoKind(request: HubFileRequest): "models" | "datasets" {
  return request.repoType === "dataset" ? "datasets" : "models";
}

/**
 * Refuse repo ids and file paths that would escape the mirror or cache folder ("..", absolute paths)
 * before any of them is joined to a local path.
 */
export function validateRequest(request: HubFileRequest): void {
  const repoOk = /^[\w.-]+(\/[\w.-]+)?$/.test(request.repo) && !request.repo.split("/").includes("..");
  if (!repoOk) {
    throw new Error(
      `Invalid Hub repo id "${request.repo}": expected "name" or "org/name" (letters, digits, "-", "_", "."). ` +
        `For a local checkpoint folder, pass a path that exists.`,
    );
  }
  const parts = request.file.split("/");
  if (request.file.length === 0 || request.file.startsWith("/") || parts.some((p) => p === ".." || p === "." || p === "")) {
    throw new Error(
      `Invalid file path "${request.file}" in repo "${request.repo}": expected a relative path inside the repo ` +
        `such as "config.json" or "mrpc/train-00000-of-00001.parquet".`,
    );
  }
  const revision = request.revision ?? DEFAULT_REVISION;
  if (revision.length === 0 || revision.split("/").some((p) => p === ".." || p === "")) {
    throw new Error(`Invalid revision "${revision}" for repo "${request.repo}": expected a branch, tag or commit hash.`);
  }
}
