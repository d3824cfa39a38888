import { useClient, useQuery } from 'urql';

import { t } from '../shared/i18n.js';
import type { AccessReport } from '../shared/report.js';
import { Consents, Objections } from './Choices.js';
import { MeQuery, MyDataQuery } from './documents.js';
import { MyData } from './MyData.js';
import { Downloads, Requests } from './Requests.js';

/** The subject's own page: its data, its downloads, its choices and its requests. */
export function PrivacyCentre() {
  const [me] = useQuery({ query: MeQuery });
  if (me.fetching && !me.data) return <Shell>{<p role="status">{t.loading}</p>}</Shell>;
  if (me.error) return <Shell>{<p role="alert">{me.error.message}</p>}</Shell>;
  if (me.data?.me.role !== 'SUBJECT') return <Shell>{<p role="alert">{t.wrongRole}</p>}</Shell>;
  return <Subject id={me.data.me.name} />;
}

function Shell({ children }: { children: React.ReactNode }) {
  return (
    <main id="main">
      <h1>{t.privacyTitle}</h1>
      {children}
    </main>
  );
}

function Subject({ id }: { id: string }) {
  const [data, refetch] = useQuery({ query: MyDataQuery, variables: { id } });
  const client = useClient();
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const report = data.data?.accessReport.report as AccessReport | undefined;
  const purposes = data.data?.processingRegister.purposes ?? [];
  return (
    <Shell>
      {data.error && <p role="alert">{data.error.message}</p>}
      {!report && !data.error && <p role="status">{t.loading}</p>}
      {report && (
        <>
          <MyData report={report} />
          <Downloads id={id} client={client} />
          <Consents id={id} report={report} purposes={purposes} onChange={reload} />
          <Objections id={id} report={report} purposes={purposes} onChange={reload} />
          <Requests id={id} />
        </>
      )}
    </Shell>
  );
}
