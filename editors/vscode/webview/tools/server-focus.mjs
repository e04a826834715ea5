// Asks the real language server (`mlforge lsp`) for a focus answer of `mlforge/graph`:
//   node server-focus.mjs <mlforge> <file.mlf> <node id> <hops>   (JSON on stdout)
// Used by test/webview/fixtures/regenerate.sh for synthetic-5000-focus.json.
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [mlforge, file, node, hops] = process.argv.slice(2);
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
    if (message.id !== undefined && waiting.has(message.id)) {
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
const request = (method, params) =>
  new Promise((done) => {
    waiting.set(++id, done);
    send({ id, method, params });
  });

await request("initialize", { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { graphNotifications: false } });
send({ method: "initialized", params: {} });
const uri = pathToFileURL(resolve(file)).href;
const answer = await request("mlforge/graph", { uri, dot: false, focus: { node, hops: Number(hops) } });
if (answer.error) throw new Error(answer.error.message);
process.stdout.write(`${JSON.stringify(answer.result)}\n`);
await request("shutdown", null);
send({ method: "exit" });
