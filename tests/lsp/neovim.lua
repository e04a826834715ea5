-- Headless Neovim (0.7+) as the language server's client: opens an example with an error and
-- checks that the diagnostic, a completion and a hover arrive through Neovim's own LSP client.
--
--   nvim --headless -u NONE -c 'luafile tests/lsp/neovim.lua'
--
-- Run from the repository's root. The server is $MLFORGE_BIN, or target/debug/mlforge.
-- Exits 0 when every check passes, 1 otherwise (each failure is printed).

local root = vim.fn.getcwd()
local bin = os.getenv('MLFORGE_BIN') or (root .. '/target/debug/mlforge')
local failures = {}

local function say(text)
  io.stdout:write(text .. '\n')
end

local function check(ok, what)
  if ok then
    say('ok   ' .. what)
  else
    say('FAIL ' .. what)
    table.insert(failures, what)
  end
end

local function finish()
  if #failures == 0 then
    say('neovim: all checks passed')
    vim.cmd('qall!')
  else
    say('neovim: ' .. #failures .. ' check(s) failed')
    vim.cmd('cquit! 1')
  end
end

if vim.fn.executable(bin) ~= 1 then
  say('FAIL the server binary ' .. bin .. ' is missing (cargo build -p mlforge)')
  vim.cmd('cquit! 1')
end

-- Diagnostics as the server publishes them, by URI.
local published = {}
local default_publish = vim.lsp.handlers['textDocument/publishDiagnostics']

local client_id = vim.lsp.start_client({
  name = 'mlforge',
  cmd = { bin, 'lsp', '--stdio' },
  root_dir = root .. '/examples',
  handlers = {
    ['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
      published[result.uri] = result.diagnostics
      return default_publish(err, result, ctx, config)
    end,
  },
})
check(client_id ~= nil, 'the client starts `mlforge lsp --stdio`')

-- `rel` is relative to the repository's root.
local function open(rel)
  vim.cmd('edit ' .. vim.fn.fnameescape(root .. '/' .. rel))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = 'mlforge'
  vim.lsp.buf_attach_client(bufnr, client_id)
  return bufnr
end

-- The 0-based line and column (bytes; ASCII lines) of the first `needle`.
local function find(bufnr, needle)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local col = string.find(line, needle, 1, true)
    if col then
      return i - 1, col - 1
    end
  end
  error('not found: ' .. needle)
end

local function request(bufnr, method, line, character)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = line, character = character },
  }
  local answers, err = vim.lsp.buf_request_sync(bufnr, method, params, 10000)
  if not answers then
    return nil, err
  end
  for _, answer in pairs(answers) do
    if answer.error then
      return nil, vim.inspect(answer.error)
    end
    return answer.result
  end
end

local ok, problem = pcall(function()
  -- 1. The diagnostic of an example with an error.
  local bad = open('docs/diagnostics/E0401/bad.mlf')
  local uri = vim.uri_from_bufnr(bad)
  local arrived = vim.wait(15000, function()
    return published[uri] ~= nil
  end, 20)
  check(arrived, 'diagnostics arrive for docs/diagnostics/E0401/bad.mlf')
  local diagnostics = published[uri] or {}
  check(#diagnostics == 1 and diagnostics[1].code == 'E0401', 'the diagnostic is E0401')
  if diagnostics[1] then
    local line, col = find(bad, '"0.5"')
    local range = diagnostics[1].range
    check(range.start.line == line and range.start.character == col, 'at the string "0.5"')
  end
  local shown = vim.diagnostic.get(bad)
  check(#shown == 1 and shown[1].severity == vim.diagnostic.severity.ERROR,
    'Neovim shows it as an error')

  -- 2. Hover on the op `train`.
  local line, col = find(bad, 'train(data')
  local hover, err = request(bad, 'textDocument/hover', line, col + 2)
  local text = hover and hover.contents and (hover.contents.value or vim.inspect(hover.contents)) or ''
  check(string.find(text, 'train', 1, true) ~= nil, 'a hover on `train` names it' .. (err and (': ' .. err) or ''))

  -- 3. Completion after `data.` in the quickstart: the outputs of the step `data`.
  local quick = open('examples/quickstart.mlf')
  line, col = find(quick, 'data.table')
  local completion
  completion, err = request(quick, 'textDocument/completion', line, col + 5)
  local items = completion and (completion.items or completion) or {}
  local labels = {}
  for _, item in ipairs(items) do
    labels[item.label] = true
  end
  check(labels['table'] == true, 'completion after `data.` offers `table`' .. (err and (': ' .. err) or ''))
end)
check(ok, 'no error in the test script' .. (ok and '' or (': ' .. tostring(problem))))

vim.lsp.stop_client(client_id)
vim.wait(2000, function()
  return vim.lsp.get_client_by_id(client_id) == nil
end, 20)
finish()
