import { type FormEvent, useState } from 'react';
import { useMutation, useQuery } from 'urql';

import type { QueueQuery, RequestStatus, VerificationMethod } from '../gql/graphql.js';
import { Certificate } from './Certificate.js';
import { CompleteMutation, ExtendMutation, RefuseMutation, RequestsQuery, VerifyMutation } from './documents.js';

type Row = QueueQuery['requests'][number];

const SOON_MS = 7 * 86_400_000;
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
  const [list, refetch] = useQuery({ query: RequestsQuery, variables: status ? { status } : {} });
  const [completed, setCompleted] = useState<Parameters<typeof Certificate>[0]['signed'] | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const now = Date.now();
  const rows = [...(list.data?.requests ?? [])]
    .filter((r) => (!type || r.type === type) && (!overdueOnly || r.overdue))
    .sort((a, b) => a.dueAt.localeCompare(b.dueAt));
  const reload = () => refetch({ requestPolicy: 'network-only' });
  return (
    <section aria-labelledby="queue">
      <h2 id="queue">Requests</h2>
      <div className="row" role="group" aria-label="Filters">
        <label htmlFor="f-status">Status</label>
        <select id="f-status" value={status} onChange={(e) => setStatus(e.target.value as RequestStatus | '')}>
          <option value="OPEN">Open</option>
          <option value="COMPLETED">Completed</option>
          <option value="REFUSED">Refused</option>
          <option value="">All</option>
        </select>
        <label htmlFor="f-type">Type</label>
        <select id="f-type" value={type} onChange={(e) => setType(e.target.value)}>
          <option value="">All</option>
          {['ACCESS', 'PORTABILITY', 'RECTIFICATION', 'ERASURE', 'RESTRICTION', 'OBJECTION'].map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
        <input
          id="f-overdue"
          type="checkbox"
          checked={overdueOnly}
          onChange={(e) => setOverdueOnly(e.target.checked)}
        />
        <label htmlFor="f-overdue">Overdue only</label>
      </div>
      {completed && <Certificate signed={completed} />}
      {link && (
        <p role="status">
          Download link for the subject (shown once): <code>{link}</code>
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
      />
    </section>
  );
}

interface TableProps {
  rows: Row[];
  now: number;
  onDone: (certificate: Parameters<typeof Certificate>[0]['signed'] | null, link: string | null) => void;
  onChange: () => void;
}

function QueueTable({ rows, now, onDone, onChange }: TableProps) {
  return (
    <table data-testid="queue">
      <caption className="hint">{rows.length} requests, soonest due first</caption>
      <thead>
        <tr>
          <th scope="col">Due</th>
          <th scope="col">Type</th>
          <th scope="col">Subject</th>
          <th scope="col">Received</th>
          <th scope="col">Status</th>
          <th scope="col">Identity</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const flag = flagOf(r, now);
          return (
            <tr key={r.id} data-request={r.id}>
              <td>
                {r.dueAt.slice(0, 10)}{' '}
                {flag && <span className={`tag ${flag}`}>{flag === 'overdue' ? 'Overdue' : 'Due soon'}</span>}
              </td>
              <td>{r.type}</td>
              <td>
                <code>{r.subjectId}</code>
              </td>
              <td>{r.receivedAt.slice(0, 10)}</td>
              <td>{r.status}</td>
              <td>{r.verifiedAt ? `verified (${r.verificationMethod ?? 'other'})` : 'not verified'}</td>
              <td>{r.status === 'OPEN' && <Actions row={r} onDone={onDone} onChange={onChange} />}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Actions({ row, onDone, onChange }: { row: Row } & Omit<TableProps, 'rows' | 'now'>) {
  const [method, setMethod] = useState<VerificationMethod>('idDocument');
  const [form, setForm] = useState<'extend' | 'refuse' | null>(null);
  const [verify, runVerify] = useMutation(VerifyMutation);
  const [complete, runComplete] = useMutation(CompleteMutation);
  const error = verify.error ?? complete.error;
  const label = `${row.type} request due ${row.dueAt.slice(0, 10)}`;
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
            aria-label={`Verification method for ${label}`}
            value={method}
            onChange={(e) => setMethod(e.target.value as VerificationMethod)}
          >
            {METHODS.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
          <button type="button" onClick={() => void runVerify({ id: row.id, method }).then(onChange)}>
            Verify
          </button>
        </div>
      )}
      <div className="row">
        {row.verifiedAt && (
          <button type="button" disabled={complete.fetching} onClick={() => void onComplete()}>
            Complete
          </button>
        )}
        <button type="button" className="secondary" onClick={() => setForm('extend')}>
          Extend
        </button>
        <button type="button" className="secondary" onClick={() => setForm('refuse')}>
          Refuse
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
          <label htmlFor={`months-${row.id}`}>Further months</label>
          <select id={`months-${row.id}`} value={months} onChange={(e) => setMonths(Number(e.target.value))}>
            <option value={1}>1</option>
            <option value={2}>2</option>
          </select>
        </>
      )}
      <label htmlFor={`reason-${row.id}`}>Reason, written for the subject</label>
      <textarea id={`reason-${row.id}`} required value={reason} onChange={(e) => setReason(e.target.value)} />
      <div className="row">
        <button type="submit">{kind === 'extend' ? 'Extend' : 'Refuse'}</button>
        <button type="button" className="secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
      {error && <p role="alert">{error.message}</p>}
    </form>
  );
}
