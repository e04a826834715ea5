import { test } from "node:test";
import assert from "node:assert/strict";
import { STD_SCHEME, STD_SOURCE_METHOD, StdSourceProvider, type StdSourceClient, type UriLike } from "../../src/std-source";

const uri = (text: string): UriLike => ({ scheme: text.slice(0, text.indexOf(":")), toString: () => text });

/** A client that records its requests and answers with `answer` (or throws it). */
function fakeClient(answer: (method: string, params: any) => unknown) {
  const calls: { method: string; params: any; token: unknown }[] = [];
  const client: StdSourceClient = {
    async sendRequest<R>(method: string, params: any, token?: any): Promise<R> {
      calls.push({ method, params, token });
      return answer(method, params) as R;
    },
  };
  return { client, calls };
}

test("std source: asks the server with the document's URI and shows its text", async () => {
  const text = "// Reading and writing files.\nop read_text(file: File) -> (text: string) {}\n";
  const { client, calls } = fakeClient(() => ({ text }));
  const provider = new StdSourceProvider(() => client);
  const token = { isCancellationRequested: false };
  assert.equal(await provider.provideTextDocumentContent(uri("mlforge-std:/io.mlf"), token), text);
  assert.deepEqual(calls, [{ method: "mlforge/stdSource", params: { uri: "mlforge-std:/io.mlf" }, token }]);
  assert.equal(STD_SCHEME, "mlforge-std");
  assert.equal(STD_SOURCE_METHOD, "mlforge/stdSource");
});

test("std source: an empty module is shown empty, not as an error", async () => {
  const { client } = fakeClient(() => ({ text: "" }));
  assert.equal(await new StdSourceProvider(() => client).provideTextDocumentContent(uri("mlforge-std:/data.mlf")), "");
});

test("std source: asks the client current at each request (after a restart, the new one)", async () => {
  const first = fakeClient(() => ({ text: "old" }));
  const second = fakeClient(() => ({ text: "new" }));
  let current: StdSourceClient | undefined = first.client;
  const provider = new StdSourceProvider(() => current);
  assert.equal(await provider.provideTextDocumentContent(uri("mlforge-std:/io.mlf")), "old");
  current = second.client;
  assert.equal(await provider.provideTextDocumentContent(uri("mlforge-std:/io.mlf")), "new");
  assert.equal(first.calls.length, 1);
  assert.equal(second.calls.length, 1);
});

test("std source: the server's error (an unknown module) becomes an error naming the URI", async () => {
  const { client } = fakeClient(() => {
    throw { code: -32602, message: "the op library has no module `nope`" };
  });
  await assert.rejects(
    new StdSourceProvider(() => client).provideTextDocumentContent(uri("mlforge-std:/nope.mlf")),
    (e: Error) => e.message.includes("mlforge-std:/nope.mlf") && e.message.includes("no module `nope`"),
  );
});

test("std source: no server running is an error saying what to do, with no request", async () => {
  await assert.rejects(
    new StdSourceProvider(() => undefined).provideTextDocumentContent(uri("mlforge-std:/io.mlf")),
    /language server is not running.*Restart Server/,
  );
});

test("std source: an answer without text is an error, never shown as text", async () => {
  for (const answer of [null, undefined, {}, { text: 3 }, "io"]) {
    const { client } = fakeClient(() => answer);
    await assert.rejects(new StdSourceProvider(() => client).provideTextDocumentContent(uri("mlforge-std:/io.mlf")), /without its text/);
  }
});

test("std source: other schemes are refused without asking the server", async () => {
  const { client, calls } = fakeClient(() => ({ text: "x" }));
  await assert.rejects(new StdSourceProvider(() => client).provideTextDocumentContent(uri("file:///w/io.mlf")), /not a source of the MLForge op library/);
  assert.equal(calls.length, 0);
});
