-- Neovim 0.7 set-up of annot lsp, as in docs/editors.md (start_client + buf_attach_client).
local annot_path = vim.env.ANNOT or 'annot'
local function annot_root(fname)
  local dir = vim.fn.fnamemodify(fname, ':p:h')
  while dir and dir ~= '/' do
    if vim.fn.isdirectory(dir .. '/annotations') == 1 then return dir end
    dir = vim.fn.fnamemodify(dir, ':h')
  end
end
local clients = {}
vim.api.nvim_create_autocmd('FileType', {
  pattern = 'yaml',
  callback = function(args)
    local fname = vim.api.nvim_buf_get_name(args.buf)
    local root = annot_root(fname)
    if not root then return end
    local rel = fname:sub(#root + 2)
    if not (rel:match('^annotations/') or rel == 'schema/vocabulary.yaml' or rel == 'seeds/sources.yaml') then return end
    if not clients[root] then
      clients[root] = vim.lsp.start_client({ name = 'annot', cmd = { annot_path, 'lsp' }, root_dir = root })
    end
    vim.lsp.buf_attach_client(args.buf, clients[root])
  end,
})
