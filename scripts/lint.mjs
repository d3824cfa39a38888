#!/usr/bin/env node
// Lints the files git tracks under the given folders (default: the current one): ESLint with the
// repository's config, Prettier's check, and no line over 120 characters outside generated files.
// Prints each problem and writes lint-results.json beside the current folder's package.json, so
// that `npm test`'s summary counts a lint failure as a failure. Exits 1 on any problem.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { ESLint } from 'eslint';
import * as prettier from 'prettier';

const MAX_LINE = 120;
const GENERATED = /(^|\/)(api\/generated|src\/gql|dist|dist-bench)\//;
const dirs = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['.'];
const files = execFileSync(
  'git',
  ['ls-files', '--', ...dirs.flatMap((d) => ['ts', 'tsx', 'mjs'].flatMap((x) => [`${d}/*.${x}`, `${d}/**/*.${x}`]))],
  { encoding: 'utf8' },
)
  .split('\n')
  .filter((f) => f && !GENERATED.test(f));

const problems = [];
// Files the ESLint config ignores (declarations) are still checked for format and width below, not reported as ignored.
const eslint = new ESLint({ warnIgnored: false });
for (const result of await eslint.lintFiles(files)) {
  for (const m of result.messages)
    problems.push(`${result.filePath}:${m.line}:${m.column} ${m.ruleId ?? 'parse'}: ${m.message}`);
}
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const options = (await prettier.resolveConfig(resolve(file))) ?? {};
  if (!(await prettier.check(text, { ...options, filepath: file })))
    problems.push(`${resolve(file)}: not formatted (npx prettier --write ${file})`);
  text.split('\n').forEach((line, i) => {
    if (line.length > MAX_LINE)
      problems.push(`${resolve(file)}:${i + 1}: line of ${line.length} characters (at most ${MAX_LINE})`);
  });
}

for (const p of problems) console.log(p);
console.log(`lint: ${files.length} files, ${problems.length} problems`);
writeFileSync('lint-results.json', `${JSON.stringify({ files: files.length, problems: problems.length })}\n`);
process.exit(problems.length > 0 ? 1 : 0);
