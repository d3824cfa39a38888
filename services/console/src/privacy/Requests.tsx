import type { Client } from '@urql/core';
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery } from 'urql';

import type { RequestType } from '../gql/graphql.js';
import { dateOf, LANGUAGE, t, word } from '../shared/i18n.js';
import { download, saveFile } from '../shared/report.js';
import {
  MyRequestsQuery,
  OpenRequestMutation,
  ReadableAccessReportQuery,
  SignedAccessReportQuery,
  SignedExportQuery,
} from './documents.js';

const TYPES: RequestType[] = ['ACCESS', 'PORTABILITY', 'RECTIFICATION', 'ERASURE', 'RESTRICTION', 'OBJECTION'];

/** The signed access report and portability export as files, with how to check their signatures. */
export function Downloads({ id, client }: { id: string; client: Client }) {
  const [error, setError] = useState<string>();
  const get = async (kind: 'report' | 'export') => {
    setError(undefined);
    const res =
      kind === 'report'
        ? await client.query(SignedAccessReportQuery, { id }, { requestPolicy: 'network-only' }).toPromise()
        : await client.query(SignedExportQuery, { id }, { requestPolicy: 'network-only' }).toPromise();
    const signed = res.data && ('accessReport' in res.data ? res.data.accessReport : res.data.portabilityExport);
    if (!signed) return setError(res.error?.message ?? 'download failed');
    download(kind === 'report' ? 'access-report.json' : 'portability-export.json', signed);
  };
  // The vault renders the page from the signed text, in the language this page speaks; the subject's id goes in the
  // request body, and the file's name says only the language.
  const readable = async () => {
    setError(undefined);
    const variables = { id, language: LANGUAGE };
    const res = await client.query(ReadableAccessReportQuery, variables, { requestPolicy: 'network-only' }).toPromise();
    const html = res.data?.accessReport.html;
    if (!html) return setError(res.error?.message ?? 'download failed');
    saveFile(`access-report.${LANGUAGE}.html`, html, 'text/html');
  };
  return (
    <section aria-labelledby="downloads">
      <h2 id="downloads">{t.downloads}</h2>
      {error && <p role="alert">{error}</p>}
      <div className="row">
        <button type="button" onClick={() => void get('report')}>
          {t.downloadReport}
        </button>
        <button type="button" onClick={() => void readable()}>
          {t.downloadReadable}
        </button>
        <button type="button" onClick={() => void get('export')}>
          {t.downloadExport}
        </button>
      </div>
      <p className="hint">{t.readableHint}</p>
      <p className="hint">{t.verifyHow}</p>
    </section>
  );
}

/** Opening a request, and the requests with their status and due date. */
export function Requests({ id }: { id: string }) {
  const [list, refetch] = useQuery({ query: MyRequestsQuery });
  const [opened, open] = useMutation(OpenRequestMutation);
  const [type, setType] = useState<RequestType>('ACCESS');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const res = await open({ id, type, at: new Date().toISOString() });
    if (!res.error) refetch({ requestPolicy: 'network-only' });
  };
  const requests = list.data?.myRequests ?? [];
  return (
    <section aria-labelledby="requests">
      <h2 id="requests">{t.requests}</h2>
      <form onSubmit={(e) => void submit(e)} className="row">
        <label htmlFor="request-type">{t.requestType}</label>
        <select id="request-type" value={type} onChange={(e) => setType(e.target.value as RequestType)}>
          {TYPES.map((r) => (
            <option key={r} value={r}>
              {word(r)}
            </option>
          ))}
        </select>
        <button type="submit" disabled={opened.fetching}>
          {t.send}
        </button>
      </form>
      {opened.error && <p role="alert">{opened.error.message}</p>}
      {opened.data && <p role="status">{t.sent}</p>}
      {requests.length === 0 ? (
        <p>{t.noRequests}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.type}</th>
              <th scope="col">{t.status}</th>
              <th scope="col">{t.received}</th>
              <th scope="col">{t.due}</th>
            </tr>
          </thead>
          <tbody>
            {requests.map((r) => (
              <tr key={r.id}>
                <td>{word(r.type)}</td>
                <td>{word(r.status)}</td>
                <td>{dateOf(r.receivedAt)}</td>
                <td>{dateOf(r.dueAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
