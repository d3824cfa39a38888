#!/usr/bin/env node
// Writes schema/dpv-<version>-terms.json, the vendored list of W3C Data Privacy Vocabulary terms the
// vault checks its register and documents against, from a DPV release's own JSON-LD files.
//
//   node scripts/dpv-terms.mjs <release dir> [--source <text>] [--out <file>]
//
// <release dir> is one version folder of the w3c/dpv repository (e.g. its `2.3/`), holding
// dpv/dpv.jsonld, pd/pd.jsonld, legal/eu/gdpr/eu-gdpr.jsonld, loc/loc.jsonld, sector/*/sector-*.jsonld,
// each with its .csv beside it.
// --source says where that folder came from (repository, commit), for the file's provenance.
//
// The release's files are read, never guessed at: a term is every resource the namespace's own file
// defines (rdfs:isDefinedBy the namespace) as a class or a property; terms DPV marks "sunset"
// (deprecated) are listed apart, so the vault refuses them with a reason. Where a namespace's JSON-LD
// file is absent (a partial copy of the repository), its CSV export is read instead: the same terms,
// without the status, which the file then says (`statusFrom: "csv"`). The output is sorted and
// carries no timestamp, so running the script again on the same release changes nothing.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: { source: { type: 'string' }, out: { type: 'string' } },
});
const releaseDir = positionals[0];
if (!releaseDir) {
  console.error(
    'usage: node scripts/dpv-terms.mjs <DPV release dir, e.g. w3c/dpv/2.3> [--source <text>] [--out <file>]',
  );
  process.exit(2);
}
const root = resolve(releaseDir);

// The namespaces the vault may use: core, personal data, the GDPR, locations (countries of transfers)
// and the sector extensions (a purpose such as credit checking lives in sector-finance since 2.1).
const NAMESPACES = [
  { prefix: 'dpv', file: 'dpv/dpv.jsonld' },
  { prefix: 'pd', file: 'pd/pd.jsonld' },
  { prefix: 'eu-gdpr', file: 'legal/eu/gdpr/eu-gdpr.jsonld' },
  { prefix: 'loc', file: 'loc/loc.jsonld' },
  ...(existsSync(join(root, 'sector'))
    ? readdirSync(join(root, 'sector'), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => ({ prefix: `sector-${d.name}`, file: `sector/${d.name}/sector-${d.name}.jsonld` }))
        .sort((a, b) => a.prefix.localeCompare(b.prefix))
    : []),
];

const RDFS = 'http://www.w3.org/2000/01/rdf-schema#';
const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
const OWL = 'http://www.w3.org/2002/07/owl#';
const STATUS = 'http://www.w3.org/2003/06/sw-vocab-status/ns#term_status';
const PREFERRED_URI = 'http://purl.org/vocab/vann/preferredNamespaceUri';
const PREFERRED_PREFIX = 'http://purl.org/vocab/vann/preferredNamespacePrefix';

const values = (node, key) => (node[key] ?? []).map((v) => v['@id'] ?? v['@value']);

function readNamespace({ prefix, file }) {
  const path = join(root, file);
  if (!existsSync(path) || statSync(path).size === 0)
    return readCsv({ prefix, file: file.replace(/\.jsonld$/, '.csv') });
  const graph = JSON.parse(readFileSync(path, 'utf8'));
  const nodes = Array.isArray(graph) ? graph : graph['@graph'];
  const ontology = nodes.find((n) => (n['@type'] ?? []).includes(`${OWL}Ontology`));
  if (!ontology) throw new Error(`${file}: no owl:Ontology node`);
  const namespace = values(ontology, PREFERRED_URI)[0];
  const declared = values(ontology, PREFERRED_PREFIX)[0];
  const version = values(ontology, `${OWL}versionInfo`)[0];
  if (!namespace || !version) throw new Error(`${file}: the ontology names no namespace or version`);
  if (declared !== prefix) throw new Error(`${file}: its preferred prefix is ${declared}, not ${prefix}`);
  const definedBy = namespace.replace(/#$/, '');

  const classes = [];
  const properties = [];
  const sunset = [];
  for (const node of nodes) {
    const id = node['@id'];
    if (typeof id !== 'string' || !id.startsWith(namespace) || id === namespace) continue;
    const by = values(node, `${RDFS}isDefinedBy`).map((v) => v.replace(/#$/, ''));
    if (!by.includes(definedBy)) continue;
    const types = node['@type'] ?? [];
    const isProperty = types.includes(`${RDF}Property`);
    if (!isProperty && !types.includes(`${RDFS}Class`)) continue;
    const local = id.slice(namespace.length);
    if (values(node, STATUS).includes('sunset')) sunset.push(local);
    else (isProperty ? properties : classes).push(local);
  }
  const sort = (list) => [...new Set(list)].sort();
  return {
    prefix,
    namespace,
    version,
    file,
    statusFrom: 'jsonld',
    classes: sort(classes),
    properties: sort(properties),
    sunset: sort(sunset),
  };
}

/** One RFC 4180 CSV record per row; DPV quotes every field. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (c !== '\r') field += c;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i] ?? ''])));
}

// The CSV names no version; the core's JSON-LD does, and every namespace must agree with it.
function readCsv({ prefix, file }) {
  const rows = parseCsv(readFileSync(join(root, file), 'utf8'));
  const mine = rows.filter((r) => r.vocab === prefix);
  if (mine.length === 0) throw new Error(`${file}: no terms of ${prefix}`);
  const namespace = `${mine[0].namespace}#`;
  const classes = [];
  const properties = [];
  for (const r of mine) {
    if (r.iri !== `${namespace}${r.term}`) throw new Error(`${file}: ${r.term} has IRI ${r.iri}, outside ${namespace}`);
    if (r.type === 'property') properties.push(r.term);
    else if (r.type === 'class') classes.push(r.term);
  }
  const sort = (list) => [...new Set(list)].sort();
  return {
    prefix,
    namespace,
    version: null,
    file,
    statusFrom: 'csv',
    classes: sort(classes),
    properties: sort(properties),
    sunset: [],
  };
}

const read = NAMESPACES.map(readNamespace);
const version = read.find((n) => n.prefix === 'dpv').version;
for (const n of read)
  if (n.version !== null && n.version !== version)
    throw new Error(`${n.file} is version ${n.version}, the core ${version}`);

const out = {
  description:
    'W3C Data Privacy Vocabulary (DPV) terms the vault may use, per namespace: classes, properties, and terms the ' +
    'release marks sunset (deprecated, refused). Generated by scripts/dpv-terms.mjs from the release files; do not ' +
    'edit by hand.',
  version,
  source: opts.source ?? `DPV ${version} release files`,
  generatedBy: `node scripts/dpv-terms.mjs <dpv>/${version}${opts.source ? ` --source "${opts.source}"` : ''}`,
  namespaces: Object.fromEntries(
    read.map((n) => [
      n.prefix,
      {
        iri: n.namespace,
        file: n.file,
        statusFrom: n.statusFrom,
        classes: n.classes,
        properties: n.properties,
        sunset: n.sunset,
      },
    ]),
  ),
};

const target = resolve(opts.out ?? new URL(`../schema/dpv-${version}-terms.json`, import.meta.url).pathname);
writeFileSync(target, `${JSON.stringify(out, null, 1)}\n`);
const count = read.reduce((s, n) => s + n.classes.length + n.properties.length, 0);
console.log(`${relative(process.cwd(), target)}: DPV ${version}, ${count} terms in ${read.length} namespaces`);
