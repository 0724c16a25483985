-- Drives annot lsp from Neovim headless (scripts/nvim-lsp-check.sh): prints what the client saw.
local out = {}
local function say(s) table.insert(out, s); io.stdout:write(s .. '\n') end
local buf = vim.api.nvim_get_current_buf()
local ok = vim.wait(10000, function() return #vim.lsp.buf_get_clients(buf) > 0 end, 50)
say('attached: ' .. tostring(ok))
local client = vim.lsp.buf_get_clients(buf)[next(vim.lsp.buf_get_clients(buf))]
if client then
  say('offset_encoding: ' .. tostring(client.offset_encoding))
  say('server name: ' .. vim.inspect(client.server_capabilities and client.server_capabilities.positionEncoding))
end
vim.wait(3000, function() return false end, 100)
say('diagnostics after open: ' .. #vim.diagnostic.get(buf))
-- break the offset: line with "    start: 70" after tass.lead-sappers
local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
local target
for i, l in ipairs(lines) do if l == '  - id: tass.lead-sappers' then target = i end end
local sl
for i = target, #lines do if lines[i] == '    start: 70' then sl = i break end end
vim.api.nvim_buf_set_lines(buf, sl - 1, sl, false, { '    start: 71' })
ok = vim.wait(10000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
for _, d in ipairs(vim.diagnostic.get(buf)) do
  say(string.format('diagnostic line %d col %d sev %d source %s code %s: %s', d.lnum + 1, d.col, d.severity, tostring(d.source), tostring(d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)), d.message:gsub('\n', ' | ')))
end
-- hover on the quote line
local ql
for i = target, #lines do if lines[i]:match('^    quote: ') then ql = i break end end
local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = ql - 1, character = 16 } }
local res = vim.lsp.buf_request_sync(buf, 'textDocument/hover', params, 5000)
for _, r in pairs(res or {}) do
  say('hover: ' .. (r.err and vim.inspect(r.err) or vim.inspect(r.result and r.result.contents):sub(1, 300)))
end
-- code actions
local d = vim.diagnostic.get(buf)[1]
if d then
  local lspd = vim.lsp.diagnostic.get_line_diagnostics(buf, d.lnum)[1]
  say('lsp diagnostic: ' .. vim.inspect(lspd):gsub('%s+', ' '):sub(1, 600))
  local ca = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = lspd.range or { start = { line = d.lnum, character = d.col }, ['end'] = { line = d.end_lnum, character = d.end_col } },
    context = { diagnostics = { lspd } },
  }, 5000)
  for _, r in pairs(ca or {}) do
    for _, a in ipairs(r.result or {}) do
      say('code action: ' .. tostring(a.kind) .. ' ' .. a.title)
      if a.kind == 'quickfix' and a.edit and not applied then
        vim.lsp.util.apply_workspace_edit(a.edit, client.offset_encoding)
        applied = true
        say('applied; line now: ' .. vim.api.nvim_buf_get_lines(buf, sl - 1, sl, false)[1])
      end
    end
    if r.err then say('code action error: ' .. vim.inspect(r.err)) end
  end
  ok = vim.wait(10000, function() return #vim.diagnostic.get(buf) == 0 end, 50)
  say('diagnostics cleared after the fix: ' .. tostring(ok))
end
-- definition on target: ent.shoigu
local tl
for i, l in ipairs(lines) do if l:match('^        target: ent%.shoigu$') then tl = i break end end
res = vim.lsp.buf_request_sync(buf, 'textDocument/definition', { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = tl - 1, character = 20 } }, 5000)
for _, r in pairs(res or {}) do say('definition: ' .. vim.inspect(r.result or r.err):gsub('%s+', ' '):sub(1, 300)) end
res = vim.lsp.buf_request_sync(buf, 'textDocument/documentSymbol', { textDocument = { uri = vim.uri_from_bufnr(buf) } }, 5000)
for _, r in pairs(res or {}) do say('document symbols: ' .. (r.result and #r.result or vim.inspect(r.err))) end
vim.lsp.stop_client(vim.lsp.get_active_clients())
vim.wait(2000, function() return #vim.lsp.get_active_clients() == 0 end, 50)
say('stopped: ' .. tostring(#vim.lsp.get_active_clients() == 0))
vim.cmd('qa!')
