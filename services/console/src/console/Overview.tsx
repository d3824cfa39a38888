import { useState } from 'react';
import { useQuery } from 'urql';

import { HoldsQuery, RegisterQuery, RetentionQuery, StatisticsQuery } from './documents.js';
import { m } from './messages.js';

function Table({ head, rows }: { head: string[]; rows: (string | number)[][] }) {
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
        {rows.map((r, i) => (
          <tr key={i}>
            {r.map((c, j) => (
              <td key={j}>{c}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Every legal hold, from the register and placed by the DPO, each on a category or on one case or record of it. */
export function AllHolds() {
  const [holds] = useQuery({ query: HoldsQuery, variables: {} });
  const rows = (holds.data?.legalHolds ?? []).map((h) => [
    h.subjectId,
    h.category,
    h.entry ?? '—',
    h.basis,
    h.until,
    h.source,
  ]);
  return (
    <section aria-labelledby="holds">
      <h2 id="holds">{m.legalHolds}</h2>
      {holds.error && <p role="alert">{holds.error.message}</p>}
      <Table head={[m.subject, m.category, m.entry, m.basis, m.until, m.source]} rows={rows} />
    </section>
  );
}

/**
 * What a retention sweep would shred at a date, changing nothing; where the period runs per case or record, the
 * ones whose end has come (a case a hold keeps is not among them).
 */
export function Retention() {
  const [asOf, setAsOf] = useState('');
  const [preview] = useQuery({ query: RetentionQuery, variables: asOf ? { asOf } : {} });
  const p = preview.data?.retentionPreview;
  return (
    <section aria-labelledby="retention">
      <h2 id="retention">{m.retentionPreview}</h2>
      <div className="row">
        <label htmlFor="as-of">{m.asOf}</label>
        <input id="as-of" type="date" value={asOf} onChange={(e) => setAsOf(e.target.value)} />
      </div>
      {preview.error && <p role="alert">{preview.error.message}</p>}
      {p && (
        <>
          <p>{m.examined(p.examined, p.asOf)}</p>
          <Table
            head={[m.subject, m.category, m.entry, m.due, m.rule, m.outcome]}
            rows={p.items.map((i) => [
              i.subjectId,
              i.category,
              i.entries?.join(', ') ?? '—',
              i.dueAt,
              i.rule,
              i.outcome,
            ])}
          />
        </>
      )}
    </section>
  );
}

/** The processing register the vault enforces (Art. 30). */
export function Register() {
  const [register] = useQuery({ query: RegisterQuery });
  const r = register.data?.processingRegister;
  return (
    <section aria-labelledby="register">
      <h2 id="register">{m.register}</h2>
      {register.error && <p role="alert">{register.error.message}</p>}
      {r && (
        <>
          <p>{m.registerVersion(r.version, r.controller.name)}</p>
          <Table
            head={[m.category, m.description, m.purposes, m.legalBasis, m.retention, m.erasure, m.recipients]}
            rows={r.categories.map((c) => [
              c.name,
              c.description,
              c.purposes.join(', '),
              c.legalBasis.join(', '),
              c.retention.description ?? m.after(c.retention.duration, c.retention.trigger),
              c.erasure.mode === 'keep' ? m.kept(c.erasure.law ?? '') : m.shred,
              c.recipients.map((x) => `${x.name} (${x.role})`).join(', ') || '—',
            ])}
          />
        </>
      )}
    </section>
  );
}

/** Anonymous monthly counts, which survive shredding and name no subject. */
export function Statistics() {
  const [stats] = useQuery({ query: StatisticsQuery });
  const rows = (stats.data?.statistics ?? []).map((s) => [s.month, s.category, s.purpose, s.metric, s.count]);
  return (
    <section aria-labelledby="statistics">
      <h2 id="statistics">{m.statistics}</h2>
      {stats.error && <p role="alert">{stats.error.message}</p>}
      <Table head={[m.month, m.category, m.purpose, m.metric, m.count]} rows={rows} />
    </section>
  );
}
