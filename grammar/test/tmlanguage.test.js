// Tokenizes MLForge sources with ../mlforge.tmLanguage.json (the real TextMate engine used by
// VS Code: vscode-textmate + the Oniguruma WebAssembly build), with the Python and shell
// grammars registered for the embedded code bodies, and checks the scopes of chosen tokens.
//
// Run: cd grammar/test && npm ci && npm test

'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const GRAMMAR = path.join(__dirname, '..', 'mlforge.tmLanguage.json');
const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const QUICKSTART = path.join(EXAMPLES, 'quickstart.mlf');

const GRAMMAR_FILES = {
  'source.mlforge': GRAMMAR,
  'source.python': require.resolve('tm-grammars/grammars/python.json'),
  'source.shell': require.resolve('tm-grammars/grammars/shellscript.json'),
};

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      const file = GRAMMAR_FILES[scopeName];
      if (!file) return null;
      return vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file);
    },
  });
  const grammar = await registry.loadGrammar('source.mlforge');
  assert.ok(grammar, 'source.mlforge did not load');
  return grammar;
}

const grammarReady = loadGrammar();

/** Tokenizes `text`; returns { lines, tokens } with 1-based line numbers. */
async function tokenize(text) {
  const grammar = await grammarReady;
  const lines = text.split(/\r?\n/);
  const tokens = [];
  let state = vsctm.INITIAL;
  lines.forEach((line, index) => {
    const result = grammar.tokenizeLine(line, state);
    for (const t of result.tokens) {
      tokens.push({
        line: index + 1,
        text: line.slice(t.startIndex, t.endIndex),
        scopes: t.scopes,
      });
    }
    state = result.ruleStack;
  });
  return { lines, tokens };
}

/** 1-based number of the first line containing `needle` (after line `from`). */
function lineOf(doc, needle, from = 0) {
  const index = doc.lines.findIndex((l, i) => i >= from && l.includes(needle));
  assert.notEqual(index, -1, `no line contains ${JSON.stringify(needle)}`);
  return index + 1;
}

function describeLine(doc, line) {
  return doc.tokens
    .filter((t) => t.line === line && t.text.trim() !== '')
    .map((t) => `  ${JSON.stringify(t.text)}  ${t.scopes.join(' ')}`)
    .join('\n');
}

/** The `nth` token on `line` whose text, trimmed, is `text`. */
function tokenAt(doc, line, text, nth = 0) {
  const found = doc.tokens.filter((t) => t.line === line && t.text.trim() === text);
  assert.ok(
    found.length > nth,
    `no token ${JSON.stringify(text)} (#${nth}) on line ${line}: ${JSON.stringify(doc.lines[line - 1])}\n` +
      describeLine(doc, line),
  );
  return found[nth];
}

/** Asserts that the token has every scope in `scopes` (exact names) and none in `absent`. */
function expectScopes(doc, line, text, scopes, { nth = 0, absent = [] } = {}) {
  const token = tokenAt(doc, line, text, nth);
  for (const scope of [].concat(scopes)) {
    assert.ok(
      token.scopes.includes(scope),
      `token ${JSON.stringify(text)} on line ${line} lacks scope ${scope}; it has:\n  ${token.scopes.join('\n  ')}`,
    );
  }
  for (const scope of absent) {
    assert.ok(
      !token.scopes.includes(scope),
      `token ${JSON.stringify(text)} on line ${line} should not have scope ${scope}; it has:\n  ${token.scopes.join('\n  ')}`,
    );
  }
  return token;
}

function expectScopeMatching(doc, line, text, pattern, options = {}) {
  const token = tokenAt(doc, line, text, options.nth);
  assert.ok(
    token.scopes.some((s) => pattern.test(s)),
    `token ${JSON.stringify(text)} on line ${line} has no scope matching ${pattern}; it has:\n  ${token.scopes.join('\n  ')}`,
  );
  return token;
}

function mlfFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return mlfFiles(full);
    return entry.name.endsWith('.mlf') ? [full] : [];
  });
}

// ---------------------------------------------------------------------------------------
// quickstart.mlf
// ---------------------------------------------------------------------------------------

test('quickstart: comments', async () => {
  const doc = await tokenize(fs.readFileSync(QUICKSTART, 'utf8'));
  expectScopes(doc, 1, '//', ['comment.line.double-slash.mlforge', 'punctuation.definition.comment.mlforge']);
  const doc5 = lineOf(doc, '/// Rows of (x, y)');
  expectScopes(doc, doc5, '///', ['comment.line.documentation.mlforge', 'punctuation.definition.comment.mlforge']);
  expectScopes(doc, doc5, 'Rows of (x, y) with y = 3x + 1 + noise, as CSV.', 'comment.line.documentation.mlforge', {
    absent: ['comment.line.double-slash.mlforge'],
  });
});

test('quickstart: op signature', async () => {
  const doc = await tokenize(fs.readFileSync(QUICKSTART, 'utf8'));
  const line = lineOf(doc, 'op make_data(');
  expectScopes(doc, line, 'op', 'keyword.declaration.mlforge');
  expectScopes(doc, line, 'make_data', 'entity.name.function.op.mlforge');
  expectScopes(doc, line, 'rows', ['variable.parameter.mlforge', 'meta.parameter.mlforge']);
  expectScopes(doc, line, 'int', 'support.type.primitive.mlforge');
  expectScopes(doc, line, '200', 'constant.numeric.integer.mlforge');
  expectScopes(doc, line, '->', 'keyword.operator.arrow.mlforge');
  expectScopes(doc, line, 'table', 'variable.parameter.output.mlforge');
  expectScopes(doc, line, 'Dataset', 'support.type.artifact.mlforge');

  const split = lineOf(doc, 'op split(');
  expectScopes(doc, split, '0.25', 'constant.numeric.float.mlforge');
});

test('quickstart: list<float> and list<Model> types', async () => {
  const doc = await tokenize(fs.readFileSync(QUICKSTART, 'utf8'));
  const line = lineOf(doc, 'op pick_best(');
  expectScopes(doc, line, 'models', 'variable.parameter.mlforge');
  expectScopes(doc, line, 'list', ['support.type.list.mlforge', 'meta.type.list.mlforge'], { nth: 0 });
  expectScopes(doc, line, '<', 'punctuation.definition.typeparameters.begin.mlforge', { nth: 0 });
  expectScopes(doc, line, 'Model', ['support.type.artifact.mlforge', 'meta.type.list.mlforge'], { nth: 0 });
  expectScopes(doc, line, 'float', ['support.type.primitive.mlforge', 'meta.type.list.mlforge'], { nth: 0 });
  expectScopes(doc, line, '>', 'punctuation.definition.typeparameters.end.mlforge', { nth: 1 });

  const pipeline = lineOf(doc, 'pipeline quickstart(');
  expectScopes(doc, pipeline, 'pipeline', 'keyword.declaration.mlforge');
  expectScopes(doc, pipeline, 'quickstart', 'entity.name.function.pipeline.mlforge');
  expectScopes(doc, pipeline, 'rates', 'variable.parameter.mlforge');
  expectScopes(doc, pipeline, 'float', ['support.type.primitive.mlforge', 'meta.type.list.mlforge'], { nth: 0 });
  expectScopes(doc, pipeline, '[', 'punctuation.section.brackets.begin.mlforge');
  expectScopes(doc, pipeline, '0.001', 'constant.numeric.float.mlforge');
});

test('quickstart: attribute with a duration', async () => {
  const doc = await tokenize(fs.readFileSync(QUICKSTART, 'utf8'));
  const line = lineOf(doc, 'timeout = 1m');
  expectScopes(doc, line, 'timeout', 'entity.other.attribute-name.mlforge');
  expectScopes(doc, line, '=', 'keyword.operator.assignment.mlforge');
  expectScopes(doc, line, '1', 'constant.numeric.duration.mlforge');
  expectScopes(doc, line, 'm', ['constant.numeric.duration.mlforge', 'keyword.other.unit.mlforge']);
});

test('quickstart: python body embeds Python, with ${…} taking precedence', async () => {
  const doc = await tokenize(fs.readFileSync(QUICKSTART, 'utf8'));
  const open = lineOf(doc, 'python """');
  expectScopes(doc, open, 'python', 'keyword.other.body.mlforge');
  expectScopes(doc, open, '"""', 'punctuation.definition.string.begin.mlforge');

  const imp = lineOf(doc, 'import random');
  const keyword = expectScopes(doc, imp, 'import', ['source.python', 'meta.embedded.block.python']);
  assert.ok(
    keyword.scopes.some((s) => /^keyword\..*\.python$/.test(s)),
    `import in the body is not a Python keyword: ${keyword.scopes.join(' ')}`,
  );
  assert.ok(!keyword.scopes.includes('keyword.declaration.mlforge'));

  const seed = lineOf(doc, 'random.seed(${seed})');
  const common = ['meta.interpolation.mlforge', 'meta.embedded.block.python', 'source.python'];
  expectScopes(doc, seed, '${', [...common, 'punctuation.definition.interpolation.begin.mlforge']);
  expectScopes(doc, seed, 'seed', [...common, 'variable.other.interpolation.mlforge'], { nth: 1 });
  expectScopes(doc, seed, '}', [...common, 'punctuation.definition.interpolation.end.mlforge']);

  // Inside a Python call's arguments, the interpolation still wins.
  const opened = lineOf(doc, 'with open(${table}');
  expectScopes(doc, opened, 'table', ['variable.other.interpolation.mlforge', 'meta.function-call.arguments.python']);
  expectScopeMatching(doc, opened, 'with', /^keyword\.control\..*\.python$/);
});

test('quickstart: the closing quotes end the body', async () => {
  const doc = await tokenize(fs.readFileSync(QUICKSTART, 'utf8'));
  const start = lineOf(doc, 'op make_data(');
  const open = lineOf(doc, '"""', start); // the opening line of make_data's body
  const end = lineOf(doc, '"""', open); // its closing line
  expectScopes(doc, end, '"""', 'punctuation.definition.string.end.mlforge', {
    absent: ['source.python', 'meta.embedded.block.python'],
  });
  expectScopes(doc, end + 1, '}', 'punctuation.section.block.end.mlforge', { absent: ['meta.body.python.mlforge'] });
  // The next item is highlighted as MLForge again.
  const next = lineOf(doc, '/// Splits a CSV table');
  expectScopes(doc, next, '///', 'comment.line.documentation.mlforge');
});

test('quickstart: shell body embeds shell', async () => {
  const doc = await tokenize(fs.readFileSync(QUICKSTART, 'utf8'));
  const open = lineOf(doc, 'shell """');
  expectScopes(doc, open, 'shell', 'keyword.other.body.mlforge');
  const cp = lineOf(doc, 'cp ${model}');
  const token = expectScopes(doc, cp, 'cp', ['source.shell', 'meta.embedded.block.shell']);
  assert.ok(
    token.scopes.some((s) => s.endsWith('.shell') && s !== 'source.shell' && !s.startsWith('meta.embedded')),
    `cp has no shell token scope: ${token.scopes.join(' ')}`,
  );
  expectScopes(doc, cp, 'model', ['variable.other.interpolation.mlforge', 'source.shell']);
  expectScopes(doc, cp, 'bundle', 'variable.other.interpolation.mlforge');
  const printf = lineOf(doc, 'printf');
  expectScopeMatching(doc, printf, 'printf', /\.shell$/);
  expectScopes(doc, printf, 'name', 'variable.other.interpolation.mlforge');
});

test('quickstart: pipeline statements', async () => {
  const doc = await tokenize(fs.readFileSync(QUICKSTART, 'utf8'));
  const step = lineOf(doc, 'step data  = make_data(rows: 300)');
  expectScopes(doc, step, 'step', 'keyword.declaration.mlforge');
  expectScopes(doc, step, 'data', 'entity.name.variable.step.mlforge');
  expectScopes(doc, step, 'make_data', 'entity.name.function.call.mlforge');
  expectScopes(doc, step, 'rows', 'variable.parameter.argument.mlforge');
  expectScopes(doc, step, '300', 'constant.numeric.integer.mlforge');

  const ref = lineOf(doc, 'step parts = split(data: data.table)');
  expectScopes(doc, ref, 'data', 'variable.parameter.argument.mlforge', { nth: 0 });
  expectScopes(doc, ref, 'data', 'variable.other.object.mlforge', { nth: 1 });
  expectScopes(doc, ref, 'table', 'variable.other.property.mlforge');

  const loop = lineOf(doc, 'for lr in rates');
  expectScopes(doc, loop, 'for', 'keyword.control.mlforge');
  expectScopes(doc, loop, 'lr', 'variable.other.loop.mlforge');
  expectScopes(doc, loop, 'in', 'keyword.control.mlforge');

  const cond = lineOf(doc, 'if best.mse <= max_mse');
  expectScopes(doc, cond, 'if', 'keyword.control.mlforge');
  expectScopes(doc, cond, '<=', 'keyword.operator.comparison.mlforge');
  const release = lineOf(doc, 'step release');
  expectScopes(doc, release, 'line-fit', 'string.quoted.double.mlforge');
});

test('every example program tokenizes without invalid tokens and ends at the top level', async () => {
  const files = mlfFiles(EXAMPLES).filter((f) => path.basename(f) !== 'bad.mlf');
  assert.ok(files.length >= 1, `no .mlf files under ${EXAMPLES}`);
  for (const file of files) {
    const doc = await tokenize(fs.readFileSync(file, 'utf8'));
    const invalid = doc.tokens.filter((t) => t.scopes.some((s) => s.startsWith('invalid.')));
    assert.deepEqual(
      invalid.map((t) => `${path.basename(file)}:${t.line} ${JSON.stringify(t.text)}`),
      [],
      `${file} has invalid tokens`,
    );
    const last = doc.tokens.filter((t) => t.text.trim() !== '').at(-1);
    assert.deepEqual(last.scopes, ['source.mlforge', 'punctuation.section.block.end.mlforge'], `${file}: last token`);
  }
});

// ---------------------------------------------------------------------------------------
// Targeted snippets
// ---------------------------------------------------------------------------------------

test('imports, artifacts and qualified types', async () => {
  const doc = await tokenize(
    [
      'import "../shared/io.mlf" as io',
      '/// A kind.',
      'artifact Features: Dataset',
      'artifact Snapshot: io.Features',
      'artifact Report',
      'op f(x: int?, y: list<list<io.Kind>>?) { shell file "f.sh" }',
    ].join('\n'),
  );
  expectScopes(doc, 1, 'import', 'keyword.declaration.mlforge');
  expectScopes(doc, 1, '../shared/io.mlf', 'string.quoted.double.mlforge');
  expectScopes(doc, 1, 'as', 'keyword.declaration.mlforge');
  expectScopes(doc, 1, 'io', 'entity.name.namespace.mlforge');
  expectScopes(doc, 2, 'A kind.', 'comment.line.documentation.mlforge');
  expectScopes(doc, 3, 'artifact', 'keyword.declaration.mlforge');
  expectScopes(doc, 3, 'Features', 'entity.name.type.artifact.mlforge');
  expectScopes(doc, 3, 'Dataset', 'support.type.artifact.mlforge');
  expectScopes(doc, 4, 'io', 'entity.name.namespace.mlforge');
  expectScopes(doc, 4, 'Features', 'entity.name.type.mlforge');
  expectScopes(doc, 5, 'Report', 'entity.name.type.artifact.mlforge');
  expectScopes(doc, 6, '?', 'keyword.operator.optional.mlforge', { nth: 0 });
  expectScopes(doc, 6, 'list', 'support.type.list.mlforge', { nth: 1 });
  expectScopes(doc, 6, 'Kind', 'entity.name.type.mlforge');
  expectScopes(doc, 6, '?', 'keyword.operator.optional.mlforge', { nth: 1 });
  expectScopes(doc, 6, 'shell', 'keyword.other.body.mlforge');
  expectScopes(doc, 6, 'file', 'keyword.other.body.mlforge');
});

test('attributes and attribute blocks', async () => {
  const doc = await tokenize(
    [
      'op train() -> (model: Model) {',
      '  image   = "python:3.12-slim"',
      '  retries = 2',
      '  cache   = true',
      '  resources { cpu = 2  memory = "4Gi"  gpu = 0 }',
      '  env { OMP_NUM_THREADS = "2", MODE = "fast" }',
      '  python file "train.py"',
      '}',
    ].join('\n'),
  );
  expectScopes(doc, 2, 'image', 'entity.other.attribute-name.mlforge');
  expectScopes(doc, 3, 'retries', 'entity.other.attribute-name.mlforge');
  expectScopes(doc, 4, 'true', 'constant.language.boolean.mlforge');
  expectScopes(doc, 5, 'resources', ['entity.other.attribute-name.mlforge', 'meta.attribute.block.mlforge']);
  expectScopes(doc, 5, 'cpu', 'entity.other.attribute-name.entry.mlforge');
  expectScopes(doc, 5, 'memory', 'entity.other.attribute-name.entry.mlforge');
  expectScopes(doc, 5, '4Gi', 'string.quoted.double.mlforge');
  expectScopes(doc, 5, 'gpu', 'entity.other.attribute-name.entry.mlforge');
  expectScopes(doc, 6, 'env', 'entity.other.attribute-name.mlforge');
  expectScopes(doc, 6, 'OMP_NUM_THREADS', 'entity.other.attribute-name.entry.mlforge');
  expectScopes(doc, 6, 'MODE', 'entity.other.attribute-name.entry.mlforge');
  expectScopes(doc, 7, 'python', 'keyword.other.body.mlforge');
  expectScopes(doc, 8, '}', 'punctuation.section.block.end.mlforge', { absent: ['meta.attribute.block.mlforge'] });
});

test('literals: strings with escapes, numbers, durations, booleans', async () => {
  const doc = await tokenize(
    [
      'pipeline p() {',
      '  output s = "a\\n\\"b\\" \\t\\r\\\\\\0 \\u{1F600} \\q"',
      '  output n = 42 + 0.5 + 1e-3 + 2.5E+4',
      '  output ds = [10s, 30m, 2h, 1d, 10ms]',
      '  output b = true and not false or x',
      '}',
    ].join('\n'),
  );
  for (const escape of ['\\n', '\\"', '\\t', '\\r', '\\\\', '\\0', '\\u{1F600}']) {
    expectScopes(doc, 2, escape, ['constant.character.escape.mlforge', 'string.quoted.double.mlforge']);
  }
  expectScopes(doc, 2, '\\q', 'invalid.illegal.escape.mlforge');
  expectScopes(doc, 2, 'output', 'keyword.declaration.mlforge');
  expectScopes(doc, 2, 's', 'variable.other.output.mlforge');
  expectScopes(doc, 3, '42', 'constant.numeric.integer.mlforge');
  expectScopes(doc, 3, '0.5', 'constant.numeric.float.mlforge');
  expectScopes(doc, 3, '1e-3', 'constant.numeric.float.mlforge');
  expectScopes(doc, 3, '2.5E+4', 'constant.numeric.float.mlforge');
  expectScopes(doc, 3, '+', 'keyword.operator.arithmetic.mlforge');
  for (const [digits, unit] of [['10', 's'], ['30', 'm'], ['2', 'h'], ['1', 'd']]) {
    expectScopes(doc, 4, digits, 'constant.numeric.duration.mlforge');
    expectScopes(doc, 4, unit, 'keyword.other.unit.mlforge');
  }
  expectScopes(doc, 4, '10ms', 'invalid.illegal.duration.mlforge');
  expectScopes(doc, 5, 'true', 'constant.language.boolean.mlforge');
  expectScopes(doc, 5, 'false', 'constant.language.boolean.mlforge');
  for (const op of ['and', 'not', 'or']) {
    expectScopes(doc, 5, op, 'keyword.operator.logical.mlforge');
  }
});

test('comments: line, doc, four slashes, block', async () => {
  const doc = await tokenize(
    [
      '/// doc',
      '//// not a doc comment',
      '/* block',
      '   still block */ pipeline p() { output x = 1 } // tail',
    ].join('\n'),
  );
  expectScopes(doc, 1, 'doc', 'comment.line.documentation.mlforge');
  expectScopes(doc, 2, '// not a doc comment', 'comment.line.double-slash.mlforge', {
    absent: ['comment.line.documentation.mlforge'],
  });
  expectScopes(doc, 3, '/*', 'comment.block.mlforge');
  expectScopes(doc, 4, 'still block', 'comment.block.mlforge');
  expectScopes(doc, 4, 'pipeline', 'keyword.declaration.mlforge', { absent: ['comment.block.mlforge'] });
  expectScopes(doc, 4, 'tail', 'comment.line.double-slash.mlforge');
});

test('control flow: after, else if', async () => {
  const doc = await tokenize(
    [
      'pipeline p(a: float = 1.0) -> (y: int) {',
      '  schedule = "@weekly"',
      '  step s = lib.run(a: a) after t, u',
      '  if a >= 0.9 { output y = 1 } else if a != 0.0 { output y = 2 } else { output y = -3 }',
      '}',
    ].join('\n'),
  );
  expectScopes(doc, 1, 'y', 'variable.parameter.output.mlforge');
  expectScopes(doc, 2, 'schedule', 'entity.other.attribute-name.mlforge');
  expectScopes(doc, 3, 'lib', 'entity.name.namespace.mlforge');
  expectScopes(doc, 3, 'run', 'entity.name.function.call.mlforge');
  expectScopes(doc, 3, 'a', 'variable.parameter.argument.mlforge', { nth: 0 });
  expectScopes(doc, 3, 'a', 'variable.other.readwrite.mlforge', { nth: 1 });
  expectScopes(doc, 3, 'after', 'keyword.control.mlforge');
  expectScopes(doc, 3, 't', 'variable.other.step.mlforge');
  expectScopes(doc, 3, 'u', 'variable.other.step.mlforge');
  expectScopes(doc, 4, 'else', 'keyword.control.mlforge', { nth: 0 });
  expectScopes(doc, 4, 'if', 'keyword.control.mlforge', { nth: 1 });
  expectScopes(doc, 4, '>=', 'keyword.operator.comparison.mlforge');
  expectScopes(doc, 4, '!=', 'keyword.operator.comparison.mlforge');
  expectScopes(doc, 4, '-', 'keyword.operator.arithmetic.mlforge');
});

test('python def bodies, and second-edition attributes', async () => {
  const doc = await tokenize(
    [
      'op f(x: int) -> (y: int) {',
      '  uses = ["src/helpers.py"]',
      '  requires = ["pandas>=2.1"]',
      '  python def """',
      '    import math',
      '    return x * 2',
      '  """',
      '}',
      'pipeline p() {',
      '  start_date = "2024-01-01"',
      '  step s = f(x: 1)',
      '}',
    ].join('\n'),
  );
  expectScopes(doc, 2, 'uses', 'entity.other.attribute-name.mlforge');
  expectScopes(doc, 3, 'requires', 'entity.other.attribute-name.mlforge');
  expectScopes(doc, 4, 'python', 'keyword.other.body.mlforge');
  expectScopes(doc, 4, 'def', 'keyword.other.body.mlforge');
  expectScopes(doc, 4, '"""', 'punctuation.definition.string.begin.mlforge');
  const imp = expectScopes(doc, 5, 'import', ['source.python', 'meta.embedded.block.python']);
  assert.ok(imp.scopes.some((s) => /^keyword\..*\.python$/.test(s)), imp.scopes.join(' '));
  expectScopes(doc, 7, '"""', 'punctuation.definition.string.end.mlforge');
  expectScopes(doc, 10, 'start_date', 'entity.other.attribute-name.mlforge');
  expectScopes(doc, 11, 'step', 'keyword.declaration.mlforge', { absent: ['source.python'] });
});

test('interpolation escape $${ and malformed ${ in a shell body', async () => {
  const doc = await tokenize(
    [
      'op home(x: string) -> (out: File) {',
      '  shell """',
      '    echo "$${HOME} is literal, $$ is the pid" ${x} > ${out}',
      '    echo ${ x } ${1x} ${',
      '  """',
      '}',
    ].join('\n'),
  );
  expectScopes(doc, 3, '$${', ['constant.character.escape.interpolation.mlforge', 'source.shell'], {
    absent: ['meta.interpolation.mlforge'],
  });
  expectScopes(doc, 3, 'x', ['meta.interpolation.mlforge', 'variable.other.interpolation.mlforge']);
  expectScopes(doc, 3, 'out', 'variable.other.interpolation.mlforge');
  expectScopes(doc, 4, '${', 'punctuation.definition.interpolation.begin.mlforge', { nth: 0 });
  expectScopes(doc, 4, 'x', 'variable.other.interpolation.mlforge');
  expectScopes(doc, 4, '${', 'invalid.illegal.interpolation.mlforge', { nth: 1 });
  expectScopes(doc, 4, '${', 'invalid.illegal.interpolation.mlforge', { nth: 2 });
  expectScopes(doc, 5, '"""', 'punctuation.definition.string.end.mlforge');
});

test('the closing quotes end a body even inside an unclosed embedded construct', async () => {
  const doc = await tokenize(
    [
      'op f(x: int) -> (o: File) {',
      '  python """',
      '    open(${o},',
      '  """',
      '  retries = 1',
      '}',
      'op g() { python """print(1)""" }',
      'op h() { shell """echo ${x}""" }',
    ].join('\n'),
  );
  expectScopes(doc, 3, 'open', 'source.python');
  expectScopes(doc, 4, '"""', 'punctuation.definition.string.end.mlforge', { absent: ['source.python'] });
  expectScopes(doc, 5, 'retries', 'entity.other.attribute-name.mlforge', { absent: ['meta.body.python.mlforge'] });
  // One-line bodies.
  expectScopeMatching(doc, 7, 'print', /\.python$/);
  expectScopes(doc, 7, '"""', 'punctuation.definition.string.end.mlforge', { nth: 1 });
  expectScopes(doc, 7, '}', 'punctuation.section.block.end.mlforge', { absent: ['meta.body.python.mlforge'] });
  expectScopes(doc, 8, 'x', 'variable.other.interpolation.mlforge');
  expectScopes(doc, 8, '}', 'punctuation.section.block.end.mlforge', { nth: 1, absent: ['meta.body.shell.mlforge'] });
});

test('grammar metadata', () => {
  const raw = JSON.parse(fs.readFileSync(GRAMMAR, 'utf8'));
  assert.equal(raw.scopeName, 'source.mlforge');
  assert.deepEqual(raw.fileTypes, ['mlf']);
  const text = JSON.stringify(raw);
  assert.ok(text.includes('"contentName":"meta.embedded.block.python"'));
  assert.ok(text.includes('"contentName":"meta.embedded.block.shell"'));
});

// ---------------------------------------------------------------------------------------
// Second edition: records, dicts, indexing, zip/range/present
// ---------------------------------------------------------------------------------------

test('record declarations: keyword, name, fields with types and defaults', async () => {
  const doc = await tokenize(
    [
      '/// Split options.',
      'record SplitOptions {',
      '  test_size: float = 0.2',
      '  features: list<string> = ["a"],',
      '  weights: dict<float> = {"x": 1.0}',
      '}',
      'record Inline { a: int, b: Opts = {} }',
    ].join('\n'),
  );
  expectScopes(doc, 2, 'record', 'keyword.declaration.mlforge');
  expectScopes(doc, 2, 'SplitOptions', 'entity.name.type.record.mlforge');
  expectScopes(doc, 3, 'test_size', ['variable.other.property.mlforge', 'meta.record-field.mlforge']);
  expectScopes(doc, 3, 'float', 'support.type.primitive.mlforge');
  expectScopes(doc, 3, '0.2', 'constant.numeric.float.mlforge');
  expectScopes(doc, 4, 'list', 'support.type.list.mlforge');
  expectScopes(doc, 5, 'dict', ['support.type.dict.mlforge', 'meta.type.dict.mlforge']);
  expectScopes(doc, 5, 'x', ['string.quoted.double.mlforge', 'meta.structure.literal.mlforge'], {
    absent: ['entity.name.type.mlforge'],
  });
  expectScopes(doc, 6, '}', 'punctuation.section.braces.end.mlforge');
  expectScopes(doc, 7, 'Inline', 'entity.name.type.record.mlforge');
  expectScopes(doc, 7, 'b', 'variable.other.property.mlforge');
  expectScopes(doc, 7, 'Opts', 'entity.name.type.mlforge');
});

test('record and dict literals, field access, indexing and built-in functions', async () => {
  const doc = await tokenize(
    [
      'pipeline p(opts: Opts = {test_size: 0.3, features: ["crew"]}, d: dict<int> = {"a": 1}) {',
      '  for x, y in zip(xs, ys) {',
      '    step s = f(a: opts.inner.size, b: xs[-1], c: d["a"], e: {k: 1})',
      '  }',
      '  for i in range(3) { }',
      '  step g = h(items: present(s.out))',
      '  if ok {',
      '    step t = f()',
      '  }',
      '}',
    ].join('\n'),
  );
  expectScopes(doc, 1, 'test_size', ['variable.other.property.mlforge', 'meta.structure.literal.mlforge']);
  expectScopes(doc, 1, '{', 'punctuation.section.braces.begin.mlforge', { nth: 0 });
  expectScopes(doc, 1, 'a', ['string.quoted.double.mlforge', 'meta.structure.literal.mlforge']);
  expectScopes(doc, 2, 'x', 'variable.other.loop.mlforge');
  expectScopes(doc, 2, 'y', 'variable.other.loop.mlforge');
  expectScopes(doc, 2, 'zip', 'support.function.builtin.mlforge');
  expectScopes(doc, 3, 'size', 'variable.other.property.mlforge');
  expectScopes(doc, 3, 'k', 'variable.other.property.mlforge');
  expectScopes(doc, 5, 'range', 'support.function.builtin.mlforge');
  expectScopes(doc, 6, 'present', 'support.function.builtin.mlforge');
  // A block's brace is not a literal: the step inside keeps its scopes.
  expectScopes(doc, 8, 'step', 'keyword.declaration.mlforge', { absent: ['meta.structure.literal.mlforge'] });
});
