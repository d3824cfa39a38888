import { dateOf, t, word } from '../shared/i18n.js';
import { type AccessReport, byCategory, type ReportItem, shown } from '../shared/report.js';

/** What the vault holds, by category, with the register's own words for purpose, basis, retention and recipients. */
export function MyData({ report }: { report: AccessReport }) {
  const groups = byCategory(report.items);
  return (
    <section aria-labelledby="my-data">
      <h2 id="my-data">{t.myData}</h2>
      <p>{t.myDataIntro}</p>
      {groups.map(([category, items]) => (
        <Category key={category} category={category} items={items} />
      ))}
    </section>
  );
}

function Category({ category, items }: { category: string; items: ReportItem[] }) {
  const first = items[0]!;
  const recipients = first.recipients?.categories ?? [];
  const purposes = [...new Map((first.purposes ?? []).map((p) => [p.purpose, p.description])).values()];
  return (
    <article className="card" aria-labelledby={`cat-${category}`}>
      <h3 id={`cat-${category}`}>{first.categoryDescription ?? category}</h3>
      <dl className="facts">
        <dt>{t.purpose}</dt>
        <dd>{purposes.length > 0 ? purposes.join(' ') : '—'}</dd>
        <dt>{t.legalBasis}</dt>
        <dd>{[...new Set(items.map((i) => i.legalBasis).filter(Boolean))].map((b) => word(b!)).join(', ') || '—'}</dd>
        <dt>{t.retention}</dt>
        <dd>
          {first.retention?.rule ?? first.retention?.duration ?? '—'}
          {first.retention?.endsAt ? ` (${t.until} ${dateOf(first.retention.endsAt)})` : ''}
        </dd>
        <dt>{t.recipients}</dt>
        <dd>{recipients.length > 0 ? recipients.map((r) => r.name).join(', ') : t.nobody}</dd>
      </dl>
      <table>
        <thead>
          <tr>
            <th scope="col">{t.field}</th>
            <th scope="col">{t.value}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item, i) => (
            <tr key={item.field ?? i}>
              <td>{item.field ?? '—'}</td>
              <td>{item.erasedAt ? `${t.erased} ${dateOf(item.erasedAt)}` : shown(item.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  );
}
