import { type FormEvent, useState } from 'react';
import { useMutation, useQuery } from 'urql';

import type { QueueQuery, RequestStatus, RequestType, VerificationMethod } from '../gql/graphql.js';
import { Certificate, Receipts } from './Certificate.js';
import { CompleteMutation, ExtendMutation, RefuseMutation, RequestsQuery, VerifyMutation } from './documents.js';
import { code, m } from './messages.js';

type Row = QueueQuery['requests'][number];

const SOON_MS = 7 * 86_400_000;
const STATUSES: (RequestStatus | '')[] = ['OPEN', 'COMPLETED', 'REFUSED', ''];
const TYPES: RequestType[] = ['ACCESS', 'PORTABILITY', 'RECTIFICATION', 'ERASURE', 'RESTRICTION', 'OBJECTION'];
const METHODS: VerificationMethod[] = ['accountLogin', 'emailConfirmation', 'idDocument', 'videoCall', 'knownContact'];

/** Overdue, due within a week, or on time. */
export function flagOf(r: Pick<Row, 'status' | 'overdue' | 'dueAt'>, now: number): 'overdue' | 'soon' | null {
  if (r.status !== 'OPEN') return null;
  if (r.overdue) return 'overdue';
  return Date.parse(r.dueAt) - now < SOON_MS ? 'soon' : null;
}

/** The request queue, soonest due first, with the workflow's actions on each open request. */
export function Queue() {
  const [status, setStatus] = useState<RequestStatus | ''>('OPEN');
  const [type, setType] = useState('');
  const [overdueOnly, setOverdueOnly] = useState(false);
  const [lateOnly, setLateOnly] = useState(false);
  // The vault filters by late propagation (requests(propagationOverdue: true)); status and type apply on top.
  const variables = { ...(status ? { status } : {}), ...(lateOnly ? { propagationOverdue: true } : {}) };
  const [list, refetch] = useQuery({ query: RequestsQuery, variables });
  const [completed, setCompleted] = useState<Parameters<typeof Certificate>[0]['signed'] | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const [receiptOf, setReceiptOf] = useState<{ id: string; asked: number } | null>(null);
  const now = Date.now();
  const rows = [...(list.data?.requests ?? [])]
    .filter((r) => (!type || r.type === type) && (!overdueOnly || r.overdue))
    .sort((a, b) => a.dueAt.localeCompare(b.dueAt));
  const reload = () => refetch({ requestPolicy: 'network-only' });
  return (
    <section aria-labelledby="queue">
      <h2 id="queue">{m.requests}</h2>
      <div className="row" role="group" aria-label={m.filters}>
        <label htmlFor="f-status">{m.status}</label>
        <select id="f-status" value={status} onChange={(e) => setStatus(e.target.value as RequestStatus | '')}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s ? (m.codes[s] ?? s[0] + s.slice(1).toLowerCase()) : m.all}
            </option>
          ))}
        </select>
        <label htmlFor="f-type">{m.type}</label>
        <select id="f-type" value={type} onChange={(e) => setType(e.target.value)}>
          <option value="">{m.all}</option>
          {TYPES.map((t) => (
            <option key={t} value={t}>
              {code(t)}
            </option>
          ))}
        </select>
        <input
          id="f-overdue"
          type="checkbox"
          checked={overdueOnly}
          onChange={(e) => setOverdueOnly(e.target.checked)}
        />
        <label htmlFor="f-overdue">{m.overdueOnly}</label>
        <input id="f-late" type="checkbox" checked={lateOnly} onChange={(e) => setLateOnly(e.target.checked)} />
        <label htmlFor="f-late">{m.propagationOverdueOnly}</label>
      </div>
      {completed && <Certificate signed={completed} />}
      {receiptOf && <Receipts key={receiptOf.asked} requestId={receiptOf.id} />}
      {link && (
        <p role="status">
          {m.linkShownOnce} <code>{link}</code>
        </p>
      )}
      {list.error && <p role="alert">{list.error.message}</p>}
      <QueueTable
        rows={rows}
        now={now}
        onDone={(cert, url) => {
          setCompleted(cert);
          setLink(url);
          reload();
        }}
        onChange={reload}
        onReceipt={(id) => setReceiptOf((was) => ({ id, asked: (was?.asked ?? 0) + 1 }))}
      />
    </section>
  );
}

interface TableProps {
  rows: Row[];
  now: number;
  onDone: (certificate: Parameters<typeof Certificate>[0]['signed'] | null, link: string | null) => void;
  onChange: () => void;
  onReceipt: (requestId: string) => void;
}

function QueueTable({ rows, now, onDone, onChange, onReceipt }: TableProps) {
  return (
    <table data-testid="queue">
      <caption className="hint">{m.queueCaption(rows.length)}</caption>
      <thead>
        <tr>
          <th scope="col">{m.due}</th>
          <th scope="col">{m.type}</th>
          <th scope="col">{m.subject}</th>
          <th scope="col">{m.received}</th>
          <th scope="col">{m.status}</th>
          <th scope="col">{m.identity}</th>
          <th scope="col">{m.actions}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const flag = flagOf(r, now);
          return (
            <tr key={r.id} data-request={r.id}>
              <td>
                {r.dueAt.slice(0, 10)}{' '}
                {flag && <span className={`tag ${flag}`}>{flag === 'overdue' ? m.overdue : m.dueSoon}</span>}
              </td>
              <td>{code(r.type)}</td>
              <td>
                <code>{r.subjectId}</code>
              </td>
              <td>{r.receivedAt.slice(0, 10)}</td>
              <td>
                {code(r.status)} {r.propagationOverdue && <span className="tag overdue">{m.propagationLate}</span>}
              </td>
              <td>{r.verifiedAt ? m.verifiedBy(r.verificationMethod ?? 'other') : m.notVerified}</td>
              <td>
                {r.status === 'OPEN' && <Actions row={r} onDone={onDone} onChange={onChange} />}
                {r.status === 'COMPLETED' && r.type === 'ERASURE' && (
                  <button type="button" className="secondary" onClick={() => onReceipt(r.id)}>
                    {m.showReceipt}
                  </button>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Actions({ row, onDone, onChange }: { row: Row } & Omit<TableProps, 'rows' | 'now' | 'onReceipt'>) {
  const [method, setMethod] = useState<VerificationMethod>('idDocument');
  const [form, setForm] = useState<'extend' | 'refuse' | null>(null);
  const [verify, runVerify] = useMutation(VerifyMutation);
  const [complete, runComplete] = useMutation(CompleteMutation);
  const error = verify.error ?? complete.error;
  const label = m.requestDue(code(row.type), row.dueAt.slice(0, 10));
  const onComplete = async () => {
    const res = await runComplete({ id: row.id });
    const done = res.data?.completeRequest;
    if (done) onDone(done.certificate ?? null, done.link?.url ?? null);
  };
  return (
    <div className="stack">
      {!row.verifiedAt && (
        <div className="row">
          <select
            aria-label={m.methodFor(label)}
            value={method}
            onChange={(e) => setMethod(e.target.value as VerificationMethod)}
          >
            {METHODS.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
          <button type="button" onClick={() => void runVerify({ id: row.id, method }).then(onChange)}>
            {m.verify}
          </button>
        </div>
      )}
      <div className="row">
        {row.verifiedAt && (
          <button type="button" disabled={complete.fetching} onClick={() => void onComplete()}>
            {m.complete}
          </button>
        )}
        <button type="button" className="secondary" onClick={() => setForm('extend')}>
          {m.extend}
        </button>
        <button type="button" className="secondary" onClick={() => setForm('refuse')}>
          {m.refuse}
        </button>
      </div>
      {form && <ReasonForm kind={form} row={row} onClose={() => setForm(null)} onChange={onChange} />}
      {error && <p role="alert">{error.message}</p>}
    </div>
  );
}

function ReasonForm(props: { kind: 'extend' | 'refuse'; row: Row; onClose: () => void; onChange: () => void }) {
  const { kind, row, onClose, onChange } = props;
  const [reason, setReason] = useState('');
  const [months, setMonths] = useState(1);
  const [extended, extend] = useMutation(ExtendMutation);
  const [refused, refuse] = useMutation(RefuseMutation);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const res = kind === 'extend' ? await extend({ id: row.id, months, reason }) : await refuse({ id: row.id, reason });
    if (!res.error) {
      onClose();
      onChange();
    }
  };
  const error = extended.error ?? refused.error;
  return (
    <form className="stack" onSubmit={(e) => void submit(e)}>
      {kind === 'extend' && (
        <>
          <label htmlFor={`months-${row.id}`}>{m.furtherMonths}</label>
          <select id={`months-${row.id}`} value={months} onChange={(e) => setMonths(Number(e.target.value))}>
            <option value={1}>1</option>
            <option value={2}>2</option>
          </select>
        </>
      )}
      <label htmlFor={`reason-${row.id}`}>{m.reasonForSubject}</label>
      <textarea id={`reason-${row.id}`} required value={reason} onChange={(e) => setReason(e.target.value)} />
      <div className="row">
        <button type="submit">{kind === 'extend' ? m.extend : m.refuse}</button>
        <button type="button" className="secondary" onClick={onClose}>
          {m.cancel}
        </button>
      </div>
      {error && <p role="alert">{error.message}</p>}
    </form>
  );
}
