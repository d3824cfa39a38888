import { type FormEvent, useState } from 'react';
import { useMutation, useQuery } from 'urql';

import type { HoldBasis, SubjectValuesQuery } from '../gql/graphql.js';
import { type AccessReport, shown } from '../shared/report.js';
import { Certificate } from './Certificate.js';
import {
  EraseMutation,
  FindSubjectsQuery,
  HoldsQuery,
  PlaceHoldMutation,
  RegisterQuery,
  ReleaseHoldMutation,
  SubjectReportQuery,
  SubjectValuesQuery as ValuesQuery,
} from './documents.js';

/** Finds subjects by email or phone (blind index): the identifier goes in the request body, never in a URL. */
export function Lookup({ onOpen }: { onOpen: (id: string) => void }) {
  const [register] = useQuery({ query: RegisterQuery });
  const purposes = register.data?.processingRegister.purposes.map((p) => p.name) ?? [];
  const [kind, setKind] = useState<'email' | 'phone'>('email');
  const [value, setValue] = useState('');
  const [chosen, setPurpose] = useState('');
  const purpose = chosen || (purposes.includes('contract') ? 'contract' : (purposes[0] ?? ''));
  const [asked, setAsked] = useState<{ email: string } | { phone: string } | null>(null);
  const [found] = useQuery({
    query: FindSubjectsQuery,
    variables: { identifier: asked ?? {}, purpose },
    pause: !asked || !purpose,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setAsked(kind === 'email' ? { email: value } : { phone: value });
  };
  return (
    <section aria-labelledby="lookup">
      <h2 id="lookup">Find a subject</h2>
      <form className="row" onSubmit={submit} autoComplete="off">
        <label htmlFor="lookup-kind">By</label>
        <select id="lookup-kind" value={kind} onChange={(e) => setKind(e.target.value as 'email' | 'phone')}>
          <option value="email">Email</option>
          <option value="phone">Phone</option>
        </select>
        <label htmlFor="lookup-value">Value</label>
        <input id="lookup-value" value={value} onChange={(e) => setValue(e.target.value)} required />
        <label htmlFor="lookup-purpose">For the purpose</label>
        <select id="lookup-purpose" value={purpose} onChange={(e) => setPurpose(e.target.value)}>
          {purposes.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <button type="submit">Find</button>
      </form>
      {found.error && <p role="alert">{found.error.message}</p>}
      {found.data && found.data.findSubjects.length === 0 && <p role="status">No subject matches.</p>}
      <ul>
        {found.data?.findSubjects.map((s) => (
          <li key={s.id}>
            <button type="button" className="secondary" onClick={() => onOpen(s.id)}>
              Open subject {s.id}
            </button>{' '}
            registered {s.registeredAt.slice(0, 10)}
            {s.erasedAt ? `, erased ${s.erasedAt.slice(0, 10)}` : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** One subject: values only when opened for a purpose, the access report, holds, and erasure. */
export function SubjectPage({ id }: { id: string }) {
  const [register] = useQuery({ query: RegisterQuery });
  const purposes = register.data?.processingRegister.purposes.map((p) => p.name) ?? [];
  return (
    <section aria-labelledby="subject">
      <h2 id="subject">
        Subject <code>{id}</code>
      </h2>
      <Values id={id} purposes={purposes} />
      <Report id={id} />
      <Holds id={id} categories={register.data?.processingRegister.categories.map((c) => c.name) ?? []} />
      <Erase id={id} />
    </section>
  );
}

function Values({ id, purposes }: { id: string; purposes: string[] }) {
  const [purpose, setPurpose] = useState('');
  const [opened, setOpened] = useState<string | null>(null);
  const [values] = useQuery({ query: ValuesQuery, variables: { id, purpose: opened ?? '' }, pause: !opened });
  return (
    <div>
      <h3>Values</h3>
      <p className="hint">Values are read only for a purpose you name; the read is logged in the access log.</p>
      <div className="row">
        <label htmlFor="values-purpose">Purpose</label>
        <select id="values-purpose" value={purpose} onChange={(e) => setPurpose(e.target.value)}>
          <option value="">Choose…</option>
          {purposes.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <button type="button" disabled={!purpose} onClick={() => setOpened(purpose)}>
          Open values
        </button>
      </div>
      {values.error && <p role="alert">{values.error.message}</p>}
      {values.data && <ItemsTable items={values.data.subject.items} />}
    </div>
  );
}

function ItemsTable({ items }: { items: SubjectValuesQuery['subject']['items'] }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Category</th>
          <th scope="col">Field</th>
          <th scope="col">Value or status</th>
        </tr>
      </thead>
      <tbody>
        {items.map((i, n) => (
          <tr key={`${i.category}.${i.field ?? n}`}>
            <td>{i.category}</td>
            <td>{i.field ?? '—'}</td>
            <td>
              {'value' in i
                ? shown(i.value)
                : 'reason' in i
                  ? `denied: ${i.reason}`
                  : 'erasureReason' in i
                    ? `erased: ${i.erasureReason}`
                    : '—'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Report({ id }: { id: string }) {
  const [open, setOpen] = useState(false);
  const [report] = useQuery({ query: SubjectReportQuery, variables: { id }, pause: !open });
  const r = report.data?.accessReport.report as AccessReport | undefined;
  return (
    <div>
      <h3>Access report</h3>
      {!open && (
        <button type="button" className="secondary" onClick={() => setOpen(true)}>
          Open the access report (logged)
        </button>
      )}
      {report.error && <p role="alert">{report.error.message}</p>}
      {r && <ReportView report={r} />}
    </div>
  );
}

/** The report's status, consent history and disclosures (who received which category, for what, when). */
function ReportView({ report: r }: { report: AccessReport }) {
  const history = r.consents.flatMap((c) =>
    (c.proofs ?? []).map((p) => [
      c.purpose,
      p.givenAt ?? '—',
      p.withdrawnAt ?? '—',
      p.notice ? `${p.notice.id} ${p.notice.version}` : '—',
      p.channel ?? '—',
    ]),
  );
  const seen = new Set<string>();
  const disclosures = r.items.flatMap((i) =>
    (i.recipients?.actual ?? [])
      .filter(
        (d) => !seen.has(`${i.category}|${d.actor}|${d.purpose}`) && seen.add(`${i.category}|${d.actor}|${d.purpose}`),
      )
      .map((d) => [i.category, d.actor, d.purpose, d.firstAt ?? d.at, d.at, d.reads ?? 1]),
  );
  return (
    <>
      <dl className="facts">
        <dt>Categories</dt>
        <dd>{[...new Set(r.items.map((i) => i.category))].join(', ') || '—'}</dd>
        <dt>Objections</dt>
        <dd>{r.objections.map((o) => `${o.purpose} since ${o.since}`).join('; ') || '—'}</dd>
        <dt>Restrictions</dt>
        <dd>{r.restrictions.map((o) => o.category).join(', ') || '—'}</dd>
      </dl>
      <h4>Consent history</h4>
      <Rows head={['Purpose', 'Given', 'Withdrawn', 'Notice', 'Channel']} rows={history} />
      <h4>Disclosures</h4>
      <Rows head={['Category', 'Recipient', 'Purpose', 'First', 'Last', 'Reads']} rows={disclosures} />
    </>
  );
}

function Rows({ head, rows }: { head: string[]; rows: (string | number)[][] }) {
  if (rows.length === 0) return <p>None.</p>;
  return (
    <table>
      <thead>
        <tr>
          {head.map((h) => (
            <th scope="col" key={h}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, n) => (
          <tr key={n}>
            {row.map((c, k) => (
              <td key={k}>{c}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const BASES: HoldBasis[] = ['litigation', 'regulatoryInvestigation', 'taxAudit', 'lawEnforcementRequest', 'other'];

function Holds({ id, categories }: { id: string; categories: string[] }) {
  const [holds, refetch] = useQuery({ query: HoldsQuery, variables: { subjectId: id } });
  const [placed, place] = useMutation(PlaceHoldMutation);
  const [, release] = useMutation(ReleaseHoldMutation);
  const [category, setCategory] = useState('');
  const [basis, setBasis] = useState<HoldBasis>('litigation');
  const [until, setUntil] = useState('');
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const res = await place({ id, category, basis, until });
    if (!res.error) reload();
  };
  return (
    <div>
      <h3>Legal holds</h3>
      <ul>
        {holds.data?.legalHolds.map((h) => (
          <li key={`${h.category}-${h.source}`}>
            {h.category}: {h.basis} until {h.until} ({h.source}){' '}
            {h.source === 'dpo' && (
              <button
                type="button"
                className="secondary"
                onClick={() => void release({ id, category: h.category }).then(reload)}
              >
                Release {h.category}
              </button>
            )}
          </li>
        ))}
      </ul>
      <form className="row" onSubmit={(e) => void submit(e)}>
        <label htmlFor="hold-category">Category</label>
        <select id="hold-category" value={category} onChange={(e) => setCategory(e.target.value)} required>
          <option value="">Choose…</option>
          {categories.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
        <label htmlFor="hold-basis">Basis</label>
        <select id="hold-basis" value={basis} onChange={(e) => setBasis(e.target.value as HoldBasis)}>
          {BASES.map((b) => (
            <option key={b}>{b}</option>
          ))}
        </select>
        <label htmlFor="hold-until">Until</label>
        <input id="hold-until" type="date" value={until} onChange={(e) => setUntil(e.target.value)} required />
        <button type="submit">Place hold</button>
      </form>
      {placed.error && <p role="alert">{placed.error.message}</p>}
    </div>
  );
}

function Erase({ id }: { id: string }) {
  const [confirming, setConfirming] = useState(false);
  const [holds] = useQuery({ query: HoldsQuery, variables: { subjectId: id }, pause: !confirming });
  const [erased, erase] = useMutation(EraseMutation);
  if (erased.data) return <Certificate signed={erased.data.eraseSubject} />;
  return (
    <div>
      <h3>Erasure</h3>
      {!confirming ? (
        <button type="button" className="danger" onClick={() => setConfirming(true)}>
          Erase this subject…
        </button>
      ) : (
        <div className="card" role="group" aria-labelledby="erase-confirm">
          <p id="erase-confirm">Every category no hold covers is shredded now. These are retained, and why:</p>
          <ul>
            {(holds.data?.legalHolds ?? []).map((h) => (
              <li key={`${h.category}-${h.source}`}>
                {h.category}: {h.basis} until {h.until}
              </li>
            ))}
            {holds.data?.legalHolds.length === 0 && <li>Nothing: every category is shredded.</li>}
          </ul>
          <div className="row">
            <button type="button" className="danger" disabled={erased.fetching} onClick={() => void erase({ id })}>
              Erase now
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
          {erased.error && <p role="alert">{erased.error.message}</p>}
        </div>
      )}
    </div>
  );
}
