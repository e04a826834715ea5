// A minimal LSP client over stdio for the tools and benchmarks that ask the real language
// server (`mlforge lsp`) directly: requests with their answers, notifications, shutdown.
import { spawn } from "node:child_process";

/** Starts `mlforge lsp` and initializes it with `rootUri` as the workspace. */
export async function startServer(mlforge, rootUri = null) {
  const server = spawn(mlforge, ["lsp"], { stdio: ["pipe", "pipe", "inherit"] });
  let buffer = Buffer.alloc(0);
  const waiting = new Map();
  server.stdout.on("data", (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, end).toString())[1]);
      if (buffer.length < end + 4 + length) return;
      const message = JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString("utf8"));
      buffer = buffer.subarray(end + 4 + length);
      if (message.id !== undefined && message.method === undefined && waiting.has(message.id)) {
        waiting.get(message.id)(message);
        waiting.delete(message.id);
      }
    }
  });
  let id = 0;
  const send = (message) => {
    const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }));
    server.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    server.stdin.write(body);
  };
  /** The whole response: `{ result }` or `{ error }`. */
  const request = (method, params) =>
    new Promise((done) => {
      waiting.set(++id, done);
      send({ id, method, params });
    });
  const notify = (method, params) => send({ method, params });
  const folders = rootUri ? [{ uri: rootUri, name: "workspace" }] : null;
  await request("initialize", { processId: process.pid, rootUri, workspaceFolders: folders, capabilities: { workspace: { workspaceEdit: { documentChanges: true } } }, initializationOptions: { graphNotifications: false } });
  notify("initialized", {});
  return {
    request,
    notify,
    async close() {
      await request("shutdown", null);
      notify("exit");
    },
  };
}
