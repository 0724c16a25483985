// The annot extension: runs `annot lsp` for annotation files, the
// vocabulary and seeds/sources.yaml. See README.md and docs/editors.md.
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('annot').get('path') || 'annot';
  const serverOptions = { command, args: ['lsp'] };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'yaml', pattern: '**/annotations/**/*.{yaml,yml}' },
      { scheme: 'file', language: 'yaml', pattern: '**/schema/vocabulary.yaml' },
      { scheme: 'file', language: 'yaml', pattern: '**/seeds/sources.yaml' },
    ],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{seeds,schema,annotations}/**'),
    },
  };
  client = new LanguageClient('annot', 'annot', serverOptions, clientOptions);
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
