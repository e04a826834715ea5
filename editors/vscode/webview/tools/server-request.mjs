// Asks the real language server (`mlforge lsp`) one request about a file and prints the
// result as JSON:
//   node server-request.mjs <mlforge> <file.mlf> <method> '<params as JSON>'
// `"$URI"` in the params stands for the file's URI; the file's folder is the workspace.
// Used by test/webview/fixtures/regenerate.sh (a focus answer, the ops of the palette).
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { startServer } from "./lsp.mjs";

const [mlforge, file, method, params] = process.argv.slice(2);
const uri = pathToFileURL(resolve(file)).href;
const server = await startServer(mlforge, pathToFileURL(dirname(resolve(file))).href);
const answer = await server.request(method, JSON.parse(params.replaceAll('"$URI"', JSON.stringify(uri))));
if (answer.error) throw new Error(answer.error.message);
process.stdout.write(`${JSON.stringify(answer.result)}\n`);
await server.close();
