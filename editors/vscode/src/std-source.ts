// The op library's sources as read-only documents: go to definition on a `std/` op (or on
// `import "std/io"`) lands in `mlforge-std:/io.mlf`, whose text only the language server
// has (the modules are embedded in the `mlforge` binary). This provider asks it with the
// custom request `mlforge/stdSource` (see crates/lsp/README.md).
//
// No `vscode` import at run time, so that the unit tests can load it: the extension
// registers it with `vscode.workspace.registerTextDocumentContentProvider(STD_SCHEME, …)`.
// Documents of a content provider are read-only; the `.mlf` ending gives them the
// `mlforge` language (highlighting, and the server's hover and navigation inside them).

/** The URI scheme of std sources: `mlforge-std:/<name>.mlf`. */
export const STD_SCHEME = "mlforge-std";

/** The server's request for a std source's text. */
export const STD_SOURCE_METHOD = "mlforge/stdSource";

export interface StdSourceParams {
  uri: string;
}

export interface StdSourceResult {
  text: string;
}

/** What the provider needs of a language client (vscode-languageclient's fits). */
export interface StdSourceClient {
  sendRequest<R>(method: string, params: any, token?: any): Promise<R>;
}

/** The parts of a `vscode.Uri` the provider reads. */
export interface UriLike {
  readonly scheme: string;
  toString(): string;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === "object" && typeof (error as { message?: unknown }).message === "string") {
    return (error as { message: string }).message;
  }
  return String(error);
}

/** Serves `mlforge-std:` documents from the running server's answers. */
export class StdSourceProvider {
  /** `client` gives the current language client (it changes when the server restarts). */
  constructor(private readonly client: () => StdSourceClient | undefined) {}

  async provideTextDocumentContent(uri: UriLike, token?: unknown): Promise<string> {
    const name = uri.toString();
    if (uri.scheme !== STD_SCHEME) {
      throw new Error(`${name} is not a source of the MLForge op library (${STD_SCHEME}:)`);
    }
    const client = this.client();
    if (!client) {
      throw new Error(
        `Cannot show ${name}: the MLForge language server is not running. Run "MLForge: Restart Server" and open it again.`,
      );
    }
    let answer: unknown;
    try {
      answer = await client.sendRequest<StdSourceResult>(STD_SOURCE_METHOD, { uri: name } satisfies StdSourceParams, token);
    } catch (error) {
      throw new Error(`Cannot show ${name}: ${describe(error)}`);
    }
    const text = (answer as Partial<StdSourceResult> | null | undefined)?.text;
    if (typeof text !== "string") {
      throw new Error(`Cannot show ${name}: the language server answered without its text`);
    }
    return text;
  }
}
