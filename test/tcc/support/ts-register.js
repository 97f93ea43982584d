// Lets a plain `node` child process run our TypeScript (the crash test's child): compiles .ts
// with @swc/core exactly like jest.config.js does, and resolves the @app/* and @config/* aliases.
// Nest's ESM-only packages load through Node's require(esm) (Node >= 20.19).
const fs = require('fs');
const Module = require('module');
const path = require('path');
const swc = require('@swc/core');

const root = path.resolve(__dirname, '../../..');
const aliases = [
  [/^@app\/([a-z]+)(\/.*)?$/, (m) => path.join(root, 'libs', m[1], 'src', m[2] ?? '')],
  [/^@config\/(.*)$/, (m) => path.join(root, 'config', m[1])],
];

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  for (const [pattern, target] of aliases) {
    const m = request.match(pattern);
    if (m) return resolve.call(this, target(m), ...rest);
  }
  return resolve.call(this, request, ...rest);
};

require.extensions['.ts'] = function compileTs(module, filename) {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
