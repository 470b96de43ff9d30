// ESLint for the whole tree: typescript-eslint's recommended rules, lines of at most 140 columns, and the layering
// of the product as import rules. `npm test` runs it; test/lint/lint.test.ts plants a violation of each rule.
import tseslint from 'typescript-eslint';

const SIMULATORS = { group: ['**/simulators', '**/simulators/**'], message: 'The orchestrator never imports a simulator.' };
const BENCHMARKS = {
  group: ['**/bench', './bench', '../bench', '**/loadtests/**'],
  message: 'No product file imports a benchmark or the load-test harness.',
};
const ENGINE = { group: ['**/engine', '**/engine/**'], message: 'Rails never import the engine; shared helpers live in shared/.' };
const INTAKE = { group: ['**/intake', '**/intake/**'], message: 'Notifiers never import an intake; the intake hands them what they need.' };
const ORCHESTRATOR = { group: ['**/orchestrator', '**/orchestrator/**'], message: 'shared/ is below every component.' };
const SIM_BENCH = { group: ['**/simulators/bench', '**/loadtests/**'], message: 'No product file imports a benchmark or the load-test harness.' };

const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['node_modules/**', 'ui/dist/**', 'ci-output/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      'max-len': ['error', { code: 140, tabWidth: 2, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true }],
      '@typescript-eslint/no-unused-vars': ['error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  // Tests read JSON bodies of any shape.
  { files: ['test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  // The layering.
  { files: ['shared/**'], rules: restrict(ORCHESTRATOR, SIMULATORS, BENCHMARKS) },
  { files: ['orchestrator/**'], ignores: ['**/bench.ts'], rules: restrict(SIMULATORS, BENCHMARKS) },
  { files: ['orchestrator/rails/**'], rules: restrict(SIMULATORS, BENCHMARKS, ENGINE) },
  { files: ['orchestrator/notify/**'], rules: restrict(SIMULATORS, BENCHMARKS, INTAKE) },
  { files: ['simulators/**'], ignores: ['**/bench.ts'], rules: restrict(BENCHMARKS) },
  { files: ['cli/**', 'scenarios/**', 'conformance/**', 'ui/**'], rules: restrict(SIM_BENCH) },
);
