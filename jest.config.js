// Nest 12 and several of its dependencies ship as ESM only. Jest on Node 20 cannot
// require(esm), so those packages are compiled to CommonJS by swc like our own code.
const fs = require('fs');
const path = require('path');

function esmOnlyPackages(dir = path.join(__dirname, 'node_modules')) {
  const found = [];
  const check = (name) => {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, name, 'package.json'), 'utf8'));
      if (pkg.type === 'module') found.push(name.replace(/[.]/g, '\\.'));
    } catch {
      /* not a package */
    }
  };
  if (!fs.existsSync(dir)) return found;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) fs.readdirSync(path.join(dir, name)).forEach((sub) => check(`${name}/${sub}`));
    else check(name);
  }
  return found;
}

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

const libs = ['core', 'product', 'tcc', 'inventory', 'order', 'coupon', 'payment', 'live-stock'];
const moduleNameMapper = Object.fromEntries(libs.map((lib) => [`^@app/${lib}(|/.*)$`, `<rootDir>/libs/${lib}/src$1`]));
moduleNameMapper['^@config/(.*)$'] = '<rootDir>/config/$1';

const common = {
  transform: { '^.+\\.(t|m?j)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyPackages().join('|')})/)`],
  moduleNameMapper,
  testEnvironment: 'node',
};

module.exports = {
  testTimeout: 120000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/config/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/helpers/setup-env.ts'],
    },
  ],
};
