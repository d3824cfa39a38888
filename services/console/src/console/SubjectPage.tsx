import { type FormEvent, useState } from 'react';
import { useMutation, useQuery } from 'urql';

import type { HoldBasis, SubjectValuesQuery } from '../gql/graphql.js';
import { type AccessReport, shown } from '../shared/report.js';
import { Certificate, Receipts } from './Certificate.js';
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
import { m } from './messages.js';

type LookupKind = 'email' | 'phone' | 'id';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Finds subjects by email or phone (blind index): the identifier goes in the request body, never in a URL. A subject
 * id (from a request, a certificate or another system) opens the subject at once: the only way to an erased subject,
 * whose identifiers no longer match, and to its propagation receipt.
 */
export function Lookup({ onOpen }: { onOpen: (id: string) => void }) {
  const [register] = useQuery({ query: RegisterQuery });
  const purposes = register.data?.processingRegister.purposes.map((p) => p.name) ?? [];
  const [kind, setKind] = useState<LookupKind>('email');
  const [value, setValue] = useState('');
  const [chosen, setPurpose] = useState('');
  const [notAnId, setNotAnId] = useState(false);
  const purpose = chosen || (purposes.includes('contract') ? 'contract' : (purposes[0] ?? ''));
  const [asked, setAsked] = useState<{ email: string } | { phone: string } | null>(null);
  const [found] = useQuery({
    query: FindSubjectsQuery,
    variables: { identifier: asked ?? {}, purpose },
    pause: !asked || !purpose,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setNotAnId(false);
    if (kind !== 'id') return setAsked(kind === 'email' ? { email: value } : { phone: value });
    setAsked(null);
    if (UUID.test(value.trim())) onOpen(value.trim().toLowerCase());
    else setNotAnId(true);
  };
  return (
    <section aria-labelledby="lookup">
      <h2 id="lookup">{m.findSubject}</h2>
      <form className="row" onSubmit={submit} autoComplete="off">
        <label htmlFor="lookup-kind">{m.by}</label>
        <select id="lookup-kind" value={kind} onChange={(e) => setKind(e.target.value as LookupKind)}>
          <option value="email">{m.email}</option>
          <option value="phone">{m.phone}</option>
          <option value="id">{m.subjectIdKind}</option>
        </select>
        <label htmlFor="lookup-value">{m.value}</label>
        <input id="lookup-value" value={value} onChange={(e) => setValue(e.target.value)} required />
        {kind !== 'id' && <PurposeSelect purposes={purposes} purpose={purpose} onChange={setPurpose} />}
        <button type="submit">{m.find}</button>
      </form>
      {notAnId && <p role="alert">{m.notAnId}</p>}
      {found.error && <p role="alert">{found.error.message}</p>}
      {asked && found.data && found.data.findSubjects.length === 0 && <p role="status">{m.noMatch}</p>}
      <ul>
        {(asked ? found.data?.findSubjects : undefined)?.map((s) => (
          <li key={s.id}>
            <button type="button" className="secondary" onClick={() => onOpen(s.id)}>
              {m.openSubject(s.id)}
            </button>{' '}
            {m.registered(s.registeredAt.slice(0, 10))}
            {s.erasedAt ? m.erasedOn(s.erasedAt.slice(0, 10)) : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}

function PurposeSelect(props: { purposes: string[]; purpose: string; onChange: (p: string) => void }) {
  return (
    <>
      <label htmlFor="lookup-purpose">{m.forPurpose}</label>
      <select id="lookup-purpose" value={props.purpose} onChange={(e) => props.onChange(e.target.value)}>
        {props.purposes.map((p) => (
          <option key={p}>{p}</option>
        ))}
      </select>
    </>
  );
}

/** One subject: values only when opened for a purpose, the access report, holds, and erasure. */
export function SubjectPage({ id }: { id: string }) {
  const [register] = useQuery({ query: RegisterQuery });
  const purposes = register.data?.processingRegister.purposes.map((p) => p.name) ?? [];
  return (
    <section aria-labelledby="subject">
      <h2 id="subject">
        {m.subject} <code>{id}</code>
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
      <h3>{m.values}</h3>
      <p className="hint">{m.valuesHint}</p>
      <div className="row">
        <label htmlFor="values-purpose">{m.purpose}</label>
        <select id="values-purpose" value={purpose} onChange={(e) => setPurpose(e.target.value)}>
          <option value="">{m.choose}</option>
          {purposes.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <button type="button" disabled={!purpose} onClick={() => setOpened(purpose)}>
          {m.openValues}
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
          <th scope="col">{m.category}</th>
          <th scope="col">{m.field}</th>
          <th scope="col">{m.valueOrStatus}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((i, n) => (
          <tr key={`${i.category}.${i.field ?? n}@${i.entry ?? ''}`}>
            <td>{i.category}</td>
            <td>{i.field ? m.fieldOf(i.field, i.entry) : '—'}</td>
            <td>
              {'value' in i
                ? shown(i.value)
                : 'reason' in i
                  ? m.denied(i.reason)
                  : 'erasureReason' in i
                    ? m.erased(i.erasureReason)
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
      <h3>{m.accessReport}</h3>
      {!open && (
        <button type="button" className="secondary" onClick={() => setOpen(true)}>
          {m.openReport}
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
        <dt>{m.categories}</dt>
        <dd>{[...new Set(r.items.map((i) => i.category))].join(', ') || '—'}</dd>
        <dt>{m.objections}</dt>
        <dd>{r.objections.map((o) => m.since(o.purpose, o.since)).join('; ') || '—'}</dd>
        <dt>{m.restrictions}</dt>
        <dd>{r.restrictions.map((o) => o.category).join(', ') || '—'}</dd>
      </dl>
      <h4>{m.consentHistory}</h4>
      <Rows head={[m.purpose, m.given, m.withdrawn, m.notice, m.channel]} rows={history} />
      <h4>{m.disclosures}</h4>
      <Rows head={[m.category, m.recipient, m.purpose, m.first, m.last, m.reads]} rows={disclosures} />
    </>
  );
}

function Rows({ head, rows }: { head: string[]; rows: (string | number)[][] }) {
  if (rows.length === 0) return <p>{m.none}</p>;
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
  // Empty: the whole category. A case or record id (e.g. one debt-collection case): that entry alone.
  const [entry, setEntry] = useState('');
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const res = await place({ id, category, basis, until, ...(entry.trim() ? { entry: entry.trim() } : {}) });
    if (!res.error) reload();
  };
  return (
    <div>
      <h3>{m.legalHolds}</h3>
      <ul>
        {holds.data?.legalHolds.map((h) => (
          <li key={`${h.category}-${h.entry ?? ''}-${h.source}`}>
            {m.holdLine(h.category, h.basis, h.until, h.entry)} ({h.source}){' '}
            {h.source === 'dpo' && (
              <button
                type="button"
                className="secondary"
                onClick={() => void release({ id, category: h.category, entry: h.entry }).then(reload)}
              >
                {m.release(h.category, h.entry)}
              </button>
            )}
          </li>
        ))}
      </ul>
      <form className="row" onSubmit={(e) => void submit(e)}>
        <label htmlFor="hold-category">{m.category}</label>
        <select id="hold-category" value={category} onChange={(e) => setCategory(e.target.value)} required>
          <option value="">{m.choose}</option>
          {categories.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
        <label htmlFor="hold-basis">{m.basis}</label>
        <select id="hold-basis" value={basis} onChange={(e) => setBasis(e.target.value as HoldBasis)}>
          {BASES.map((b) => (
            <option key={b}>{b}</option>
          ))}
        </select>
        <label htmlFor="hold-entry">{m.entry}</label>
        <input
          id="hold-entry"
          value={entry}
          onChange={(e) => setEntry(e.target.value)}
          aria-describedby="hold-entry-hint"
          autoComplete="off"
        />
        <label htmlFor="hold-until">{m.until}</label>
        <input id="hold-until" type="date" value={until} onChange={(e) => setUntil(e.target.value)} required />
        <button type="submit">{m.placeHold}</button>
      </form>
      <p id="hold-entry-hint" className="hint">
        {m.holdEntryHint}
      </p>
      {placed.error && <p role="alert">{placed.error.message}</p>}
    </div>
  );
}

function Erase({ id }: { id: string }) {
  const [confirming, setConfirming] = useState(false);
  const [holds] = useQuery({ query: HoldsQuery, variables: { subjectId: id }, pause: !confirming });
  const [erased, erase] = useMutation(EraseMutation);
  if (erased.data)
    return (
      <>
        <Certificate signed={erased.data.eraseSubject} />
        <ReceiptOf subjectId={id} />
      </>
    );
  return (
    <div>
      <h3>{m.erasure}</h3>
      {!confirming ? (
        <button type="button" className="danger" onClick={() => setConfirming(true)}>
          {m.eraseSubject}
        </button>
      ) : (
        <div className="card" role="group" aria-labelledby="erase-confirm">
          <p id="erase-confirm">{m.eraseConfirm}</p>
          <ul>
            {(holds.data?.legalHolds ?? []).map((h) => (
              <li key={`${h.category}-${h.entry ?? ''}-${h.source}`}>
                {m.holdLine(h.category, h.basis, h.until, h.entry)}
              </li>
            ))}
            {holds.data?.legalHolds.length === 0 && <li>{m.nothingRetained}</li>}
          </ul>
          <div className="row">
            <button type="button" className="danger" disabled={erased.fetching} onClick={() => void erase({ id })}>
              {m.eraseNow}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              {m.cancel}
            </button>
          </div>
          {erased.error && <p role="alert">{erased.error.message}</p>}
        </div>
      )}
      <ReceiptOf subjectId={id} />
    </div>
  );
}

/** The subject's propagation receipt, asked for again at each click (it comes once the last recipient acknowledges). */
function ReceiptOf({ subjectId }: { subjectId: string }) {
  const [asked, setAsked] = useState(0);
  return (
    <div>
      <button type="button" className="secondary" onClick={() => setAsked((n) => n + 1)}>
        {m.showReceipt}
      </button>
      {asked > 0 && <Receipts key={asked} subjectId={subjectId} />}
    </div>
  );
}
