// A Hub-shaped HTTP server on 127.0.0.1 (random port): GET <prefix><repo>/resolve/<revision>/<file> with the
// headers the real Hub sends (X-Repo-Commit, ETag = git blob sha1 for small files; LFS files answer a 302
// to a storage host carrying X-Linked-Etag = sha256 and X-Linked-Size), plus faults on demand.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const COMMIT = "0123456789abcdef0123456789abcdef01234567";

export type Fault =
  | { kind: "cut"; afterBytes: number }
  | { kind: "stall"; afterBytes: number }
  | { kind: "status"; status: number; errorCode?: string }
  | { kind: "no-etag" };

export type HubEntry = { content: Buffer; lfs?: boolean; fault?: Fault };

export type SeenRequest = { url: string; authorization: string | undefined; host: string };

export function gitBlobSha1(content: Buffer): string {
  return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}

export function sha256(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; origin: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

export class FakeHub {
  /** "/<repo>/resolve/<revision>/<file>" or "/datasets/<repo>/resolve/..." -> entry */
  readonly files = new Map<string, HubEntry>();
  readonly requests: SeenRequest[] = [];
  origin = "";
  storageOrigin = "";
  private hub: Server | undefined;
  private storage: Server | undefined;

  async start(): Promise<void> {
    const hub = await listen((req, res) => this.serveHub(req, res));
    const storage = await listen((req, res) => this.serveStorage(req, res));
    this.hub = hub.server;
    this.origin = hub.origin;
    this.storage = storage.server;
    this.storageOrigin = storage.origin;
  }

  async stop(): Promise<void> {
    for (const server of [this.hub, this.storage]) {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    }
  }

  add(path: string, entry: HubEntry): void {
    this.files.set(path, entry);
  }

  private record(req: IncomingMessage): void {
    this.requests.push({ url: req.url ?? "", authorization: req.headers.authorization, host: req.headers.host ?? "" });
  }

  private serveHub(req: IncomingMessage, res: ServerResponse): void {
    this.record(req);
    const entry = this.files.get(decodeURIComponent(req.url ?? ""));
    if (entry === undefined) {
      res.writeHead(404, { "x-error-code": "EntryNotFound", "x-error-message": "Entry not found" });
      res.end("Entry not found");
      return;
    }
    if (entry.fault?.kind === "status") {
      const headers: Record<string, string> = entry.fault.errorCode ? { "x-error-code": entry.fault.errorCode } : {};
      res.writeHead(entry.fault.status, headers);
      res.end("error");
      return;
    }
    if (entry.lfs) {
      const oid = sha256(entry.content);
      res.writeHead(302, {
        location: `${this.storageOrigin}/lfs/${oid}`,
        "x-repo-commit": COMMIT,
        "x-linked-etag": `"${oid}"`,
        "x-linked-size": String(entry.content.length),
        etag: `"${gitBlobSha1(Buffer.from("pointer"))}"`,
      });
      res.end();
      return;
    }
    const headers: Record<string, string> = {
      "content-length": String(entry.content.length),
      "content-type": "application/octet-stream",
      "x-repo-commit": COMMIT,
    };
    if (entry.fault?.kind !== "no-etag") headers.etag = `"${gitBlobSha1(entry.content)}"`;
    this.sendBody(res, entry, headers);
  }

  private serveStorage(req: IncomingMessage, res: ServerResponse): void {
    this.record(req);
    const oid = (req.url ?? "").replace(/^\/lfs\//, "");
    const entry = [...this.files.values()].find((e) => e.lfs && sha256(e.content) === oid);
    if (entry === undefined) {
      res.writeHead(404);
      res.end();
      return;
    }
    this.sendBody(res, entry, { "content-length": String(entry.content.length), "content-type": "application/octet-stream" });
  }

  private sendBody(res: ServerResponse, entry: HubEntry, headers: Record<string, string>): void {
    res.writeHead(200, headers);
    const fault = entry.fault;
    if (fault?.kind === "cut" || fault?.kind === "stall") {
      res.write(entry.content.subarray(0, fault.afterBytes));
      // Let the bytes reach the client, then drop the connection (cut) or say nothing more (stall).
      if (fault.kind === "cut") setTimeout(() => res.socket?.destroy(), 50);
      return;
    }
    res.end(entry.content);
  }
}
