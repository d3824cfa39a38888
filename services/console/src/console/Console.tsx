import { useState } from 'react';
import { useQuery } from 'urql';

import { MeQuery } from '../privacy/documents.js';
import { t as shared } from '../shared/i18n.js';
import { m } from './messages.js';
import { AllHolds, Register, Retention, Statistics } from './Overview.js';
import { Queue } from './Queue.js';
import { Lookup, SubjectPage } from './SubjectPage.js';

const TABS = ['Requests', 'Subjects', 'Holds', 'Retention', 'Register', 'Statistics'] as const;
type Tab = (typeof TABS)[number];

/** The DPO's console: the page state (tab, open subject) stays in memory, never in the URL. */
export function Console() {
  const [me] = useQuery({ query: MeQuery });
  const [tab, setTab] = useState<Tab>('Requests');
  const [subject, setSubject] = useState<string | null>(null);
  if (me.error || (me.data && me.data.me.role !== 'DPO')) {
    return (
      <main id="main">
        <h1>{shared.consoleTitle}</h1>
        <p role="alert">{me.error?.message ?? m.notDpo}</p>
      </main>
    );
  }
  return (
    <>
      <nav aria-label={m.sections}>
        <ul>
          {TABS.map((t) => (
            <li key={t}>
              <button
                type="button"
                className="secondary"
                aria-current={tab === t ? 'page' : undefined}
                onClick={() => setTab(t)}
              >
                {m.tabs[t]}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main">
        <h1>{shared.consoleTitle}</h1>
        {tab === 'Requests' && <Queue />}
        {tab === 'Subjects' && (
          <>
            <Lookup onOpen={setSubject} />
            {subject && <SubjectPage key={subject} id={subject} />}
          </>
        )}
        {tab === 'Holds' && <AllHolds />}
        {tab === 'Retention' && <Retention />}
        {tab === 'Register' && <Register />}
        {tab === 'Statistics' && <Statistics />}
      </main>
    </>
  );
}
